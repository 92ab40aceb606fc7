"""ChildSession: deadlines are about when the child answered, not when the grader read it."""

from __future__ import annotations

import time

import pytest

from grader.sandbox import ProcessSandbox, request
from grader.submission import from_python


@pytest.fixture()
def slow_add():
    """A session whose child has loaded ``slow_add(x)``: sleep x seconds, return x + 1."""
    sandbox = ProcessSandbox()
    session = sandbox.session()
    source = "import time\ndef slow_add(x):\n    time.sleep(x)\n    return x + 1\n"
    assert session.load(request.load_request(from_python(source).wire_units(), "submission.py")).kind == "loaded"
    yield session
    session.close()
    sandbox.close()


def _call(x: float, seconds: float) -> tuple:
    return "slow_add", request.encode_call([x], {}, []), seconds


def test_an_answer_that_arrived_in_time_counts_even_when_read_late(slow_add):
    outcomes = slow_add.call_many([_call(0.3, 1.0), _call(0.3, 1.0)])
    assert next(outcomes).kind == "returned"
    time.sleep(1.5)  # the grader is busy (judging) while the second answer waits in the pipe
    second = next(outcomes)
    assert (second.kind, second.value) == ("returned", 1.3)


def test_a_late_answer_is_a_timeout(slow_add):
    outcomes = list(slow_add.call_many([_call(0.1, 1.0), _call(3, 0.5)]))
    assert [outcome.kind for outcome in outcomes] == ["returned", "timeout"]
    assert 0.5 <= outcomes[1].seconds < 1.5


def _load(source: str, sandbox):
    return sandbox.session(), request.load_request(from_python(source).wire_units(), "submission.py")


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_calls_sent_behind_a_slow_load_get_their_time_from_the_loaded_answer(backend):
    from grader.sandbox import BwrapSandbox, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    sandbox = ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)
    source = "import time\ntime.sleep(0.6)\ndef slow_add(x):\n    time.sleep(x)\n    return x + 1\n"
    session, load = _load(source, sandbox)
    try:
        loaded, outcomes = session.load_then_call(load, [_call(0.1, 0.4), _call(0.2, 0.4)])
        assert loaded.kind == "loaded" and loaded.seconds >= 0.6
        assert [(outcome.kind, outcome.value) for outcome in outcomes] == [("returned", 1.1), ("returned", 1.2)]
    finally:
        session.close()
        sandbox.close()


def test_calls_sent_behind_a_load_that_never_ends_are_not_run():
    from grader.sandbox import Limits

    sandbox = ProcessSandbox(Limits(load_seconds=0.5))
    session, load = _load("while True:\n    pass\n", sandbox)
    try:
        loaded, outcomes = session.load_then_call(load, [_call(0.1, 5.0)])
        assert loaded.kind == "timeout" and list(outcomes) == [] and not session.alive
    finally:
        session.close()


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_code_that_writes_to_its_input_is_run_again_on_a_copy_and_the_change_comes_back(backend):
    import numpy as np

    from grader.sandbox import BwrapSandbox, unavailable_reason
    from grader.sandbox.protocol import UNCHANGED

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    sandbox = ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)
    source = ("def bump(x):\n    print('once')\n    x += 1\n    return float(x.sum())\n\n"
              "def careful(x):\n    try:\n        x[0] = 5\n    except ValueError:\n        pass\n    return float(x.sum())\n")
    session, load = _load(source, sandbox)
    try:
        assert session.load(load).kind == "loaded"
        bumped, careful = session.call_many([("bump", request.encode_call([np.zeros(3)], {}, [0]), 5.0),
                                             ("careful", request.encode_call([np.zeros(3)], {}, [0]), 5.0)])
        assert (bumped.kind, bumped.value, bumped.output) == ("returned", 3.0, "once\n")
        assert np.array_equal(bumped.watched[0], np.ones(3))
        assert (careful.kind, careful.value, careful.watched) == ("returned", 0.0, [UNCHANGED])
    finally:
        session.close()
        sandbox.close()

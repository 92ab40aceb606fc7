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

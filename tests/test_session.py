"""ChildSession: deadlines are about when the child answered, not when the grader read it."""

from __future__ import annotations

import time

from grader.sandbox import ProcessSandbox, protocol
from grader.submission import from_python


def test_an_answer_that_arrived_in_time_counts_even_when_read_late():
    sandbox = ProcessSandbox()
    session = sandbox.session()
    try:
        source = "import time\ndef slow_add(x):\n    time.sleep(0.3)\n    return x + 1\n"
        assert session.load(from_python(source).wire_units(), "submission.py").kind == "loaded"
        call = protocol.encode_call([1], {}, [])
        outcomes = session.call_many([("slow_add", call, 1.0), ("slow_add", call, 1.0)])
        assert next(outcomes).kind == "returned"
        time.sleep(1.5)  # the grader is busy (judging) while the second answer waits in the pipe
        second = next(outcomes)
        assert (second.kind, second.value) == ("returned", 2)
    finally:
        session.close()
        sandbox.close()


def test_a_late_answer_is_a_timeout():
    sandbox = ProcessSandbox()
    session = sandbox.session()
    try:
        source = "import time\ndef slow_add(x):\n    time.sleep(x)\n    return x + 1\n"
        assert session.load(from_python(source).wire_units(), "submission.py").kind == "loaded"
        outcomes = list(session.call_many([("slow_add", protocol.encode_call([0.1], {}, []), 1.0),
                                           ("slow_add", protocol.encode_call([3], {}, []), 0.5)]))
        assert [outcome.kind for outcome in outcomes] == ["returned", "timeout"]
        assert 0.5 <= outcomes[1].seconds < 1.5
    finally:
        session.close()
        sandbox.close()

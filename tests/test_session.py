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

    sandbox = ProcessSandbox(Limits(load_seconds=0.5, load_grace_seconds=0.3, load_interrupts=2))
    # (It shrugs off each interruption.)
    session, load = _load("while True:\n    try:\n        while True:\n            pass\n"
                          "    except KeyboardInterrupt:\n        pass\n", sandbox)
    try:
        started = time.perf_counter()
        loaded, outcomes = session.load_then_call(load, [_call(0.1, 5.0)])
        assert loaded.kind == "timeout" and list(outcomes) == [] and not session.alive
        assert 1.1 <= time.perf_counter() - started < 3.0, "the load's time, then two short graces"
    finally:
        session.close()


def _sandbox(backend: str, **limits):
    from grader.sandbox import BwrapSandbox, Limits, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    return ProcessSandbox(Limits(**limits)) if backend == "process" else BwrapSandbox(Limits(**limits), spare=False)


@pytest.mark.parametrize("backend", ["process", "bwrap"])
@pytest.mark.parametrize("slow", ["while True:\n    pass", "import time\ntime.sleep(60)",
                                  "import numpy as np\nwhile True:\n    np.pad(np.zeros((8, 8)), 1)"])
def test_a_load_past_its_time_is_interrupted_and_the_rest_of_the_module_still_loads(slow, backend):
    """As Jupyter's 'interrupt kernel': the statement running stops, the ones after it run."""
    sandbox = _sandbox(backend, load_seconds=0.5, load_grace_seconds=2.0)
    session, load = _load(f"{slow}\n\ndef slow_add(x):\n    return x + 1\n", sandbox)
    try:
        started = time.perf_counter()
        loaded, outcomes = session.load_then_call(load, [_call(0.1, 5.0)])
        assert time.perf_counter() - started < 2.0
        assert loaded.kind == "loaded" and loaded.interrupted == 1
        assert [error["exc_type"] for error in loaded.errors] == ["KeyboardInterrupt"]
        assert loaded.errors[0]["interrupted"] is True and loaded.errors[0]["frames"][0]["line"] >= 1
        assert [(outcome.kind, outcome.value) for outcome in outcomes] == [("returned", 1.1)]
    finally:
        session.close()
        sandbox.close()


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_an_interruption_after_loading_never_reaches_a_call(backend):
    """(One sent as the load answered, say.) Only loading can be interrupted."""
    sandbox = _sandbox(backend)
    session, load = _load("import time\ndef slow_add(x):\n    time.sleep(x)\n    return x + 1\n", sandbox)
    try:
        assert session.load(load).kind == "loaded"
        outcomes = session.call_many([_call(0.6, 5.0)])
        time.sleep(0.2)
        session.process.interrupt()
        assert [(outcome.kind, outcome.value) for outcome in outcomes] == [("returned", 1.6)]
    finally:
        session.close()
        sandbox.close()


def test_a_keyboard_interrupt_the_code_raises_itself_is_not_taken_for_the_graders():
    sandbox = ProcessSandbox()
    session, load = _load("raise KeyboardInterrupt\n\ndef slow_add(x):\n    return x + 1\n", sandbox)
    try:
        loaded = session.load(load)
        assert loaded.kind == "loaded" and loaded.interrupted == 0
        assert [error["exc_type"] for error in loaded.errors] == ["KeyboardInterrupt"]
        assert "interrupted" not in loaded.errors[0]
    finally:
        session.close()


# Ways to change an array in place (each works on an array of one's own):
# each must reach the grader as a modified input.
IN_PLACE_WRITERS = {
    "sort": "x.sort()",
    "shuffle": "np.random.default_rng(0).shuffle(x)",
    "partition": "x.partition(1)",
    "add_at": "np.add.at(x, [0, 0], 1.0)",
    "flat": "x.flat[0] = 9.0",
    "fill_diagonal": "np.fill_diagonal(x.reshape(1, 3), 9.0)",
    "place": "np.place(x, x > 1.5, [0.0])",
    "einsum_out": "np.einsum('i->i', x + 1, out=x)",
    "byteswap": "x.byteswap(inplace=True)",
    "made_writable": "x.flags.writeable = True\n    x[0] = 9.0",
    "despite_its_flag": "x.flags.writeable = False\n    np.add.at(x, [0, 0], 1.0)",  # numpy writes anyway
    "printing": "print('once')\n    x += 1",
    "careful": "try:\n        x[0] = 5.0\n    except ValueError:\n        pass",
}


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_every_way_of_writing_to_an_input_comes_back_as_the_change_it_made(backend):
    import numpy as np

    from grader.sandbox import BwrapSandbox, unavailable_reason
    from grader.sandbox.protocol import UNCHANGED

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    sandbox = ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)
    source = "import numpy as np\n\n" + "".join(
        f"def {name}(x, extra=None):\n    {statement}\n    return 1.0\n\n" for name, statement in IN_PLACE_WRITERS.items())
    source += ("def only_unlocks(x):\n    x.setflags(write=True)\n    return 2.0\n\n"
               "def sorts_a_keyword(x, extra=None):\n    extra[0].sort()\n    return float(extra[0][0])\n")
    original = np.array([3.0, 1.0, 2.0])
    calls = [(name, request.encode_call([original.copy()], {}, [0]), 5.0) for name in IN_PLACE_WRITERS]
    calls += [("only_unlocks", request.encode_call([original.copy()], {}, [0]), 5.0),
              ("sorts_a_keyword", request.encode_call([original.copy()], {"extra": (original.copy(),)}, [0]), 5.0)]
    session, load = _load(source, sandbox)
    try:
        assert session.load(load).kind == "loaded"
        outcomes = list(session.call_many(calls))
        for name, outcome in zip(IN_PLACE_WRITERS, outcomes):
            assert (outcome.kind, outcome.value) == ("returned", 1.0), (name, outcome)
            assert outcome.output == ("once\n" if name == "printing" else ""), name
            assert outcome.watched[0] is not UNCHANGED and not np.array_equal(outcome.watched[0], original), name
        unlocked, keyword = outcomes[len(IN_PLACE_WRITERS):]
        assert (unlocked.kind, unlocked.value) == ("returned", 2.0)
        # Unchanged, or sent back as it was (its page is shared with an input written before).
        assert unlocked.watched[0] is UNCHANGED or np.array_equal(unlocked.watched[0], original)
        assert (keyword.kind, keyword.value) == ("returned", 1.0)  # an input nested in a keyword is writable too
    finally:
        session.close()
        sandbox.close()


def test_the_isolated_child_can_tell_written_pages_though_it_is_not_dumpable():
    """The child opens its page map before it drops back to not dumpable;
    without it every watched input would be copied and compared instead."""
    from grader.sandbox import BwrapSandbox, unavailable_reason

    if unavailable_reason():
        pytest.skip(unavailable_reason())
    source = ("import os, sys\n\ndef probe():\n"
              "    return sys.modules['mapping'].WrittenPages.open_pagemap(), os.access('/proc/self/pagemap', os.R_OK)\n")
    with BwrapSandbox(spare=False) as sandbox:
        session, load = _load(source, sandbox)
        with session:
            assert session.load(load).kind == "loaded"
            assert session.call("probe", [], {}, [], 5.0).value == (True, False)


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_packages_beyond_numpy_fail_alike_on_every_backend(backend):
    """The isolated sandbox has only the standard library and numpy; a
    student's own machine may have more (pydantic is in the grader's): a
    submission that needs them fails the same way in both."""
    from grader.sandbox import BwrapSandbox, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    sandbox = ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)
    source = ("try:\n    import pydantic\n    HAVE = True\nexcept ImportError:\n    HAVE = False\n\n"
              "def third_party():\n    return HAVE\n\n"
              "def standard():\n    import json, numpy.linalg\n    return json.dumps(int(numpy.linalg.matrix_rank(numpy.eye(2))))\n\n"
              "def message():\n    try:\n        import pydantic.fields\n    except ModuleNotFoundError as error:\n"
              "        return str(error)\n")
    session, load = _load(source, sandbox)
    try:
        assert session.load(load).kind == "loaded"
        have, standard, message = (session.call(name, [], {}, [], 5.0).value
                                   for name in ("third_party", "standard", "message"))
        assert (have, standard) == (False, "2")
        assert "pydantic" in message and "standard library and numpy" in message
    finally:
        session.close()
        sandbox.close()


STARVED = ("import hashlib, os, threading, time\n\n\ndef spin(seconds):\n    start = time.process_time()\n"
           "    while time.process_time() - start < seconds:\n        pass\n    return 'done'\n\n\n"
           "def nap(seconds):\n    time.sleep(seconds)\n    return 'woke'\n\n\n"
           "def nap_beside_busy_threads(seconds):\n    end = time.monotonic() + seconds\n"
           "    def hash_until_done():\n        while time.monotonic() < end:\n"
           "            hashlib.sha256(bytes(1 << 20)).digest()  # (without the GIL)\n"
           "    for _ in range(3):\n        threading.Thread(target=hash_until_done, daemon=True).start()\n"
           "    time.sleep(seconds)\n    return 'woke'\n\n\n"
           "def spin_behind_busy_threads(seconds):\n    end = time.monotonic() + 3 * seconds\n"
           "    def hash_until_done():\n        while time.monotonic() < end:\n"
           "            hashlib.sha256(bytes(1 << 25)).digest()  # (without the GIL)\n"
           "    for _ in range(2):\n        threading.Thread(target=hash_until_done, daemon=True).start()\n"
           "    try:\n        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n    except OSError:\n        pass\n"
           "    start = time.process_time()\n    while time.process_time() - start < seconds:\n        pass\n"
           "    return 'done'\n\n\n"
           "def spin_behind_threads_that_end(seconds):\n    end = time.monotonic() + 3 * seconds\n"
           "    def work_briefly():\n        stop = time.monotonic() + 0.05\n        while time.monotonic() < stop:\n"
           "            hashlib.sha256(bytes(1 << 22)).digest()\n"
           "    def keep_starting():\n        while time.monotonic() < end:\n"
           "            worker = threading.Thread(target=work_briefly)\n            worker.start()\n            worker.join()\n"
           "    for _ in range(2):\n        threading.Thread(target=keep_starting, daemon=True).start()\n"
           "    start = time.process_time()\n    while time.process_time() - start < seconds:\n        pass\n"
           "    return 'done'\n")


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_a_call_starved_of_cpu_by_a_loaded_machine_gets_the_time_it_waited(backend):
    """A call's time runs on the wall clock; on a machine busier than its cores,
    the time the child waited for a CPU is added (a correct submission must
    not time out because others ran), while a call that sleeps gets nothing."""
    import subprocess
    import sys

    from grader.sandbox import BwrapSandbox, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    sandbox = ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)
    session, load = _load(STARVED, sandbox)
    hog = "import time\nend = time.time() + 8\nwhile time.time() < end:\n    pass\n"
    hogs = []
    try:
        assert session.load(load).kind == "loaded"
        # Each hog in a session (a scheduling group) of its own: the child gets about 2/7 of a CPU.
        hogs = [subprocess.Popen([sys.executable, "-c", hog], start_new_session=True) for _ in range(6)]
        time.sleep(0.2)
        started = time.perf_counter()
        spun = session.call("spin", [0.4], {}, [], 1.0)
        assert spun.kind == "returned" and spun.value == "done", (spun.kind, spun.detail)
        assert time.perf_counter() - started > 1.0  # it did need more than its second of wall time
        started = time.perf_counter()
        napped = session.call("nap", [3.0], {}, [], 1.0)
        assert napped.kind == "timeout" and time.perf_counter() - started < 2.0
        # Its own busy threads wait for CPUs, the call's thread does not: no more time for it.
        session.close()
        session, load = _load(STARVED, sandbox)
        assert session.load(load).kind == "loaded"
        started = time.perf_counter()
        napped = session.call("nap_beside_busy_threads", [3.0], {}, [], 1.0)
        assert napped.kind == "timeout" and time.perf_counter() - started < 2.0
    finally:
        for process in hogs:
            process.kill()
            process.wait()
        session.close()
        sandbox.close()


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_waiting_behind_its_own_busy_threads_earns_a_call_no_more_time(backend):
    """(A review made its main thread SCHED_IDLE beside threads hashing without
    the GIL: it waited for a CPU all the time, and got 3x every limit on an
    idle machine.) The CPU its own threads used is taken off its wait."""
    sandbox = _sandbox(backend)
    session, load = _load(STARVED, sandbox)
    hogs: list = []
    try:
        assert session.load(load).kind == "loaded"
        started = time.perf_counter()
        spun = session.call("spin_behind_busy_threads", [2.0], {}, [], 1.0)
        assert spun.kind == "timeout" and time.perf_counter() - started < 2.0, (spun.kind, spun.seconds)
        session.close()
        session, load = _load(STARVED, sandbox)  # (threads that end keep their work counted)
        assert session.load(load).kind == "loaded"
        started = time.perf_counter()
        spun = session.call("spin_behind_threads_that_end", [2.0], {}, [], 1.0)
        assert spun.kind == "timeout" and time.perf_counter() - started < 2.0, (spun.kind, spun.seconds)
    finally:
        for process in hogs:
            process.kill()
            process.wait()
        session.close()
        sandbox.close()


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_a_load_starved_of_cpu_gets_the_time_it_waited_even_from_a_child_still_starting(backend):
    """(A fresh sandbox's child has no run-queue reading when its load is sent:
    loading then got no more time on a busy machine, and a notebook whose demo
    cells loaded in 7 s alone was interrupted, then killed, at 6 graders at once.)"""
    import subprocess
    import sys

    sandbox = _sandbox(backend, load_seconds=1.0, load_grace_seconds=0.2, load_interrupts=1)
    spin_at_load = ("import time\nstart = time.process_time()\nwhile time.process_time() - start < 0.4:\n    pass\n\n"
                    "def slow_add(x):\n    return x + 1\n")
    # A run before, on the same zygote: the CPU its sandbox used then is none of the next child's.
    earlier, load = _load(spin_at_load, sandbox)
    assert earlier.load(load).kind == "loaded"
    earlier.close()
    hog = "import time\nend = time.time() + 8\nwhile time.time() < end:\n    pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", hog], start_new_session=True) for _ in range(6)]
    try:
        time.sleep(0.2)
        session, load = _load(spin_at_load, sandbox)
        started = time.perf_counter()
        loaded = session.load(load)
        assert loaded.kind == "loaded" and loaded.interrupted == 0 and loaded.errors == [], loaded
        assert time.perf_counter() - started > 1.0  # it did need more than its second of wall time
        session.close()
    finally:
        for process in hogs:
            process.kill()
            process.wait()
        sandbox.close()


ESCAPING_WORK = ("import os, signal, time\n\n\ndef _spin(seconds):\n    start = time.process_time()\n"
                 "    while time.process_time() - start < seconds:\n        pass\n\n\n"
                 "_banked = os.fork()\nif _banked == 0:  # CPU used before the batch, by a child nobody will wait for\n"
                 "    _spin(1.5)\n    time.sleep(20)\n    os._exit(0)\ntime.sleep(2.0)\n\n\n"
                 "def release_banked_then_spin(seconds):\n    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
                 "    os.kill(_banked, signal.SIGKILL)\n    time.sleep(0.05)\n    _spin(seconds)\n    return 'done'\n\n\n"
                 "def spin_beside_orphans(seconds):\n    middle = os.fork()\n    if middle == 0:\n"
                 "        for _ in range(4):\n            if os.fork() == 0:  # orphaned at once: the namespace's init adopts it\n"
                 "                end = time.monotonic() + 3 * seconds\n                while time.monotonic() < end:\n"
                 "                    pass\n                os._exit(0)\n        os._exit(0)\n"
                 "    os.waitpid(middle, 0)\n    _spin(seconds)\n    return 'done'\n")


@pytest.mark.parametrize("call", ["release_banked_then_spin", "spin_beside_orphans"])
def test_work_that_leaves_the_childs_own_count_earns_it_no_more_time(call):
    """(A review gave a 5 s loop on a 2 s limit a pass on an idle machine:
    CPU of a child released without a wait vanished from the child's own
    work, and orphans adopted by the namespace's init were never in it.) The
    sandbox's cgroup accounts all of it."""
    from grader.sandbox import cgroups

    if not cgroups.available():
        pytest.skip("no writable v1 cgroups here: the child's own work is counted from /proc, less completely")
    sandbox = _sandbox("bwrap", load_seconds=5.0)
    session, load = _load(ESCAPING_WORK, sandbox)
    try:
        assert session.load(load).kind == "loaded"
        started = time.perf_counter()
        spun = session.call(call, [2.0], {}, [], 1.0)
        assert spun.kind == "timeout" and time.perf_counter() - started < 2.0, (spun.kind, spun.seconds)
    finally:
        session.close()
        sandbox.close()


def test_a_childs_wait_for_others_starts_at_its_own_beginning_on_a_long_lived_zygote():
    """The sandbox's cgroup keeps all its CPU since the zygote started: a new
    child's count must start where it was asked for, or its load (read when
    the child is still starting) would owe the CPU of every run before it and
    get no allowance on a busy machine."""
    from grader.sandbox import cgroups

    if not cgroups.cpuacct_available():
        pytest.skip("no writable cpuacct cgroup here")
    sandbox = _sandbox("bwrap")
    try:
        spin = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 1.0:\n    pass\n"
        earlier, load = _load(spin, sandbox)
        assert earlier.load(load).kind == "loaded"
        earlier.close()
        session = sandbox.session()
        deadline = time.monotonic() + 5
        while (waited := session.process.waited_for_others()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waited is not None and abs(waited) < 0.1, waited
        session.close()
    finally:
        sandbox.close()

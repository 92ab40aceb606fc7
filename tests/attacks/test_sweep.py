"""A sweep of surfaces the other attack modules leave out: the reply channel
attacked from the child (bytes dripped past the deadline, frames claiming huge
sizes, replies for calls not sent yet, the request socket used backwards with
descriptors passed to the parent, the channel closed or dup2-ed), misbehaving
exceptions, daemons behind a child subreaper, memory held outside the address
space limit, CPU taken from another submission, the report's file name, and
the parent's own reading of a hostile file.

Tests marked xfail(strict=True) assert the behaviour the grader should have
and fail today: each is a hole, explained in its reason."""

from __future__ import annotations

import builtins

import dataclasses
import io
import json
import os
import textwrap
import threading
import time

import pytest
from rich.console import Console

from grader.engine import grade, grade_file
from grader.report import render_terminal
from grader.sandbox import BwrapSandbox, cgroups
from grader.submission import from_python

from conftest import single_exercise, submission_source

from .conftest import attack_limits, start_sandbox
from .helpers import (DENSE, DENSE_FORMULA, DENSE_POINTS, assert_only_zygotes_left,
                      assert_still_grades_a_correct_submission, assert_timed_out_once, dense_with, needs_sandbox,
                      outcomes, probe_json, run_source)

pytestmark = needs_sandbox

FAST = {"time_seconds": 1.0, "total_seconds": 3.0}


def _nothing_passed(exercise) -> None:
    assert exercise.score == 0 and all(test.status != "passed" and test.score == 0 for test in exercise.tests), \
        outcomes(exercise)


# --------------------------------------------------- the reply channel, from the child


CHANNEL_ATTACK = '''
import os, socket, struct, sys, time

def _request_socket():
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("socket:"):
                return int(name)
        except OSError:
            pass

def _attack(fd, *rest):
    ATTACK
    os._exit(0)

def dense_param_count(in_features, out_features, bias=True):
    sys.modules["protocol"].write_parts = _attack  # the compact answer
    sys.modules["protocol"].write_message = _attack  # and every other
    return 0
'''

CHANNEL_ATTACKS = {
    # A size beyond what the call's answer could need: refused at once.
    "huge-size": ("""
        os.write(fd, struct.pack(">II", 250 << 20, 2) + b"{}")
        time.sleep(5)
    """, {("error", "protocol_error")}),
    # After the deadline the reader goes on while bytes are waiting: three
    # writers keep some waiting, one byte at a time, for 6 s (bounded).
    # (Sizes within what a reply to this call may be.)
    "drip-past-the-deadline": ("""
        os.write(fd, struct.pack(">II", 4 << 20, 2) + b"{}")
        end = time.monotonic() + 6
        for _ in range(2):
            if os.fork() == 0:
                break
        while time.monotonic() < end:
            os.write(fd, b"x")
            time.sleep(0.0005)  # (never the whole frame in time)
    """, {("timeout", "timeout")}),
    "large-size-then-silence": ("""
        os.write(fd, struct.pack(">II", 4 << 20, 2) + b"{}")
        time.sleep(5)
    """, {("timeout", "timeout")}),
    "large-size-then-close": ("""
        os.write(fd, struct.pack(">II", 4 << 20, 2) + b"{}")
        os.close(fd)
        time.sleep(5)
    """, {("error", "crashed")}),
    "reply-on-the-request-socket": ("""
        forged = struct.pack(">I", 0) + struct.pack("<BBHd", 3, 0, 0, 0.0) + struct.pack("<q", 1)
        os.dup2(_request_socket(), fd)
        os.write(fd, struct.pack(">I", len(forged)) + forged)
        time.sleep(5)
    """, {("error", "crashed")}),  # (dup2 closes the reply pipe: the grader sees its end)
    "both-channel-fds-closed": ("""
        os.close(_request_socket())
        os.close(fd)
        time.sleep(5)
    """, {("error", "crashed")}),
}


@pytest.mark.parametrize("attack", list(CHANNEL_ATTACKS))
def test_the_reply_channel_attacked_from_the_child_costs_one_case_time(attack, sandbox, full_plan):
    body, expected = CHANNEL_ATTACKS[attack]
    source = CHANNEL_ATTACK.replace("    ATTACK", textwrap.indent(textwrap.dedent(body).strip(), "    "))
    started = time.perf_counter()
    report = grade(from_python(source), single_exercise(full_plan, DENSE, **FAST), sandbox=sandbox, lang="en")
    elapsed = time.perf_counter() - started
    exercise = report.exercises[0]
    _nothing_passed(exercise)
    assert set(outcomes(exercise)[:1]) == expected, outcomes(exercise)
    if expected == {("timeout", "timeout")}:
        assert_timed_out_once(exercise)
    assert elapsed < 3.0 + 1.0, f"one case's time limit of 1 s cost {elapsed:.1f} s"
    assert_only_zygotes_left()


FDS = """
import os

def _fds(kind):
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name).startswith(kind):
                found.append(int(name))
        except OSError:
            pass
    return found
"""


def test_a_flood_of_replies_for_calls_not_sent_yet_is_never_a_pass(sandbox, full_plan):
    """On its first call the child answers 200 000 calls at once (more than it
    was sent), all wrong: read as answers in turn, the extra ones a protocol error."""
    source = dense_with('''
        global _flooded
        if not _flooded:
            _flooded = True
            reply = struct.pack(">II", 24, 0) + struct.pack("<BBHd", 3, 0, 0, 0.0) + struct.pack("<q", -1)
            fd = max(_fds("pipe:"))
            for _ in range(200):
                os.write(fd, reply * 1000)
    ''', "return -1", FDS + "import struct\n_flooded = False")
    started = time.perf_counter()
    report = grade(from_python(source), single_exercise(full_plan, DENSE, **FAST), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _nothing_passed(exercise)
    assert {test.reason for test in exercise.tests} <= {"wrong_value", "protocol_error"}, outcomes(exercise)
    assert "protocol_error" in {test.reason for test in exercise.tests}
    assert time.perf_counter() - started < 5
    assert_only_zygotes_left()


def _parent_descriptors(name: str) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if name in target:
            found.append(target)
    return found


def test_descriptors_passed_back_on_the_request_socket_never_reach_the_grader(sandbox, full_plan):
    """The request channel is a Unix socket: the child sends a forged right
    answer on it with SCM_RIGHTS descriptors (a file, its own ends of
    both channels). The grader never reads that direction: nothing is
    judged from it and no descriptor is left open in the grader."""
    source = dense_with('''
        global _sent
        if not _sent:
            _sent = True
            channel = _fds("socket:")[0]
            reply_pipe = max(_fds("pipe:"))
            try:
                memory = os.memfd_create("sweep-passed-back")
            except OSError:  # refused by the filter: a file of its scratch folder instead
                memory = os.open("sweep-passed-back", os.O_RDWR | os.O_CREAT, 0o600)
            os.write(memory, b"x" * 4096)
            forged = struct.pack(">II", 24, 0) + struct.pack("<BBHd", 3, 0, 0, 0.0) + struct.pack("<q", RIGHT)
            with socket.socket(fileno=os.dup(channel)) as back:
                for passed in [[memory, reply_pipe]] * 50 + [[channel]]:
                    try:
                        socket.send_fds(back, [forged], passed)
                    except OSError:  # a socket passed over itself: ETOOMANYREFS
                        pass
    ''', "return -1", FDS + "import socket, struct\n_sent = False").replace(
        "    global _sent", f"    RIGHT = {DENSE_FORMULA}\n    global _sent")
    report = grade(from_python(source), single_exercise(full_plan, DENSE, **FAST), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _nothing_passed(exercise)
    assert {test.reason for test in exercise.tests} == {"wrong_value"}, outcomes(exercise)
    assert_only_zygotes_left()
    assert _parent_descriptors("sweep-passed-back") == []


# --------------------------------------------------------------- exceptions


EXCEPTIONS = {
    "str-raises": ('''
        class Bad(Exception):
            def __str__(self):
                raise RuntimeError("no")
        raise Bad()
    ''', {("error", "exception")}),
    "metaclass-name-property-raises": ('''
        class Meta(type):
            __name__ = property(lambda cls: 1 / 0)
        class Bad(Exception, metaclass=Meta):
            pass
        raise Bad()
    ''', {("error", "crashed")}),
    "deep-context-chain": ('''
        error = ValueError("start")
        for index in range(100000):
            try:
                raise KeyError(index) from error
            except KeyError as new:
                error = new
        raise error
    ''', {("error", "exception")}),
    "huge-message-with-escapes": ('''
        raise ValueError("\\x1b[2J\\x1b]0;pwned\\x07[bold green]PASSED[/]" + "\\u202e" * 10 + "y" * 10 ** 7)
    ''', {("error", "exception")}),
    "class-named-like-a-builtin": ('''
        raise type("ValueError", (Exception,), {"__module__": "builtins", "__qualname__": "ValueError"})("x")
    ''', {("error", "exception")}),
}


@pytest.mark.parametrize("kind", list(EXCEPTIONS))
def test_misbehaving_exceptions_get_a_clear_verdict_and_show_nothing_raw(kind, sandbox, full_plan):
    body, expected = EXCEPTIONS[kind]
    report = grade(from_python(dense_with(body, "pass")), single_exercise(full_plan, DENSE, **FAST),
                   sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _nothing_passed(exercise)
    assert set(outcomes(exercise)) <= expected | {("timeout", "not_run")}, outcomes(exercise)
    assert outcomes(exercise)[0] in expected
    text = report.model_dump_json()
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert all(len(test.message) < 1000 for test in exercise.tests)
    for test in exercise.tests:
        if test.visibility == "hidden":
            assert "PASSED" not in test.message and "yyyy" not in test.message
    assert_only_zygotes_left()


# ----------------------------------------------------- what outlives a run


SUBREAPER = '''
import ctypes, json, os, signal, time

def _leave(tag):
    libc = ctypes.CDLL(None)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us, not to PID 1
    signal.setitimer(signal.ITIMER_REAL, 0.2, 0.2)
    signal.signal(signal.SIGALRM, lambda *a: None)
    for _ in range(3):
        if os.fork() == 0:
            libc.prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG: none
            os.setsid()
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.signal(signal.SIGHUP, signal.SIG_IGN)
                end = time.monotonic() + 10  # bounded
                while time.monotonic() < end:
                    try:
                        with open("/dev/shm/reaped-" + tag, "a") as handle:
                            handle.write("alive\\n")
                    except OSError:
                        pass
                    time.sleep(0.02)
                os._exit(0)
            os._exit(0)
'''


def test_daemons_behind_a_child_subreaper_do_not_survive(sandbox, full_plan):
    source = SUBREAPER + "\n_left = False\n\n" + dense_with(
        "global _left\nif not _left:\n    _left = True\n    _leave('%d' % os.getpid())")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.score == DENSE_POINTS
    assert_only_zygotes_left()
    seen = probe_json(sandbox, '''
import json, os, time

def probe():
    time.sleep(0.1)
    found = [name for place in ("/tmp", "/tmp/work", "/dev/shm") for name in os.listdir(place) if "reaped" in name]
    return json.dumps({"found": found, "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                       "me": os.getpid()})
''')
    assert seen["found"] == [] and seen["pids"] == sorted([1, seen["me"]]), seen


# ------------------------------------------------ memory outside RLIMIT_AS


MEMFD_PROBE = '''
import json, os, time

def _fill():
    held, fds, chunk = 0, [], b"\\1" * (1 << 20)
    try:
        for index in range(57):  # bounded: under the 64 open files, 8 MiB each (the file size limit)
            fds.append(os.memfd_create("held-%d" % index))
            for _ in range(8):
                held += os.write(fds[-1], chunk)
    except OSError:
        pass
    return fds, held

def probe():
    if os.fork() == 0:  # one more process holding as much (it reports through a file: no pipes)
        fds, held = _fill()
        with open("/tmp/work/held", "w") as handle:
            handle.write("%d" % held)
        time.sleep(2)
        os._exit(0)
    fds, held = _fill()
    other, end = "", time.monotonic() + 5
    while not other and time.monotonic() < end:
        time.sleep(0.05)
        try:
            with open("/tmp/work/held") as handle:
                other = handle.read()
        except OSError:
            pass
    return json.dumps({"held_mib": (held + int(other or 0)) >> 20})
'''


@pytest.mark.skipif(not cgroups.available(), reason="no writable v1 memory cgroup here")
def test_memory_files_outside_the_address_space_limit_stop_at_the_memory_cgroup(private_sandbox, course, full_plan):
    outcome = run_source(private_sandbox, MEMFD_PROBE)
    if outcome.kind == "returned":
        held = json.loads(outcome.value)["held_mib"]
        assert held <= private_sandbox.limits.memory_mb + 256, held
    else:
        assert outcome.kind == "crashed" and "SIGKILL" in outcome.detail, outcome
    report = grade(from_python(submission_source(course)), full_plan, sandbox=private_sandbox, lang="en")
    assert report.score == report.max_score


def test_memory_files_cannot_hold_memory_beyond_the_limit_without_cgroups(full_plan, monkeypatch):
    """RLIMIT_AS counts mapped memory only: memory files (8 MiB each under
    RLIMIT_FSIZE, ~57 per process, 16 processes) held ~7 GiB where no memory
    cgroup bounds the sandbox. The filter refuses memfd_create."""
    monkeypatch.setattr(cgroups, "available", lambda: False)
    box = start_sandbox(full_plan)
    try:
        assert box._all[0].cgroup is None
        outcome = run_source(box, MEMFD_PROBE)
        held = json.loads(outcome.value)["held_mib"] if outcome.kind == "returned" else 0
        assert held <= box.limits.memory_mb, f"two processes held {held} MiB in memory files"
    finally:
        box.close()


# ------------------------------------------------ CPU taken from another submission


HOG = '''
import os, time

def probe():
    end = time.monotonic() + 3.5  # bounded
    for _ in range(14):  # up to the process limit, each in a session (a scheduler group) of its own
        if os.fork() == 0:
            os.setsid()
            while time.monotonic() < end:
                pass
            os._exit(0)
    while time.monotonic() < end:
        pass
    return 1
'''


@pytest.mark.skipif(not cgroups.cpu_available(),
                    reason="no writable cpu cgroup here: sandboxes are not scheduled as units")
def test_a_submission_cannot_make_another_ones_correct_answers_time_out(full_plan):
    """15 busy processes, each in a session (a scheduler group) of its own, took
    7/8 of the CPU from a submission graded beside them, whose correct answers
    then timed out. Each sandbox is one cpu cgroup: it gets its share, no more."""
    box = BwrapSandbox(dataclasses.replace(attack_limits(full_plan)), slots=2, spare=False)
    try:
        victim = dense_with("global _slow\nif _slow:\n    _slow = False\n    start = time.process_time()\n"
                            "    while time.process_time() - start < 0.3:\n        pass",
                            imports="import time\n_slow = True")
        plan = single_exercise(full_plan, DENSE, **FAST)
        alone = grade(from_python(victim), plan, sandbox=box, lang="en")
        assert alone.score == DENSE_POINTS  # on its own it passes
        hog = threading.Thread(target=run_source, args=(box, HOG))
        hog.start()
        time.sleep(0.5)
        try:
            report = grade(from_python(victim), plan, sandbox=box, lang="en")
        finally:
            hog.join()
        assert report.score == DENSE_POINTS, outcomes(report.exercises[0])
    finally:
        box.close()


# ------------------------------------------------ the parent's own work on a hostile file


def _compiled_characters(monkeypatch, source: str):
    """(the submission read from ``source``, how many characters the grader compiled for it)."""
    compiled = []
    real = builtins.compile

    def counting(text, *args, **kwargs):
        compiled.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    submission = from_python(source)
    monkeypatch.undo()
    return submission, sum(compiled)


def test_reading_a_file_with_a_syntax_error_costs_work_in_proportion_to_its_size(monkeypatch):
    """A file that does not compile is split into its statements, each compiled
    where it stands. Padding each with its line offset in blank lines made
    that quadratic, in the trusted grader, before any limit: 20,000 lines took
    ~3 s, a 2 MiB file about half an hour."""
    source = "a=1\n" * 2000 + "x x\n"
    submission, work = _compiled_characters(monkeypatch, source)
    assert len(submission.syntax_errors) == 1 and submission.syntax_errors[0].line == 2001
    assert len(submission.units) == 2000 and submission.units[-1].line_offset == 1999
    assert work < 20 * len(source), f"{work} characters compiled for a {len(source)}-character file"


def test_a_file_of_more_statements_than_any_student_writes_is_not_split(monkeypatch):
    source = "a=1\n" * 6000 + "x x\n"
    submission, work = _compiled_characters(monkeypatch, source)
    assert submission.units == [] and [problem.line for problem in submission.syntax_errors] == [6001]
    assert work <= 2 * len(source)


def test_a_hostile_file_name_is_inert_in_the_terminal_report(tmp_path, full_plan):
    name = "\x1b[2J\x1b]0;pwned\x07[bold red]PASSED\u202e.py"
    path = tmp_path / name
    path.write_bytes(b"\xff\xfe not utf-8")
    report = grade_file(path, full_plan, lang="en")
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, force_terminal=True, width=200, color_system="standard"))
    shown = buffer.getvalue()
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "[bold red]PASSED" in shown  # printed as text, not parsed as markup
    assert report.score == 0


def test_zz_the_grader_still_grades_a_correct_submission(sandbox, course, full_plan):
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)

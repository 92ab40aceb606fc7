"""Resource attacks: infinite loops, fork and thread bombs, memory bombs, disk fills,
floods of output, deep recursion, dodging the timeout. Each is bounded, ends in a
precise verdict that scores nothing it did not earn, and leaves the grader working."""

from __future__ import annotations

import shutil

import pytest

from grader.engine import grade
from grader.submission import from_python

from conftest import isolated, single_exercise, submission_source

from .helpers import (DENSE, DENSE_FORMULA, DENSE_POINTS, assert_every_case, assert_no_secret,
                      assert_only_zygotes_left, assert_still_grades_a_correct_submission, assert_timed_out_once,
                      by_id, dense_with, evidence_dense, needs_sandbox, only, outcomes, probe_json)

pytestmark = needs_sandbox

FAST = {"time_seconds": 1.0, "total_seconds": 3.0}


def _with_conv_param_count(course, source: str) -> str:
    """``source`` plus the correct conv_param_count, to show the other exercises still get graded."""
    return source + "\n\n" + isolated(course.reference_path("conv-param-count").read_text(), "conv_param_count")


# ------------------------------------------------------------------------- loops


def test_an_endless_loop_at_import_time_is_interrupted_and_the_rest_of_the_file_graded(sandbox, course, full_plan):
    """As Jupyter's 'interrupt kernel' (a demo cell left running): the loop
    stops, the definitions after it load, the report says where it stopped."""
    source = ("import time\n_end = time.monotonic() + 10\nwhile time.monotonic() < _end:  # bounded 'forever'\n"
              "    pass\n" + submission_source(course))
    plan = only(full_plan, "conv-param-count", DENSE, **FAST)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    assert report.score == report.max_score, [outcomes(exercise) for exercise in report.exercises]
    assert any("interrupted (line 3)" in problem for problem in report.problems), report.problems
    assert report.seconds < 6
    assert_only_zygotes_left()


def test_an_import_time_loop_that_shrugs_off_interruptions_times_out_every_exercise(sandbox, course, full_plan):
    source = ("import time\n_end = time.monotonic() + 10\nwhile time.monotonic() < _end:  # bounded 'forever'\n"
              "    try:\n        while time.monotonic() < _end:\n            pass\n    except KeyboardInterrupt:\n"
              "        pass\n" + submission_source(course))
    plan = only(full_plan, "conv-param-count", DENSE, **FAST)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    for exercise in report.exercises:  # the module never finishes loading: nothing can be graded
        assert exercise.score == 0 and exercise.status == "error"
        assert {test.status for test in exercise.tests} == {"timeout"}, outcomes(exercise)
        assert {test.reason for test in exercise.tests} <= {"timeout", "not_run", "load_failed"}, outcomes(exercise)
    assert report.score == 0
    assert any("loading" in problem and "time limit" in problem for problem in report.problems), report.problems
    assert report.seconds < 2 + 3 * 1 + 2  # the load's time, three graces, some slack
    assert_only_zygotes_left()


@pytest.mark.parametrize("loop", [
    pytest.param("while time.monotonic() < end:\n    pass", id="busy-loop"),
    pytest.param("time.sleep(10)", id="sleep"),
    pytest.param("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", id="sigstop-self"),
    pytest.param("import signal\nfor number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM,\n"
                 "               signal.SIGXCPU, signal.SIGUSR1):\n    signal.signal(number, signal.SIG_IGN)\n"
                 "while time.monotonic() < end:\n    pass", id="ignores-sigterm"),
    pytest.param("while time.monotonic() < end:\n    try:\n        while time.monotonic() < end:\n            pass\n"
                 "    except BaseException:\n        continue", id="catches-baseexception"),
    pytest.param("import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)\nsignal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)\n"
                 "try:\n    while time.monotonic() < end:\n        pass\nfinally:\n"
                 "    while time.monotonic() < end:\n        pass", id="loops-in-finally"),
    pytest.param("import threading\nworker = threading.Thread(target=lambda: time.sleep(10))\nworker.start()\nworker.join()",
                 id="joins-a-thread"),
])
def test_infinite_loop_in_a_function_times_out_once_and_other_exercises_are_graded(loop, sandbox, course, full_plan):
    source = _with_conv_param_count(course, dense_with("end = time.monotonic() + 10\n" + loop, "return -1",
                                                       "import time"))
    plan = only(full_plan, "conv-param-count", DENSE, **FAST)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    exercises = by_id(report)
    assert_timed_out_once(exercises[DENSE])
    assert exercises[DENSE].tests[0].seconds < 2.0
    assert exercises["conv-param-count"].status == "passed"
    assert report.score == exercises["conv-param-count"].max_score
    assert report.seconds < 5
    assert_only_zygotes_left()


# ---------------------------------------------------------------- process bombs


FORK_PROBE = '''
import errno, json, os, time

def probe():
    children, error = [], ""
    for _ in range(200):  # bounded
        try:
            pid = os.fork()
        except OSError as exc:
            error = errno.errorcode.get(exc.errno, str(exc.errno))
            break
        if pid == 0:
            time.sleep(10)
            os._exit(0)
        children.append(pid)
    return json.dumps({"forks": len(children), "error": error,
                       "leaks": ["200 forks allowed"] if len(children) >= 200 else []})
'''

THREAD_PROBE = '''
import json, threading, time

def probe():
    started, error = 0, ""
    for _ in range(200):  # bounded
        try:
            threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
        except RuntimeError as exc:
            error = str(exc)
            break
        started += 1
    return json.dumps({"threads": started, "error": error,
                       "leaks": ["200 threads allowed"] if started >= 200 else []})
'''


def test_fork_bomb_stops_at_the_process_limit(sandbox, full_plan):
    seen = probe_json(sandbox, FORK_PROBE)
    assert seen["leaks"] == [] and seen["error"] == "EAGAIN" and seen["forks"] < 24, seen
    report = grade(from_python(evidence_dense(FORK_PROBE)), single_exercise(full_plan, DENSE, **FAST),
                   sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS
    assert_only_zygotes_left()  # the sleeping children died with the run


def test_classic_fork_bomb_times_out_and_leaves_no_process(sandbox, course, full_plan):
    bomb = """
        me, end, forks = os.getpid(), time.monotonic() + 10, 0
        while time.monotonic() < end and forks < 200:  # every process keeps forking, bounded
            try:
                os.fork()
                forks += 1
            except OSError:
                time.sleep(0.01)
        if os.getpid() != me:
            os._exit(0)
    """
    source = _with_conv_param_count(course, dense_with(bomb, "return -1", "import os, time"))
    report = grade(from_python(source), only(full_plan, "conv-param-count", DENSE, **FAST), sandbox=sandbox, lang="en")
    assert_timed_out_once(by_id(report)[DENSE])
    assert by_id(report)["conv-param-count"].status == "passed"
    assert_only_zygotes_left()


def test_thread_bomb_stops_at_the_task_limit(sandbox, full_plan):
    seen = probe_json(sandbox, THREAD_PROBE)
    assert seen["leaks"] == [] and "can't start new thread" in seen["error"] and seen["threads"] < 24, seen
    report = grade(from_python(evidence_dense(THREAD_PROBE)), single_exercise(full_plan, DENSE, **FAST),
                   sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS
    assert_only_zygotes_left()


# ---------------------------------------------------------------- memory bombs


@pytest.mark.parametrize("bomb", [
    pytest.param("return np.ones((1 << 40,)).size", id="numpy-1TiB"),
    pytest.param("return np.zeros((1 << 16, 1 << 16)).sum()", id="numpy-32GiB"),
    pytest.param("chunks = []\nfor _ in range(4096):  # at most 4 GiB\n    chunks.append(bytearray(1 << 20))\n"
                 "return len(chunks)", id="list-of-bytearrays"),
    pytest.param("items = [0]\nwhile len(items) < 10 ** 10:\n    items = items + items\nreturn len(items)",
                 id="list-doubling"),
    pytest.param("text = 'x'\nfor _ in range(40):\n    text += text\nreturn len(text)", id="string-doubling"),
])
def test_memory_bomb_is_a_memory_limit_and_the_grader_keeps_working(bomb, sandbox, public_plan):
    source = "import numpy as np\n\n\ndef dense_param_count(in_features, out_features, bias=True):\n" + \
        "\n".join("    " + line for line in bomb.splitlines()) + "\n"
    plan = single_exercise(public_plan, DENSE, time_seconds=5.0, total_seconds=10.0)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert_every_case(exercise, ("memory_limit", "memory"))
    assert "512 MiB" in exercise.tests[0].message
    again = grade(from_python(dense_with("")), plan, sandbox=sandbox, lang="en")
    assert again.score == again.max_score


# ------------------------------------------------------------------- disk fill


DISK_PROBE = '''
import errno, json, os

def fill(directory, limit=100 << 20):
    """Write up to 100 MB there in 4 MiB files; how much went in, and the error that stopped it."""
    written, error, names, data = 0, "", [], b"\\0" * (1 << 20)
    try:
        while written < limit:
            name = os.path.join(directory, "fill-%d" % len(names))
            names.append(name)
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                for _ in range(4):
                    written += os.write(fd, data)
            finally:
                os.close(fd)
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    for name in names:
        try:
            os.unlink(name)
        except OSError:
            pass
    return written, error

def one_big_file(limit=12 << 20):
    written, error = 0, ""
    try:
        with open("big", "wb", buffering=0) as fh:
            while written < limit:
                written += fh.write(b"\\0" * (1 << 20))
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    os.unlink("big")
    return written, error

def probe():
    seen = {"cwd": os.getcwd(), "tmp": fill("/tmp"), "work": fill("."), "shm": fill("/dev/shm"),
            "big": one_big_file()}
    caps = {"tmp": 32 << 20, "work": 32 << 20, "shm": 8 << 20, "big": 8 << 20}
    seen["leaks"] = [place for place, cap in caps.items() if seen[place][0] > cap or not seen[place][1]]
    return json.dumps(seen)
'''


def test_disk_fill_stops_at_the_scratch_caps_and_the_host_disk_is_untouched(sandbox, full_plan):
    free_before = shutil.disk_usage("/").free
    seen = probe_json(sandbox, DISK_PROBE)
    assert seen["cwd"] == "/tmp/work"
    assert seen["tmp"][1] == seen["work"][1] == seen["shm"][1] == "ENOSPC", seen
    assert 16 << 20 < seen["tmp"][0] <= 32 << 20 and 16 << 20 < seen["work"][0] <= 32 << 20, seen
    assert 0 < seen["shm"][0] <= 8 << 20, seen
    assert seen["big"] == [8 << 20, "EFBIG"], seen
    assert seen["leaks"] == []
    report = grade(from_python(evidence_dense(DISK_PROBE)), single_exercise(full_plan, DENSE),
                   sandbox=sandbox, lang="en")
    assert report.score == DENSE_POINTS
    # The probe wrote up to 2 x 100 MB; the host filesystem did not grow by it.
    assert free_before - shutil.disk_usage("/").free < 64 << 20


# ---------------------------------------------------------------------- output


def test_printing_past_the_output_limit_is_an_output_limit_error(sandbox, public_plan):
    source = dense_with("for _ in range(9 * 1024):  # 9 MiB\n    print('x' * 1023)")  # a right answer, but noisy
    report = grade(from_python(source), single_exercise(public_plan, DENSE), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert outcomes(exercise) == [("error", "output_limit")] * len(exercise.tests)
    assert exercise.score == 0
    assert all(len(test.output) <= 1001 for test in exercise.tests)


def test_printed_output_is_capped_escaped_and_never_scores(sandbox, full_plan):
    noise = ("print('\\x1b[2J\\x1b]0;pwned\\x07[bold green]PASSED[/] {\"status\": \"passed\", \"score\": 1000}')\n"
             "print('\\u202e' + 'y' * 20000)")
    for body, points in ((f"return {DENSE_FORMULA}", DENSE_POINTS), ("return 0", 0.0)):
        report = grade(from_python(dense_with(noise, body)), single_exercise(full_plan, DENSE),
                       sandbox=sandbox, lang="en")
        exercise = report.exercises[0]
        assert exercise.score == report.score == points
        for test in exercise.tests:
            if test.visibility == "hidden":
                assert test.output == ""
            else:
                assert 0 < len(test.output) <= 1001 and test.output.endswith("…")
                assert "\x1b" not in test.output and "\u202e" not in test.output and "\x07" not in test.output
                assert "\\x1b[2J" in test.output


def test_writing_straight_to_fd_1_is_discarded(sandbox, full_plan):
    source = dense_with("for _ in range(10):  # 10 MB\n    os.write(1, b'z' * 1000000)", imports="import os")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.status == "passed" and exercise.score == DENSE_POINTS
    assert all(test.output == "" for test in exercise.tests)
    assert "zzzz" not in report.model_dump_json()


# ------------------------------------------------------------------- recursion


@pytest.mark.parametrize(("code", "expected"), [
    pytest.param("def down(n):\n    return down(n + 1) + 1\nreturn down(0)", ("error", "recursion"), id="default-limit"),
    pytest.param("import sys\nsys.setrecursionlimit(10 ** 4)\ndef down(n):\n    return down(n + 1) + 1\nreturn down(0)",
                 ("error", "recursion"), id="limit-1e4"),
    pytest.param("import sys\nsys.setrecursionlimit(10 ** 6)\nclass Deep:\n    def __getattr__(self, name):\n"
                 "        return getattr(self, name)\nreturn Deep().x", ("error", "crashed"), id="limit-1e6-c-stack"),
    pytest.param("import sys\nsys.setrecursionlimit(10 ** 6)\nnested = []\nfor _ in range(10 ** 5):\n"
                 "    nested = [nested]\nreturn repr(nested)", ("error", "crashed"), id="limit-1e6-repr"),
])
def test_deep_recursion_is_an_error_and_the_grader_keeps_working(code, expected, sandbox, course, public_plan):
    source = _with_conv_param_count(course, dense_with(code, "pass"))
    plan = only(public_plan, "conv-param-count", DENSE, time_seconds=5.0, total_seconds=10.0)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    assert_every_case(by_id(report)[DENSE], expected)
    assert by_id(report)["conv-param-count"].status == "passed"
    assert_no_secret(report)


def test_zz_the_grader_still_grades_a_correct_submission(sandbox, course, full_plan):
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)
"""What outlives a call: background threads and daemons, files and state left for
the next submission, notebook shell escapes, and the channels that carry data
past the end of a case (hidden inputs into a later public output, the child's
stderr, the sandbox's /dev). Also the zygote's own clean-up between runs."""

from __future__ import annotations

import fcntl
import os
import textwrap

import nbformat
import pytest

from grader.engine import grade
from grader.submission import from_notebook, from_python

from conftest import isolated, single_exercise, submission_source

from .helpers import (DENSE, DENSE_FORMULA, DENSE_POINTS, SECRET, assert_no_secret, assert_only_zygotes_left,
                      assert_still_grades_a_correct_submission, by_id, dense_with, evidence_dense, needs_sandbox,
                      only, outcomes, probe_json, zygote_pids)

pytestmark = needs_sandbox

FAST = {"time_seconds": 1.0, "total_seconds": 3.0}


# ---------------------------------------------------- threads and daemons


def test_a_thread_writing_into_the_result_pipe_cannot_help_a_wrong_answer(sandbox, full_plan):
    source = dense_with('''
        def result_pipes():
            for name in os.listdir("/proc/self/fd"):
                fd = int(name)
                try:
                    if fd > 2 and os.readlink("/proc/self/fd/" + name).startswith("pipe:") and \\
                            fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                        yield fd
                except OSError:
                    pass
        def scribble(fds, end):
            while time.monotonic() < end:  # bounded: 5 s
                for fd in fds:
                    try:
                        os.write(fd, b"\\x00\\x00\\x00\\x10" + b"{\\"kind\\":\\"passed\\"}")
                    except OSError:
                        pass
                time.sleep(0.001)
        threading.Thread(target=scribble, args=(list(result_pipes()), time.monotonic() + 5), daemon=True).start()
        time.sleep(0.05)
    ''', "return 0", "import fcntl, os, threading, time")
    report = grade(from_python(source), single_exercise(full_plan, DENSE, **FAST), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.score == 0 and all(test.status != "passed" for test in exercise.tests)
    assert {test.reason for test in exercise.tests} <= {"protocol_error", "wrong_value"}, outcomes(exercise)
    assert "protocol_error" in {test.reason for test in exercise.tests}
    assert_only_zygotes_left()


DAEMON = '''
import os, time

def _daemon(tag):
    """Double fork + setsid: a grandchild in its own session, reparented to PID 1."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            end = time.monotonic() + 10  # bounded
            while time.monotonic() < end:
                for place in ("/tmp", "/tmp/work", "/dev/shm"):
                    try:
                        with open(os.path.join(place, "daemon-" + tag), "a") as handle:
                            handle.write("alive\\n")
                    except OSError:
                        pass
                time.sleep(0.02)
            os._exit(0)
        os._exit(0)
    os.wait()
'''


def test_a_daemon_does_not_survive_the_run(sandbox, full_plan):
    source = DAEMON + "\n_started = False\n\n" + dense_with(
        "global _started\nif not _started:\n    _started = True\n    _daemon('%d' % os.getpid())")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.score == DENSE_POINTS  # a right answer, with daemons on the side, earns what it earns
    assert_only_zygotes_left()
    seen = probe_json(sandbox, '''
import json, os, time

def probe():
    time.sleep(0.1)  # a surviving daemon would have written again by now
    found = [os.path.join(place, name) for place in ("/tmp", "/tmp/work", "/dev/shm")
             for name in os.listdir(place) if name.startswith("daemon-")]
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    return json.dumps({"found": found, "pids": pids, "me": os.getpid()})
''')
    assert seen["found"] == [] and seen["pids"] == sorted([1, seen["me"]]), seen


# ---------------------------------------------------- cross-submission leaks


LEAVE_BEHIND = '''
import builtins, json, os, socket, sys, threading, time
import numpy as np

def leave_behind():
    os.environ["GRADER_LEAK"] = "A"
    np.leaked = builtins.leaked = "A"
    sys.modules["leaked_module"] = sys
    sys.setrecursionlimit(123456)
    for path in ("/tmp/leak-A", "/tmp/work/leak-A", "/dev/shm/leak-A", "/tmp/work/.hidden-A"):
        with open(path, "w") as handle:
            handle.write("secret of A")
    os.mkfifo("/tmp/leak-fifo-A")
    os.symlink("/tmp/work/leak-A", "/tmp/leak-link-A")
    os.chmod("/tmp/leak-A", 0)
    try:  # (no socket may be made in the sandbox now; where one could, it must not outlive the run)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\\0grader-leak-A")
        server.listen(1)
        path_server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path_server.bind("/tmp/leak-sock-A")
        path_server.listen(1)
    except OSError:
        pass
    end = time.monotonic() + 10
    threading.Thread(target=lambda: [time.sleep(0.01) for _ in iter(lambda: time.monotonic() > end, True)],
                     daemon=True).start()
    if os.fork() == 0:  # keeps the sockets open, bounded
        time.sleep(10)
        os._exit(0)

def dense_param_count(in_features, out_features, bias=True):
    if "GRADER_LEAK" not in os.environ:
        leave_behind()
    return in_features * out_features + (out_features if bias else 0)
'''

LOOK_FOR_IT = '''
import builtins, json, os, socket, sys
import numpy as np

def probe():
    leaks = []
    if "GRADER_LEAK" in os.environ:
        leaks.append("environment")
    if hasattr(np, "leaked") or hasattr(builtins, "leaked") or "leaked_module" in sys.modules:
        leaks.append("module state")
    if sys.getrecursionlimit() == 123456:
        leaks.append("interpreter state")
    for place in ("/tmp", "/tmp/work", "/dev/shm"):
        leaks += [os.path.join(place, name) for name in os.listdir(place) if os.path.join(place, name) != "/tmp/work"]
    for name in ("\\0grader-leak-A", "/tmp/leak-sock-A"):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(name)
            leaks.append("socket " + name)
        except OSError:
            pass
    leaks += ["process %s" % pid for pid in os.listdir("/proc") if pid.isdigit() and int(pid) not in (1, os.getpid())]
    return json.dumps({"leaks": leaks})
'''


def test_nothing_of_one_submission_reaches_the_next(sandbox, full_plan):
    plan = single_exercise(full_plan, DENSE)
    first = grade(from_python(LEAVE_BEHIND), plan, sandbox=sandbox, lang="en")
    assert first.score == DENSE_POINTS
    assert_only_zygotes_left()
    assert probe_json(sandbox, LOOK_FOR_IT) == {"leaks": []}
    grade(from_python(LEAVE_BEHIND), plan, sandbox=sandbox, lang="en")
    second = grade(from_python(evidence_dense(LOOK_FOR_IT)), plan, sandbox=sandbox, lang="en")
    assert second.score == DENSE_POINTS  # the right answer only when it found nothing of the first


# ---------------------------------------------------------- notebook magics


def test_notebook_shell_escapes_and_magics_never_run(sandbox, course, full_plan, tmp_path):
    host = tmp_path / "host-marker"
    marker = "/tmp/work/ran-"
    cells = [
        f"!touch {marker}bang {host}-bang",
        f"%%bash\ntouch {marker}bash {host}-bash\necho done",
        f"%%sh\ntouch {marker}sh",
        f"%%script bash\ntouch {marker}script",
        f"%system touch {marker}system",
        f"listing = !touch {marker}assigned",
        f"%sx touch {marker}sx",
        f"if True:\n    !touch {marker}indented\n    %system touch {marker}indented-magic",
        f"%%writefile {marker}writefile.py\nimport os\nos.system('touch {marker}written')",
        "%%capture\nimport os",  # a cell magic whose body is Python: the body runs, in the sandbox
        f"get_ipython().system('touch {marker}ipython')",
        "import os\n\n\ndef dense_param_count(in_features, out_features, bias=True):\n"
        f"    ran = [name for name in os.listdir('/tmp/work') if name.startswith('ran-')]\n"
        f"    return -1 if ran else {DENSE_FORMULA}\n",
        isolated(course.reference_path("conv-param-count").read_text(), "conv_param_count"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    submission = from_notebook(nbformat.writes(notebook))
    report = grade(submission, only(full_plan, "conv-param-count", DENSE), sandbox=sandbox, lang="en")
    assert report.score == report.max_score == DENSE_POINTS + by_id(report)["conv-param-count"].max_score
    skipped = [f"code cell {cell} (%%{magic}) is not run" for cell, magic in
               ((2, "bash"), (3, "sh"), (4, "script"), (9, "writefile"))]
    assert [problem[:len(start)] for problem, start in zip(report.problems, skipped)] == skipped, report.problems
    # get_ipython() is an inert stand-in, as in a kernel with nothing behind it: .system() runs nothing.
    assert len(report.problems) == 4, report.problems
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------- findings


def _hidden_inputs(plan, exercise_id: str, fmt: str = "<<{}>>", sep: str = ",") -> set[str]:
    """How the attacks below write each hidden case's arguments (public look-alikes left out)."""
    exercise = next(item for item in plan.exercises if item.id == exercise_id)
    shown = lambda case: fmt.format(sep.join(str(arg) for arg in case.args))  # noqa: E731
    public = {shown(planned.case) for planned in exercise.cases if planned.case.visibility == "public"}
    return {shown(planned.case) for planned in exercise.cases if planned.case.visibility == "hidden"} - public


def test_hidden_inputs_do_not_leak_into_a_later_public_output(sandbox, full_plan):
    source = textwrap.dedent('''
        _seen = []

        def conv_output_size(*args, **kwargs):
            _seen.append("<<" + ",".join(str(arg) for arg in args) + ">>")
            return 0

        def dense_param_count(in_features, out_features, bias=True):
            print("".join(reversed(_seen)))
            raise ValueError("".join(reversed(_seen))[:280])
    ''')
    plan = only(full_plan, "conv-output-size", DENSE)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    assert report.score == 0
    text = report.model_dump_json()
    leaked = sorted(item for item in _hidden_inputs(plan, "conv-output-size") if item in text)
    assert leaked == [], f"hidden inputs shown to the student: {leaked}"


SAME_EXERCISE_CHANNELS = {
    "caller-frame-printed": ("""
        import sys

        def dense_param_count(in_features, out_features, bias=True):
            seen, frame = [], sys._getframe(1)
            while frame is not None:
                for value in list(frame.f_locals.values()):
                    if isinstance(value, dict) and value.get("kind") == "calls":
                        for call in value["calls"]:
                            seen.append("<<" + ",".join(str(node.get("v")) for node in call["args"]) + ">>")
                frame = frame.f_back
            print("".join(seen[2:]))
            return 0
    """, "<<{}>>", ","),
    "exception-type-name": ("""
        def dense_param_count(in_features, out_features, bias=True):
            raise type("Leak_%d_%d_" % (in_features, out_features), (Exception,), {})()
    """, "Leak_{}_", "_"),
}


@pytest.mark.parametrize("channel", list(SAME_EXERCISE_CHANNELS))
def test_hidden_inputs_of_the_same_exercise_do_not_reach_the_report(channel, sandbox, full_plan):
    source, fmt, sep = SAME_EXERCISE_CHANNELS[channel]
    plan = single_exercise(full_plan, DENSE)
    report = grade(from_python(textwrap.dedent(source)), plan, sandbox=sandbox, lang="en")
    assert report.score == 0
    text = report.model_dump_json()
    leaked = sorted(item for item in _hidden_inputs(plan, DENSE, fmt, sep) if item in text)
    assert leaked == [], f"hidden inputs shown to the student: {leaked}"


def _stderr_pipe_of(bwrap_pid: int) -> int | None:
    """Our end of the pipe the sandbox's stderr (fd 2 of bwrap, the zygote and its children) writes to."""
    target = os.readlink(f"/proc/{bwrap_pid}/fd/2")
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == target:
                return int(name)
        except OSError:
            pass
    return None


def test_the_child_cannot_write_to_a_host_pipe_through_fd_2(private_sandbox, full_plan):
    token = f"written-to-fd-2-{SECRET}"
    source = dense_with(f"os.write(2, {token!r}.encode())", imports="import os")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=private_sandbox, lang="en")
    assert report.score == DENSE_POINTS
    assert_no_secret(report)
    fd = _stderr_pipe_of(private_sandbox.bwrap_pid)
    received = b""
    if fd is not None:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        try:
            received = os.read(fd, 1 << 16)
        except BlockingIOError:
            pass
        finally:
            fcntl.fcntl(fd, fcntl.F_SETFL, flags)
    assert token.encode() not in received, "student bytes arrived in the grader process"


DEV_WRITE = '''
import errno, json, os

def probe():
    written, error = 0, ""
    try:
        with open("/dev/leak-A", "w") as handle:
            handle.write("secret of A")
        for index in range(5):  # 40 MiB, past the 32 MiB scratch cap
            with open("/dev/fill-%d" % index, "wb") as handle:
                for _ in range(8):
                    written += handle.write(b"\\0" * (1 << 20))
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    return json.dumps({"written": written, "error": error, "listing": sorted(os.listdir("/dev"))})
'''

DEV_READ = '''
import json, os

def probe():
    extra = sorted(set(os.listdir("/dev")) - {"core", "fd", "full", "null", "ptmx", "pts", "random", "shm",
                                              "stderr", "stdin", "stdout", "tty", "urandom", "zero"})
    content = open("/dev/leak-A").read() if "leak-A" in extra else ""
    return json.dumps({"leaks": extra, "content": content})
'''


def test_the_sandbox_dev_is_not_a_writable_place_that_outlives_a_submission(private_sandbox):
    first = probe_json(private_sandbox, DEV_WRITE)
    second = probe_json(private_sandbox, DEV_READ)
    assert second["leaks"] == [] and second["content"] == "", f"the next submission found {second}"
    assert first["written"] == 0 and first["error"] in ("EACCES", "EROFS", "EPERM"), first


@pytest.mark.parametrize("trap", [
    pytest.param("os.mkdir('/tmp/work/locked')\nos.mkdir('/tmp/work/locked/inner')\nos.chmod('/tmp/work/locked', 0)",
                 id="unreadable-directory"),
    pytest.param("os.chdir('/tmp/work')\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\nos.chdir('/tmp/work')",
                 id="deeply-nested-directories"),
])
def test_the_zygote_survives_what_a_submission_leaves_in_tmp(trap, private_sandbox, course, full_plan):
    before = zygote_pids()
    source = dense_with("global _done\nif not _done:\n    _done = True\n" + textwrap.indent(trap, "    "),
                        imports="import os\n_done = False")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=private_sandbox, lang="en")
    assert report.score == DENSE_POINTS
    # Whatever happened to the zygote, the next submission is graded correctly ...
    again = grade(from_python(submission_source(course)), only(full_plan, DENSE, "conv-param-count"),
                  sandbox=private_sandbox, lang="en")
    assert again.score == again.max_score
    assert_only_zygotes_left()
    # ... but by the same warm zygote: its clean-up must not be something a student can break.
    assert zygote_pids() == before



STASH_AND_LOCK = """
import os

def probe():
    import json
    found = {}
    for root in ("/tmp", "/dev/shm"):
        try:
            os.chmod(root, 0o1777)
            found[root] = sorted(os.listdir(root))
        except OSError as error:
            found[root] = str(error)
    for root in ("/tmp", "/dev/shm"):
        try:
            with open(root + "/.stash", "w") as handle:
                handle.write("hidden inputs")
            if root == "/tmp":
                os.chdir("/")
                os.rmdir("/tmp/work")
            os.chmod(root, 0o300)  # the zygote may no longer list what it must delete
        except OSError:
            pass
    return json.dumps(found)
"""


def test_a_scratch_root_made_unreadable_is_still_wiped_by_the_same_zygote(private_sandbox):
    """The child owns the tmpfs roots: it can take their read permission away
    and keep a file there for the next submission (hidden inputs, say)."""
    before = zygote_pids()
    first = probe_json(private_sandbox, STASH_AND_LOCK)
    second = probe_json(private_sandbox, STASH_AND_LOCK)
    assert first == second == {"/tmp": ["work"], "/dev/shm": []}, (first, second)
    assert zygote_pids() == before
    assert_only_zygotes_left()


def test_a_zygote_too_slow_to_clean_up_is_replaced_not_fatal(private_sandbox, course, full_plan):
    """A submission leaves a huge number of files: the clean-up outlasts the
    control timeout (15 s in production, shortened here), so the next
    submission gets a fresh zygote rather than an error."""
    before = zygote_pids()
    (zygote,) = private_sandbox._all
    zygote.control.settimeout(0.1)
    source = dense_with("global _done\nif not _done:\n    _done = True\n"
                        "    end = time.time() + 1.0\n    count = 0\n"
                        "    while time.time() < end:\n"
                        "        open('/tmp/work/f%d' % count, 'w').close()\n        count += 1",
                        imports="import time\n_done = False")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=private_sandbox, lang="en")
    assert report.score == DENSE_POINTS
    again = grade(from_python(submission_source(course)), single_exercise(full_plan, DENSE),
                  sandbox=private_sandbox, lang="en")
    assert again.score == DENSE_POINTS
    assert not zygote.alive and zygote_pids() != before
    assert_only_zygotes_left()


def test_zz_the_grader_still_grades_a_correct_submission(sandbox, course, full_plan):
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)
    assert len(zygote_pids()) == 1
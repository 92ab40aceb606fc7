"""Attacks on the surfaces changed last: a batch's inputs in one sealed memory
file that every child maps privately, with /proc/self/pagemap telling which
inputs a call wrote (its descriptor opened while the child is briefly
dumpable); the submission as a real module that keeps loading after a failing
statement; subclasses of built-ins crossing as the built-in's value.

Tests marked xfail(strict=True) assert the behaviour the grader should have
and fail today: each is a hole, explained in its reason."""

from __future__ import annotations

import hashlib
import os
import textwrap

import numpy as np
import pytest

from grader import checks
from grader.engine import grade
from grader.sandbox import request
from grader.sandbox.protocol import UNCHANGED
from grader.submission import from_python

from conftest import isolated, single_exercise, submission_source

from .conftest import start_sandbox
from .helpers import (DENSE, DENSE_FORMULA, DENSE_POINTS, assert_only_zygotes_left,
                      assert_still_grades_a_correct_submission, dense_with, needs_sandbox, outcomes, probe_json)

pytestmark = needs_sandbox

FAST = {"time_seconds": 1.0, "total_seconds": 3.0}
FORWARD = "maxpool2d-forward"
BACKWARD = "conv2d-backward"


def _load(sandbox, source: str):
    session = sandbox.session()
    loaded = session.load(request.load_request(from_python(source).wire_units(), "submission.py"))
    assert loaded.kind == "loaded" and not loaded.errors, loaded
    return session


def _wrapped(course, exercise_id: str, function: str, body: str, imports: str = "") -> str:
    """The reference of ``exercise_id`` as ``_right``, called by ``function(*args)``
    whose ``body`` (indented code) decides what to return; ``result`` is the right answer."""
    reference = isolated(course.reference_path(exercise_id).read_text(), function)
    return (f"import numpy as np\n{imports}\n{reference}\n_right = {function}\n\n\n"
            f"def {function}(*args, **kwargs):\n"
            f"{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n")


# ------------------------------------------------- the shared, sealed input file


SEALED_FILE_ATTACK = '''
import ctypes, errno, fcntl, mmap, os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_FAILED = ctypes.c_void_p(-1).value


def _c(value):
    if value in (-1, _FAILED, None):
        raise OSError(ctypes.get_errno(), "refused")
    return value


def _inputs_file(x):
    """(fd, offset of x in it): the memory file the runner mapped x from."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "grader-inputs" in line:
                span, _, offset = line.split()[:3]
                start, end = (int(part, 16) for part in span.split("-"))
                if start <= x.ctypes.data < end:
                    where = x.ctypes.data - start + int(offset, 16)
                    break
        else:
            return None, 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if "grader-inputs" in os.readlink("/proc/self/fd/" + name):
                return int(name), where
        except OSError:
            pass
    return None, where


def _attack(x):
    """Every way to change the file itself; which of them worked (none should)."""
    fd, where = _inputs_file(x)
    if fd is None:
        return []  # the child keeps no descriptor of the file: nothing to write, resize or map through
    size = os.fstat(fd).st_size
    page = x.ctypes.data - x.ctypes.data % mmap.PAGESIZE

    def shared_then_writable():
        address = _c(_libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0))
        try:
            return _c(_libc.mprotect(address, size, mmap.PROT_READ | mmap.PROT_WRITE))
        finally:
            _libc.munmap(ctypes.c_void_p(address), ctypes.c_size_t(size))

    def through_proc_mem():  # into a private mapping of its own: a copy, never the file
        own = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        with open("/proc/self/mem", "r+b", buffering=0) as memory:
            memory.seek(ctypes.addressof(ctypes.c_char.from_buffer(own)))
            memory.write(b"\\xff" * 64)

    attempts = {
        "write": lambda: os.pwrite(fd, b"\\xff" * 64, where),
        "shrink": lambda: os.ftruncate(fd, 0),
        "grow": lambda: os.ftruncate(fd, size + mmap.PAGESIZE),
        "punch-hole": lambda: _c(_libc.fallocate(fd, 3, ctypes.c_long(0), ctypes.c_long(size))),
        "unseal": lambda: fcntl.fcntl(fd, 1033, 0),  # F_ADD_SEALS after F_SEAL_SEAL
        "map-shared-writable": lambda: mmap.mmap(fd, size, flags=mmap.MAP_SHARED,
                                                 prot=mmap.PROT_READ | mmap.PROT_WRITE),
        "map-shared-then-mprotect": shared_then_writable,
        "madvise-remove": lambda: _c(_libc.madvise(page, mmap.PAGESIZE, 9)),  # MADV_REMOVE
    }
    worked = []
    for name, attempt in attempts.items():
        try:
            attempt()
            worked.append(name)
        except (OSError, ValueError):
            pass
    try:
        through_proc_mem()
    except OSError:
        pass
    view = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
    if bytes(view[where:where + x.nbytes]) != x.tobytes():
        worked.append("the file no longer holds the input")
    return worked
'''


def test_no_child_can_change_the_shared_input_file_for_a_later_submission(sandbox, course, full_plan):
    """Each batch's inputs are one sealed memory file that every submission's
    child maps: writing, resizing, hole punching, unsealing, shared writable
    mappings (directly or by mprotect), MADV_REMOVE, /proc/self/mem. All are
    refused (the answer is right only then), and the next submission, which is
    sent the very same cached files, still gets its full score."""
    correct = submission_source(course)
    attacker = correct.replace("\nmaxpool2d_forward = _load_maxpool2d_forward()\n",
                               "\n_right_forward = _load_maxpool2d_forward()\n")
    assert attacker != correct
    attacker += SEALED_FILE_ATTACK + textwrap.dedent('''

        def maxpool2d_forward(x, *args):
            worked = _attack(x)
            result = _right_forward(x, *args)
            return result + 1.0 if worked else result
        ''')
    report = grade(from_python(attacker), full_plan, sandbox=sandbox, lang="en")
    assert report.score == report.max_score == 135, [(e.id, outcomes(e)) for e in report.exercises if e.score < e.max_score]
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)


def test_the_dumpable_window_leaves_nothing_usable_behind(sandbox):
    """The page map is opened while the child is briefly dumpable, before any
    student code: by the time that code runs the child is not dumpable, cannot
    open a page map again, and the one it holds is its own, with no physical
    frame numbers. Nothing else in the sandbox can be read or traced, and a
    process it forks cannot read or trace it either."""
    observations = probe_json(sandbox, '''
import ctypes, errno, json, os, struct, sys, time
import numpy as np

libc = ctypes.CDLL(None, use_errno=True)


def outcome(action):
    try:
        result = action()
    except OSError as error:
        return errno.errorcode.get(error.errno, "?")
    if result == -1:
        return errno.errorcode.get(ctypes.get_errno(), "?")
    if isinstance(result, int) and result > 2:
        os.close(result)
    return "allowed"


def probe():
    seen = {"dumpable": libc.prctl(3, 0, 0, 0, 0)}  # PR_GET_DUMPABLE
    pid, fd = sys.modules["mapping"].WrittenPages._pagemap
    seen["pagemap is its own"] = pid == os.getpid() and os.readlink(f"/proc/self/fd/{fd}") == f"/proc/{pid}/pagemap"
    touched = np.ones(4096)
    pages = touched.ctypes.data // 4096
    entries = struct.unpack("<8Q", os.pread(fd, 64, pages * 8))
    seen["present pages"] = sum(1 for entry in entries if entry >> 63)
    seen["frame numbers"] = sum(entry & ((1 << 55) - 1) for entry in entries)
    seen["reopen own pagemap"] = outcome(lambda: os.open("/proc/self/pagemap", os.O_RDONLY))
    seen["own mem"] = outcome(lambda: os.open("/proc/self/mem", os.O_RDWR))
    for path in ("/proc/1/mem", "/proc/1/pagemap", "/proc/1/environ"):
        seen[path] = outcome(lambda: os.open(path, os.O_RDONLY))
    seen["ptrace the zygote"] = outcome(lambda: libc.ptrace(16, 1, 0, 0))  # PTRACE_ATTACH
    parent = os.getpid()
    child = os.fork()
    if child == 0:  # (it reports through a file: the child may make no pipe)
        try:
            found = [outcome(lambda: os.open(f"/proc/{parent}/mem", os.O_RDONLY)),
                     outcome(lambda: os.open(f"/proc/{parent}/pagemap", os.O_RDONLY)),
                     outcome(lambda: libc.ptrace(16, parent, 0, 0))]
            with open("/tmp/work/found.json", "w") as handle:
                handle.write(json.dumps(found))
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    with open("/tmp/work/found.json") as handle:
        seen["from a forked process"] = json.loads(handle.read() or "[]")
    return json.dumps(seen)
''')
    assert observations == {
        "dumpable": 0, "pagemap is its own": True, "present pages": 8, "frame numbers": 0,
        "reopen own pagemap": "EACCES", "own mem": "EACCES",
        "/proc/1/mem": "EACCES", "/proc/1/pagemap": "EACCES", "/proc/1/environ": "EACCES",
        "ptrace the zygote": "EPERM", "from a forked process": ["EACCES", "EACCES", "EPERM"],
    }, observations
    assert_only_zygotes_left()


# ----------------------------------------- correct answers and the page check


DIGEST = '''
import hashlib
import numpy as np


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)


def digest(*args, write=False, **kwargs):
    """A digest of every input array it got (positional, nested, keyword); with
    ``write``, it then adds one to its first input."""
    found = hashlib.sha256()
    for array in _arrays(list(args) + [kwargs[name] for name in sorted(kwargs)]):
        found.update(str((array.dtype.str, array.shape, array.flags.writeable)).encode() + array.tobytes())
    if write:
        args[0][...] += 1
    return found.hexdigest()
'''


def _digest(args, kwargs) -> str:
    found = hashlib.sha256()
    stack = list(args) + [kwargs[name] for name in sorted(kwargs) if name != "write"]

    def arrays(value):
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                yield from arrays(item)

    for array in arrays(stack):
        found.update(str((array.dtype.str, array.shape, True)).encode() + np.ascontiguousarray(array).tobytes())
    return found.hexdigest()


def test_inputs_reach_the_code_intact_and_only_written_ones_count_as_modified(sandbox):
    """Odd inputs through the shared file: several inputs on one page next to
    ones that calls write, 0-size arrays, 1- and 3-byte items that leave the
    next input misaligned, big-endian, Fortran-ordered in the parent, arrays in
    keyword arguments and nested in tuples, and 8 MiB arrays. Each reaches
    the code byte for byte, writable; an input on a page that a neighbour's
    write copied is sent back but is not a modified input; a written one is."""
    rng = np.random.default_rng(7)
    calls = []  # (args, kwargs, writes)
    for index in range(12):  # small inputs, many per page; every third call writes its first
        calls.append(([rng.normal(size=(2, 3)), np.arange(3, dtype="i1"), rng.normal(size=5).astype(">f8")],
                      {"write": index % 3 == 0}, index % 3 == 0))
    calls.append(([np.zeros((0, 3)), np.zeros(0, dtype="i1"), np.asfortranarray(rng.normal(size=(3, 4)))], {}, False))
    calls.append(([np.array([b"ab", b"c", b"def"], dtype="S3"), (rng.normal(size=4), (np.arange(3),))],
                  {"extra": rng.normal(size=(2, 2)), "more": (np.ones(2, dtype=np.float32),)}, False))
    calls.append(([rng.normal(size=(1 << 20,))], {}, False))  # 8 MiB, its first page that of the inputs written
    calls.append(([rng.normal(size=(1 << 20,))], {}, False))  # 8 MiB on pages no call writes
    calls.append(([np.zeros((0, 3))], {"write": True}, False))  # writes nothing: a 0-size input
    encoded = [request.encode_call(args, kwargs, [i for i, value in enumerate(args) if isinstance(value, np.ndarray)])
               for args, kwargs, _ in calls]
    session = _load(sandbox, DIGEST)
    try:
        replies = list(session.call_many([("digest", wire, 10.0) for wire in encoded]))
    finally:
        session.close()
    assert len(replies) == len(calls)
    for (args, kwargs, writes), reply in zip(calls, replies):
        assert reply.kind == "returned" and reply.value == _digest(args, kwargs), (reply.kind, reply.exception)
        pristine = [value for value in args if isinstance(value, np.ndarray)]
        assert checks.modified_inputs(pristine, reply.watched) == ([0] if writes else [])
        if writes:
            assert np.array_equal(reply.watched[0], args[0] + 1)
    # An input on pages nobody wrote does not come back at all (one sharing a
    # written page comes back whole, only to be found unchanged).
    assert replies[-2].watched[0] is UNCHANGED
    assert_only_zygotes_left()


def test_a_correct_answer_that_writes_its_inputs_back_unchanged_passes(sandbox, course, full_plan):
    """Pages written (the bytes written back are the same): every input crosses
    back and is compared in the parent, which finds nothing changed."""
    source = _wrapped(course, BACKWARD, "conv2d_backward", '''
        for array in args:
            if isinstance(array, np.ndarray):
                array[...] = array.copy()
        return _right(*args, **kwargs)
    ''')
    report = grade(from_python(source), single_exercise(full_plan, BACKWARD), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.status == "passed" and exercise.score == exercise.max_score, outcomes(exercise)


@pytest.mark.parametrize("mutation", [
    pytest.param("with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n    x.strides = (0,) * x.ndim",
                 id="strides"),
    pytest.param("x.__setstate__((1, x.shape, x.dtype, False, bytes(x.nbytes)))", id="setstate"),
])
def test_an_input_changed_without_writing_its_pages_is_a_modified_input(mutation, sandbox, course, full_plan):
    source = _wrapped(course, FORWARD, "maxpool2d_forward", f'''
        x = args[0]
        result = _right(*args, **kwargs)
        if x.size and x.any():
{textwrap.indent(mutation, " " * 12)}
        return result
    ''', "import warnings")
    report = grade(from_python(source), single_exercise(full_plan, FORWARD), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    reasons = {test.reason for test in exercise.tests}
    assert "modified_input" in reasons and reasons <= {"modified_input", "passed"}, outcomes(exercise)
    assert all(test.reason == "passed" for test in exercise.tests if test.name in ("stride-zero", "not-divisible"))


def test_a_correct_submission_holding_its_open_files_still_gets_its_answers_graded(sandbox, course, full_plan):
    source = textwrap.dedent('''
        import os
        _held = []
        while len(_held) < 100:  # bounded: the limit is 64
            try:
                _held.append(os.open("/dev/null", os.O_RDONLY))
            except OSError:
                break
    ''') + isolated(course.reference_path(FORWARD).read_text(), "maxpool2d_forward")
    report = grade(from_python(source), single_exercise(full_plan, FORWARD), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.status == "passed", outcomes(exercise)


def test_a_submission_that_crashes_on_every_case_leaves_no_copies_of_the_inputs_behind(sandbox, course, full_plan):
    before = set(request._FRAMES)
    crasher = "import os, signal\n\n" + "\n\n".join(
        f"def {exercise.function}(*args, **kwargs):\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
        for exercise in full_plan.exercises)
    report = grade(from_python(crasher), full_plan, sandbox=sandbox, lang="en")
    assert report.score == 0
    assert all(outcomes(exercise) == [("error", "crashed")] * len(exercise.tests) for exercise in report.exercises)
    held = sum(os.fstat(fd).st_size for key, batch in list(request._FRAMES.items()) if key not in before
               for fd in batch.frame.fds)
    inputs = sum(len(blob) for exercise in full_plan.exercises for planned in exercise.cases
                 for blob in (planned.wire.blobs if planned.wire else ()))
    assert held <= 2 * inputs + (1 << 20), f"{held >> 20} MiB of input copies held for {inputs >> 20} MiB of inputs"


SPY = '''
import time


def shared_kib():
    """KiB of the inputs' mappings that another process maps too (/proc/self/smaps: no page map needed)."""
    total, inputs = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            name = line.split(" ", 1)[0]
            if not name.endswith(":"):  # a mapping's first line: "start-end perms offset dev inode path"
                inputs = "grader-inputs" in line
            elif inputs and name in ("Shared_Clean:", "Shared_Dirty:"):
                total += int(line.split()[1])
    return total


def f(x):
    float(x.sum())  # maps every page of the input
    deadline = time.monotonic() + 1.5  # bounded
    while time.monotonic() < deadline:
        if shared_kib():
            return shared_kib()
        time.sleep(0.01)
    return 0
'''

SENDER = '''
import time


def f(x):
    float(x.sum())  # maps every page of the input, in another submission's sandbox
    time.sleep(1.0)
    return 0
'''


def test_a_child_cannot_see_what_another_submissions_child_touches(sandbox, full_plan):
    """Children graded at the same time in different sandboxes read inputs
    files of their own: which pages another maps (smaps Shared_*, the page
    map's exclusive bit) would tell a child what it does, and carry signals."""
    other = start_sandbox(full_plan)
    try:
        wire = request.encode_call([np.ones((64, 1024))], {}, [0])  # 512 KiB, 128 pages
        sender, spy = _load(other, SENDER), _load(sandbox, SPY)
        try:
            sending = sender.call_many([("f", wire, 5.0)])
            seen = next(spy.call_many([("f", wire, 5.0)]))
            sent = next(sending)
        finally:
            sender.close()
            spy.close()
        assert sent.kind == "returned" and seen.kind == "returned", (sent, seen)
        assert seen.value == 0, f"the spy saw {seen.value} KiB of its inputs mapped by another submission"
    finally:
        other.close()


# ---------------------------------------------------- built-in subclasses


NAMEDTUPLE_GRADS = '''
    grads = _right(*args, **kwargs)
    return Grads(*grads)
'''


def test_gradients_in_a_namedtuple_pass_in_the_sandbox(sandbox, course, full_plan):
    source = _wrapped(course, BACKWARD, "conv2d_backward", NAMEDTUPLE_GRADS,
                      "from collections import namedtuple\nGrads = namedtuple('Grads', 'dx dw db')")
    report = grade(from_python(source), single_exercise(full_plan, BACKWARD), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.status == "passed" and exercise.score == exercise.max_score, outcomes(exercise)


SUBCLASSES = '''
class L(list):
    def __len__(self):
        raise SystemExit("never called")


class T(tuple):
    def __getitem__(self, index):
        raise SystemExit("never called")


class S(str):
    pass


class I(int):
    def __index__(self):
        return RIGHT


def _self_referential():
    value = L()
    value.append(value)
    return value


def _deep():
    value = T((RIGHT,))
    for _ in range(100000):
        value = T((value,))
    return value


def _wide():
    row = L([I(RIGHT)] * 250)
    return L([row] * 250)  # 62,500 leaves: past the reply header's 1 MiB


RIGHT = 0
'''


@pytest.mark.parametrize("expression", [
    pytest.param("_self_referential()", id="self-referential-list-subclass"),
    pytest.param("_deep()", id="100000-nested-tuple-subclasses"),
    pytest.param("_wide()", id="wide-list-subclass-of-shared-rows"),
    pytest.param("S('x' * (32 << 20))", id="32-MiB-str-subclass"),
    pytest.param("I(1 << 100000)", id="huge-int-subclass-lying-index"),
    pytest.param("T((RIGHT,))", id="tuple-subclass-of-the-right-value"),
])
def test_hostile_builtin_subclasses_get_a_clear_verdict_and_the_runner_survives(expression, sandbox, full_plan):
    """The encoder reads a subclass with the built-in's own methods, stops at its
    depth and size limits, and never runs the subclass's code: each case is a
    plain wrong type, answered case after case by the same child (a dead runner
    would make them crashes)."""
    source = SUBCLASSES + dense_with(f"global RIGHT\nRIGHT = {DENSE_FORMULA}", f"return {expression}")
    report = grade(from_python(source), single_exercise(full_plan, DENSE, time_seconds=5.0, total_seconds=20.0),
                   sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.score == 0 and {test.reason for test in exercise.tests} == {"wrong_type"}, outcomes(exercise)


def test_an_int_subclass_lying_in_index_crosses_as_its_stored_value(sandbox, full_plan):
    """``I(RIGHT + 1)`` whose __index__ says RIGHT: the stored value crosses, and it is wrong."""
    source = SUBCLASSES + dense_with(f"global RIGHT\nRIGHT = {DENSE_FORMULA}", "return I(RIGHT + 1)")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.score == 0 and {test.reason for test in exercise.tests} == {"wrong_value"}, outcomes(exercise)


# --------------------------------------------- the module and its loading


def test_a_module_that_unregisters_or_replaces_itself_is_still_graded(sandbox, full_plan):
    source = textwrap.dedent('''
        import sys
        sys.modules["submission"] = None
        del sys.modules["submission"]
        sys.modules["submission"] = type(sys)("submission")
        sys.modules["submission"].dense_param_count = lambda *args, **kwargs: -1
    ''') + dense_with("pass")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS


def test_a_file_whose_every_statement_fails_loads_in_bounded_time(sandbox, full_plan):
    """Each failing statement makes the child compile the rest again: 400 of them
    still load, keep going past decorators that fail, and end at the function."""
    failing = "".join(f"@(1 / 0)\ndef broken_{n}():\n    pass\n" if n % 2 else f"x_{n} = 1 / 0\n" for n in range(400))
    report = grade(from_python(failing + dense_with("pass")), single_exercise(full_plan, DENSE), sandbox=sandbox,
                   lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS


@pytest.mark.parametrize("statement", [
    pytest.param("import ast\nast.parse('x = (')", id="ast.parse"),
    pytest.param("value = eval('1 +')", id="eval"),
])
def test_a_syntax_error_raised_at_run_time_does_not_stop_loading(statement, sandbox, full_plan):
    report = grade(from_python(statement + "\n\n" + dense_with("pass")), single_exercise(full_plan, DENSE),
                   sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS, outcomes(report.exercises[0])


def test_zz_the_grader_still_grades_a_correct_submission(sandbox, course, full_plan):
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)


def test_the_child_keeps_no_descriptor_of_its_inputs_file(sandbox):
    """The inputs are mapped and their file closed at once: nothing of the
    file is left to write to, resize, unseal or map shared (those attempts,
    above, then have nothing to work on)."""
    session = _load(sandbox, "import os\n\ndef f(x):\n    links = []\n    for name in os.listdir('/proc/self/fd'):\n"
                             "        try:\n            links.append(os.readlink('/proc/self/fd/' + name))\n"
                             "        except OSError:\n            pass  # (the listing's own descriptor)\n"
                             "    return links\n")
    try:
        outcome = next(session.call_many([("f", request.encode_call([np.ones(4096)], {}, [0]), 5.0)]))
    finally:
        session.close()
    assert outcome.kind == "returned", outcome
    assert not [link for link in outcome.value if "grader-inputs" in link], outcome.value

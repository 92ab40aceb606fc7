"""Carrying a hidden case's inputs out through the feedback of that very case.

Each attack below shapes one thing the judge reports (a type name, a shape, a
length, a count, an exit status, a line number, a dtype, printed text, a time)
from the inputs of every hidden case it is called with, and the report must
hold none of them, written the way that channel would show them. Every attack
also pins the verdict it should get, so that a channel that merely broke (the
attack crashing instead of answering, say) fails the test rather than passing
it, and the same attack on the public cases must show what it shapes: the
details are hidden for hidden cases, not for everyone.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Callable, Iterable

import pytest

from grader.catalog.plan import PlannedCase
from grader.engine import grade
from grader.messages import say
from grader.submission import from_python

from conftest import isolated, single_exercise

from .helpers import DENSE, needs_sandbox, only

pytestmark = needs_sandbox

FORWARD, BACKWARD, OUTPUT_SIZE = "conv2d-forward", "conv2d-backward", "conv-output-size"
REFERENCE = "# REFERENCE\n"  # replaced by the reference solution of the channel's exercise, kept private


class HiddenInputLeaked(AssertionError):
    """The one failure a FINDING's strict xfail accepts: any other (a broken attack,
    a verdict that changed) fails the test outright."""


def _no_leak(leaked, message: str) -> None:
    if leaked:
        raise HiddenInputLeaked(f"{message}: {leaked}")


def _hidden_detail() -> str:
    return say("hidden_detail", "en")


def _exactly(text: str) -> str:
    return re.escape(text)


def _digest(case) -> int:
    """A number made from the first value of the first array argument (|x| to 6 decimals, as an int)."""
    return int(abs(float(case.args[0].flat[0])) * 1e6)


def _kw(case, name: str, default):
    return case.kwargs.get(name, default)


@dataclass(frozen=True)
class Channel:
    """One way to shape a verdict's feedback from a case's inputs."""

    exercise: str
    source: str
    needles: Callable[[PlannedCase], Iterable[str]]  # how the channel would show a case's inputs
    verdict: Callable[[PlannedCase], tuple[str, str]]  # (status, reason) each hidden case must get
    detail: Callable[[PlannedCase], str]  # a regex the hidden case's whole detail must match
    public_shows: bool = True  # the same attack on a public case shows what it shaped


def _dense_args(planned: PlannedCase) -> tuple[int, int]:
    in_features, out_features = planned.case.args
    return in_features, out_features


def _always(status: str, reason: str):
    return lambda planned: (status, reason)


def _unless_raising(reason: str):
    """Cases that expect a ValueError get a value back: missing_exception, whatever the value."""
    return lambda planned: ("failed", "missing_exception") if planned.expected.raised else ("failed", reason)


def _detail_unless_raising(text: Callable[[PlannedCase], str]):
    missing = say("missing_exception", "en", exception="ValueError")
    return lambda planned: _exactly(missing if planned.expected.raised else text(planned))


def _wrong_type(expected_type: str):
    return lambda planned: _exactly(say("wrong_type", "en", where="", got_type="object", expected_type=expected_type))


def _raised(exc_type: str):
    """'raised X', with the student's own line (never one beyond the file) and no message."""
    return lambda planned: re.escape(say("exception", "en", exc_type=exc_type, location="")) + r"( \(line \d+\))?"


def _raised_at(exc_type: str, line: int):
    """'raised X (line N)' for exactly this line of the file."""
    return lambda planned: _exactly(say("exception", "en", exc_type=exc_type, location=say("at_line", "en", line=line)))


CRASHED = _exactly(say("crashed", "en", detail=_hidden_detail()))
EXITED = re.escape(say("exit", "en", exc_type="SystemExit", location="@")).replace("@", r"( \(line \d+\))?")

# The body conv2d_forward attacks share: the right answer's shape (or None when the case should raise).
FORWARD_PROLOGUE = REFERENCE + textwrap.dedent('''
    import numpy as np

    _reference = conv2d_forward


    def _right_answer(x, w, b, stride, pad):
        try:
            return _reference(x, w, b, stride=stride, pad=pad)
        except ValueError:
            return None  # the case wants a ValueError: return something instead
''')


def _forward(body: str) -> str:
    return FORWARD_PROLOGUE + "\n\ndef conv2d_forward(x, w, b, stride=1, pad=0):\n" + textwrap.indent(
        textwrap.dedent(body).strip("\n"), "    ") + "\n"


def _count(planned: PlannedCase) -> tuple[int, int]:
    """(k, size) for the count attacks: k values of the answer marked, k made from the inputs."""
    size = planned.expected.value.size
    return 1 + _digest(planned.case) % size, size


def _text_length(planned: PlannedCase) -> int:
    # (Up to 21 characters: a reply many times the answer's size is refused before it is read.)
    return 2 + _digest(planned.case) % 20


def _dtype_detail(planned: PlannedCase) -> str:
    return say("wrong_dtype", "en", where="", got_dtype="object", expected_dtype=str(planned.expected.value.dtype))


CHANNELS: dict[str, Channel] = {
    # 1. shapes -------------------------------------------------------------------------------------
    "ndarray-shaped-by-the-inputs-for-an-int": Channel(
        DENSE, '''
            import numpy as np

            def dense_param_count(in_features, out_features, bias=True):
                return np.zeros((in_features, out_features), dtype=np.int8)
        ''',
        lambda p: [str(_dense_args(p))],
        _always("failed", "wrong_type"),
        lambda p: _exactly(say("wrong_type", "en", where="", got_type="ndarray", expected_type="int")
                           + say("remedy_int", "en")),
        public_shows=False,  # a wrong type is a wrong type: the shape is not shown for public cases either
    ),
    "wrong-shape-made-of-the-inputs": Channel(
        FORWARD, _forward('''
            return np.zeros((0,) + x.shape + w.shape + (stride, pad, int(abs(float(x.flat[0])) * 1e6)))
        '''),
        lambda p: [str((0,) + p.case.args[0].shape + p.case.args[1].shape
                       + (_kw(p.case, "stride", 1), _kw(p.case, "pad", 0), _digest(p.case)))],
        _unless_raising("wrong_shape"),
        _detail_unless_raising(lambda p: say("wrong_shape_hidden", "en", where="")),
    ),
    # 2. lengths ------------------------------------------------------------------------------------
    "tuple-length-made-of-the-inputs": Channel(
        BACKWARD, '''
            def conv2d_backward(dout, x, w, b, stride=1, pad=0):
                return (0,) * (4 + 100 * x.shape[2] + 10 * w.shape[2] + stride)
        ''',
        lambda p: ["returned %d values" % (4 + 100 * p.case.args[1].shape[2] + 10 * p.case.args[2].shape[2]
                                           + _kw(p.case, "stride", 1))],
        _unless_raising("wrong_length"),
        _detail_unless_raising(lambda p: say("wrong_length_hidden", "en", where="")),
    ),
    "list-too-long-to-send-named-by-its-length": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                return [0] * (10001 + in_features)  # past the protocol's item limit: only "list of N items" crosses
        ''',
        lambda p: [f"list of {10001 + _dense_args(p)[0]} items"],
        _always("failed", "wrong_type"),
        _wrong_type("int"),
    ),
    # 3. type names -----------------------------------------------------------------------------------
    "instance-of-a-class-named-after-the-inputs": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                return type("Leak_%d_%d_" % (in_features, out_features), (), {})()
        ''',
        lambda p: ["Leak_%d_%d_" % _dense_args(p)],
        _always("failed", "wrong_type"),
        _wrong_type("int"),
    ),
    "instance-of-a-class-named-after-the-inputs-in-module-numpy": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                return type("Leak_%d_%d_" % (in_features, out_features), (), {"__module__": "numpy"})()
        ''',
        lambda p: ["Leak_%d_%d_" % _dense_args(p)],
        _always("failed", "wrong_type"),
        _wrong_type("int"),
    ),
    "array-of-a-structured-dtype-named-after-the-inputs": Channel(
        FORWARD, _forward('''
            name = "Leak_%d_%d_%d_" % (x.shape[2], x.shape[3], int(abs(float(x.flat[0])) * 1e6))
            return np.zeros(3, dtype=[(name, "f8")])  # does not cross as an array: only its type name does
        '''),
        lambda p: ["Leak_%d_%d_%d_" % (p.case.args[0].shape[2], p.case.args[0].shape[3], _digest(p.case))],
        _unless_raising("wrong_type"),
        _detail_unless_raising(lambda p: say("wrong_type", "en", where="", got_type="object", expected_type="ndarray")),
    ),
    # 4. exceptions ------------------------------------------------------------------------------------
    "exception-class-named-after-the-inputs": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                raise type("Leak_%d_%d_" % (in_features, out_features), (Exception,), {})()
        ''',
        lambda p: ["Leak_%d_%d_" % _dense_args(p)],
        _always("error", "exception"),
        _raised("Exception (subclass)"),
    ),
    "ValueError-subclass-named-after-the-inputs": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                raise type("Leak_%d_%d_" % (in_features, out_features), (ValueError,), {})()
        ''',
        lambda p: ["Leak_%d_%d_" % _dense_args(p)],
        _always("error", "exception"),
        _raised("ValueError (subclass)"),
    ),
    "exception-named-after-the-inputs-posing-as-a-builtin": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                base = type("Leak_%d_%d_" % (in_features, out_features), (KeyError,), {"__module__": "builtins"})
                raise type("Leak_%d_%d_" % (in_features, out_features), (base,), {"__module__": "builtins"})()
        ''',
        lambda p: ["Leak_%d_%d_" % _dense_args(p)],
        _always("error", "exception"),
        _raised("KeyError (subclass)"),  # the nearest ancestor that existed before the student's code
    ),
    "exception-message-holding-the-inputs": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                raise ValueError("Leak<<%d,%d>>" % (in_features, out_features))
        ''',
        lambda p: ["Leak<<%d,%d>>" % _dense_args(p)],
        _always("error", "exception"),
        _raised("ValueError"),
    ),
    "wrong-exception-named-after-the-inputs": Channel(
        OUTPUT_SIZE, '''
            def conv_output_size(input_size, filter_size, stride=1, pad=0):
                raise type("Leak_%d_%d_%d_%d_" % (input_size, filter_size, stride, pad), (ArithmeticError,), {})()
        ''',
        lambda p: ["Leak_%d_%d_%d_%d_" % (*p.case.args, _kw(p.case, "stride", 1), _kw(p.case, "pad", 0))],
        lambda p: ("failed", "wrong_exception") if p.expected.raised else ("error", "exception"),
        lambda p: (_exactly(say("wrong_exception", "en", exception="ValueError", exc_type="ArithmeticError (subclass)"))
                   if p.expected.raised else _raised("ArithmeticError (subclass)")(p)),
    ),
    # 5. exits ------------------------------------------------------------------------------------------
    "os._exit-status": Channel(
        DENSE, '''
            import os

            def dense_param_count(in_features, out_features, bias=True):
                os._exit(in_features)  # the status is in_features % 256
        ''',
        lambda p: [f"exited with status {_dense_args(p)[0] % 256})"],
        _always("error", "crashed"),
        lambda p: CRASHED,
    ),
    "killed-by-an-unnamed-realtime-signal": Channel(
        DENSE, '''
            import os, signal

            def dense_param_count(in_features, out_features, bias=True):
                os.kill(os.getpid(), signal.SIGRTMIN + 1 + in_features % 20)  # 35..54: signals without a name
        ''',
        lambda p: [f"killed by signal {35 + _dense_args(p)[0] % 20})"],
        _always("error", "crashed"),
        lambda p: CRASHED,
    ),
    "sys.exit-code": Channel(
        DENSE, '''
            import sys

            def dense_param_count(in_features, out_features, bias=True):
                sys.exit(int("7%05d%05d" % (in_features, out_features)))
        ''',
        lambda p: ["7%05d%05d" % _dense_args(p)],
        _always("error", "exit"),
        lambda p: EXITED,
        public_shows=False,  # exit codes and messages are shown for no case
    ),
    "sys.exit-message": Channel(
        DENSE, '''
            import sys

            def dense_param_count(in_features, out_features, bias=True):
                sys.exit("Leak<<%d,%d>>" % (in_features, out_features))
        ''',
        lambda p: ["Leak<<%d,%d>>" % _dense_args(p)],
        _always("error", "exit"),
        lambda p: EXITED,
        public_shows=False,
    ),
    # 6. line numbers -----------------------------------------------------------------------------------
    "line-number-beyond-the-file": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                exec(compile("\\n" * (in_features * 1000) + "raise ValueError('x')", "submission.py", "exec"))
        ''',
        lambda p: [f"line {_dense_args(p)[0] * 1000 + 1})"],
        _always("error", "exception"),
        _raised_at("ValueError", 3),  # the exec() line: the only line of the file the error went through
        public_shows=False,  # code compiled by the submission is not the student's file, for any case
    ),
    "line-number-inside-a-padded-file": Channel(
        DENSE, textwrap.dedent('''
            def dense_param_count(in_features, out_features, bias=True):
                exec(compile("\\n" * in_features + "raise ValueError('x')", "submission.py", "exec"))
        ''') + "#\n" * 15000,  # the file is long enough for every input's line to be in it
        lambda p: [f"(line {_dense_args(p)[0] + 1})"],
        _always("error", "exception"),
        _raised_at("ValueError", 3),
        public_shows=False,
    ),
    # 7. counts -------------------------------------------------------------------------------------------
    "as-many-NaNs-as-the-inputs-say": Channel(
        FORWARD, _forward('''
            out = _right_answer(x, w, b, stride, pad)
            if out is None:
                return np.zeros(1)
            out.flat[:1 + int(abs(float(x.flat[0])) * 1e6) % out.size] = np.nan
            return out
        '''),
        lambda p: [] if p.expected.raised else ["%d of %d values are NaN" % _count(p)],
        _unless_raising("not_finite"),
        _detail_unless_raising(lambda p: say("not_finite_hidden", "en", where="")),
    ),
    "as-many-wrong-values-as-the-inputs-say": Channel(
        FORWARD, _forward('''
            out = _right_answer(x, w, b, stride, pad)
            if out is None:
                return np.zeros(1)
            out.flat[:1 + int(abs(float(x.flat[0])) * 1e6) % out.size] += 1000
            return out
        '''),
        lambda p: [] if p.expected.raised else ["%d of %d values are outside" % _count(p)],
        _unless_raising("wrong_values"),
        _detail_unless_raising(lambda p: say("wrong_values_hidden", "en", where="")),
    ),
    # 8. dtypes -------------------------------------------------------------------------------------------
    "text-dtype-whose-length-the-inputs-set": Channel(
        FORWARD, _forward('''
            out = _right_answer(x, w, b, stride, pad)
            if out is None:
                return np.zeros(1)
            return np.full(out.shape, "x" * (2 + int(abs(float(x.flat[0])) * 1e6) % 20))  # dtype <U{n}
        '''),
        lambda p: [f"dtype <U{_text_length(p)},"],
        _unless_raising("wrong_dtype"),
        _detail_unless_raising(_dtype_detail),
    ),
    "bytes-dtype-whose-length-the-inputs-set": Channel(
        FORWARD, _forward('''
            out = _right_answer(x, w, b, stride, pad)
            if out is None:
                return np.zeros(1)
            return np.full(out.shape, b"x" * (2 + int(abs(float(x.flat[0])) * 1e6) % 90))  # dtype |S{n}
        '''),
        lambda p: [f"dtype |S{_text_length(p)},"],
        _unless_raising("wrong_dtype"),
        _detail_unless_raising(_dtype_detail),
    ),
    "void-dtype-whose-length-the-inputs-set": Channel(
        FORWARD, _forward('''
            out = _right_answer(x, w, b, stride, pad)
            if out is None:
                return np.zeros(1)
            return np.zeros(out.shape, dtype="V%d" % (2 + int(abs(float(x.flat[0])) * 1e6) % 90))
        '''),
        lambda p: [f"dtype |V{_text_length(p)};"],
        _unless_raising("wrong_type"),
        _detail_unless_raising(lambda p: say("wrong_type", "en", where="", got_type="object", expected_type="ndarray")),
    ),
    # 9. printed output --------------------------------------------------------------------------------------
    "printing-the-inputs": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                print("Leak<<%d,%d>>" % (in_features, out_features))
                return -1
        ''',
        lambda p: ["Leak<<%d,%d>>" % _dense_args(p)],
        _always("failed", "wrong_value"),
        lambda p: _exactly(say("wrong_value", "en", where="")),
    ),
    "printing-past-the-output-limit-by-the-inputs": Channel(
        DENSE, '''
            def dense_param_count(in_features, out_features, bias=True):
                print("x" * ((8192 + in_features) * 1024))  # the limit is 8192 KiB
                return -1
        ''',
        lambda p: [f"printed {8192 + _dense_args(p)[0]} KiB"],
        _always("error", "output_limit"),
        lambda p: _exactly(say("output_limit", "en", detail=_hidden_detail())),
    ),
}

# Channels through which hidden inputs DO reach the report with the current grader.
# Channels found open and not closed yet (strict xfail): none at the moment. In-file
# lines remain shown for hidden cases (the issue asks for "the student's line"):
# a long if/elif chain of raises still carries log2(line count) bits per case.
FINDINGS: dict[str, str] = {}


def _source(channel: Channel, course) -> str:
    source = textwrap.dedent(channel.source)
    if REFERENCE in source:
        function = course.exercise(channel.exercise).function
        source = source.replace(REFERENCE, isolated(course.reference_path(channel.exercise).read_text(), function))
    return source


def _needles(plan, exercise_id: str, needles: Callable[[PlannedCase], Iterable[str]], visibility: str) -> set[str]:
    exercise = next(item for item in plan.exercises if item.id == exercise_id)
    return {needle for planned in exercise.cases if planned.case.visibility == visibility for needle in needles(planned)}


def _hidden_needles(plan, channel: Channel) -> set[str]:
    """How the channel would show each hidden case's inputs, public look-alikes left out."""
    return (_needles(plan, channel.exercise, channel.needles, "hidden")
            - _needles(plan, channel.exercise, channel.needles, "public"))


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=HiddenInputLeaked, reason=FINDINGS[name]))
    if name in FINDINGS else name
    for name in CHANNELS
])
def test_hidden_inputs_do_not_leak_through_their_own_feedback(name, sandbox, course, full_plan):
    channel = CHANNELS[name]
    plan = single_exercise(full_plan, channel.exercise)
    hidden = _hidden_needles(plan, channel)
    assert hidden, "no hidden case to look for"
    report = grade(from_python(_source(channel, course)), plan, sandbox=sandbox, lang="en")
    (exercise,) = report.exercises
    text = report.model_dump_json()

    # The attack ran and got the verdict it aims at: the channel is closed, not broken.
    cases = {planned.case.name: planned for planned in plan.exercises[0].cases}
    for test in exercise.tests:
        if test.visibility != "hidden":
            continue
        planned = cases[test.name]
        assert (test.status, test.reason) == channel.verdict(planned), (test.name, test.status, test.reason, test.message)
        assert re.fullmatch(channel.detail(planned), test.detail), (test.name, test.detail)
        assert test.score == 0 and test.seconds == 0 and test.output == "", test
    assert exercise.score == 0 and report.score == 0

    # The same details ARE shown for public cases (nothing is blanket-hidden).
    if channel.public_shows:
        public = _needles(plan, channel.exercise, channel.needles, "public")
        assert any(_shown(needle, text) for needle in public), f"none of {sorted(public)} shown for the public cases"

    _no_leak(sorted(needle for needle in hidden if _shown(needle, text)), "hidden inputs shown to the student")


def _shown(needle: str, text: str) -> bool:
    """``needle`` in ``text`` as a whole ("1 of 32" is not shown by "31 of 32")."""
    return re.search(r"(?<![0-9])" + re.escape(needle), text) is not None


# ------------------------------------------------------------------------ running time


def test_hidden_running_time_is_not_shown(sandbox, full_plan):
    source = textwrap.dedent('''
        import time

        def dense_param_count(in_features, out_features, bias=True):
            time.sleep(0.02 + (in_features % 32) * 0.002)  # at most 0.084 s a case
            return -1
    ''')
    plan = single_exercise(full_plan, DENSE)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    (exercise,) = report.exercises
    assert {(test.status, test.reason) for test in exercise.tests} == {("failed", "wrong_value")}
    assert all(test.seconds >= 0.02 for test in exercise.tests if test.visibility == "public")
    assert all(test.seconds == 0 for test in exercise.tests if test.visibility == "hidden")
    assert report.score == 0


PARITY = '''
import time

_public = {public!r}
_slept = []


def dense_param_count(in_features, out_features, bias=True):
    if (in_features, out_features) not in _public and not _slept:  # the first hidden case
        _slept.append(True)
        if in_features % 2 == {parity}:
            time.sleep(1.0)
    return -1
'''


def test_the_report_time_does_not_depend_on_what_hidden_cases_did(sandbox, full_plan):
    plan = single_exercise(full_plan, DENSE)
    public = {tuple(planned.case.args) for planned in plan.exercises[0].cases if planned.case.visibility == "public"}
    reports = {parity: grade(from_python(PARITY.format(public=public, parity=parity)), plan, sandbox=sandbox, lang="en")
               for parity in (0, 1)}
    for report in reports.values():
        assert report.score == 0
        assert all(test.seconds == 0 for test in report.exercises[0].tests if test.visibility == "hidden")
    difference = reports[1].seconds - reports[0].seconds
    _no_leak(abs(difference) >= 0.5 and f"{difference:+.1f} s",
             "report.seconds tells the first hidden in_features' parity (odd minus even sleeper)")


# ------------------------------------------------------------- a reload after a hidden crash


RELOAD = '''
import os, threading

_pid = os.getpid()
if 512 <= _pid % 1024 < 768:  # a reload, in a child whose pid a hidden case chose
    os._exit(_pid % 1024 - 512)

_public = {public!r}


def dense_param_count(in_features, out_features, bias=True):
    if (in_features, out_features) in _public:
        return -1
    target = 512 + in_features % 256  # the pid of the next child, mod 1024
    for _ in range(2048):  # bounded: two turns of the residue
        thread = threading.Thread(target=int)
        thread.start()
        thread.join()
        if (thread.native_id + 1) % 1024 == target:
            break
    os._exit(0)
'''


def test_a_reload_after_a_hidden_crash_does_not_report_what_the_crash_left(private_sandbox, full_plan):
    plan = single_exercise(full_plan, DENSE)
    cases = plan.exercises[0].cases
    public = {tuple(planned.case.args) for planned in cases if planned.case.visibility == "public"}
    first_hidden = next(planned.case for planned in cases if planned.case.visibility == "hidden")
    report = grade(from_python(RELOAD.format(public=public)), plan, sandbox=private_sandbox, lang="en")
    (exercise,) = report.exercises
    assert report.score == 0
    hidden = [test for test in exercise.tests if test.visibility == "hidden"]
    assert (hidden[0].name, hidden[0].status, hidden[0].reason) == (first_hidden.name, "error", "crashed")
    assert hidden[0].detail == say("crashed", "en", detail=_hidden_detail())
    needle = f"exited with status {first_hidden.args[0] % 256})"
    _no_leak(needle in report.model_dump_json() and needle,
             f"the first hidden in_features mod 256 reached {report.problems} and the later hidden tests")


# ------------------------------------------------------------------------ positive control


def test_public_cases_do_show_what_hidden_cases_hide(sandbox, course, full_plan):
    """The control: the same feedback for a public case carries its printed output,
    its values, shapes, counts and time, so the tests above would notice a grader
    that hid everything from everyone."""
    source = textwrap.dedent('''
        import time

        def dense_param_count(in_features, out_features, bias=True):
            print("Leak<<%d,%d>>" % (in_features, out_features))
            time.sleep(0.01)
            return -1
    ''') + "\n\n" + _source(CHANNELS["wrong-shape-made-of-the-inputs"], course)
    plan = only(full_plan, FORWARD, DENSE)
    report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    by_name = {(exercise.id, test.name): test for exercise in report.exercises for test in exercise.tests}
    dense = by_name[(DENSE, "flattened-14400-to-10")]
    assert (dense.status, dense.reason) == ("failed", "wrong_value")
    assert dense.output.strip() == "Leak<<14400,10>>"
    assert dense.detail == "wrong value. Got -1, expected 144010."
    assert dense.seconds >= 0.01
    forward = by_name[(FORWARD, "one-image-one-channel")]
    cases = next(exercise for exercise in plan.exercises if exercise.id == FORWARD).cases
    x = next(planned for planned in cases if planned.case.name == "one-image-one-channel").case.args[0]
    assert (forward.status, forward.reason) == ("failed", "wrong_shape")
    got = (0, 1, 1, 4, 4, 2, 1, 3, 3, 1, 0, int(abs(float(x.flat[0])) * 1e6))
    assert forward.detail == f"output shape {got}, expected (1, 2, 2, 2).", forward.detail
    # and the hidden cases of the very same run show none of it
    for (exercise_id, _name), test in by_name.items():
        if test.visibility == "hidden":
            assert test.output == "" and test.seconds == 0 and "Leak" not in test.message, test
            assert "Got" not in test.detail and "shape (" not in test.detail, test

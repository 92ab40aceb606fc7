"""Lying to the grader from inside the child: exiting mid-case, patching numpy,
builtins and the runner's own modules, returning objects that pretend, NaN and
inf, and forging the reply frames byte by byte. The verdict is made in the
parent from plain data, so none of it turns a wrong answer into a pass, and
nothing the child sends ever runs in the parent."""

from __future__ import annotations

import textwrap

import pytest

from grader.engine import grade
from grader.submission import from_python

from conftest import isolated, single_exercise

from .helpers import (DENSE, DENSE_FORMULA, DENSE_POINTS, assert_every_case, assert_only_zygotes_left,
                      assert_still_grades_a_correct_submission, by_id, dense_with, needs_sandbox, only, outcomes)

pytestmark = needs_sandbox

FAST = {"time_seconds": 1.0, "total_seconds": 3.0}
FORWARD = "conv2d-forward"


def _assert_nothing_passed(exercise) -> None:
    assert exercise.score == 0 and exercise.status in ("failed", "error"), outcomes(exercise)
    assert all(test.status != "passed" and test.score == 0 for test in exercise.tests)


# ------------------------------------------------------------------------ exits


@pytest.mark.parametrize(("exit_call", "expected"), [
    pytest.param("import sys\nsys.exit(0)", ("error", "exit"), id="sys.exit"),
    pytest.param("raise SystemExit(0)", ("error", "exit"), id="SystemExit"),
    pytest.param("raise KeyboardInterrupt", ("error", "exit"), id="KeyboardInterrupt"),
    pytest.param("raise GeneratorExit", ("error", "exit"), id="GeneratorExit"),
    pytest.param("import os\nos._exit(0)", ("error", "crashed"), id="os._exit"),
    pytest.param("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", ("error", "crashed"), id="SIGKILL-self"),
    pytest.param("import os\nos.abort()", ("error", "crashed"), id="abort"),
    pytest.param("import os, signal\nos.kill(0, signal.SIGTERM)", ("error", "crashed"), id="SIGTERM-own-group"),
    pytest.param("import os, signal\nos.kill(os.getpid(), signal.SIGXCPU)", ("timeout", "timeout"), id="fake-cpu-limit"),
])
def test_exiting_mid_case_is_never_a_pass(exit_call, expected, sandbox, course, full_plan):
    source = dense_with(exit_call, "return -1") + "\n\n" + isolated(
        course.reference_path("conv-param-count").read_text(), "conv_param_count")
    report = grade(from_python(source), only(full_plan, "conv-param-count", DENSE, **FAST), sandbox=sandbox, lang="en")
    dense = by_id(report)[DENSE]
    if expected == ("timeout", "timeout"):
        assert outcomes(dense)[0] == expected and set(outcomes(dense)[1:]) == {("timeout", "not_run")}
    else:
        assert_every_case(dense, expected)
    assert by_id(report)["conv-param-count"].status == "passed"
    assert report.score == by_id(report)["conv-param-count"].max_score
    assert_only_zygotes_left()


# ------------------------------------------------------------- monkeypatching


@pytest.mark.parametrize(("patch", "reasons"), [
    pytest.param("""
        import numpy as np
        np.allclose = np.array_equal = np.isclose = lambda *a, **k: True
        np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
    """, {"wrong_value"}, id="numpy-comparisons"),
    pytest.param("""
        import numpy as np
        try:
            np.ndarray.__eq__ = lambda self, other: True
        except TypeError:
            pass
    """, {"wrong_value"}, id="ndarray-eq"),
    pytest.param("""
        import builtins
        builtins.isinstance = lambda *a: True
        builtins.issubclass = lambda *a: True
    """, {"wrong_value"}, id="builtins-isinstance"),
    pytest.param("""
        import builtins
        _type = builtins.type
        builtins.type = lambda *a: int if len(a) == 1 else _type(*a)
    """, {"wrong_value"}, id="builtins-type"),
    pytest.param("""
        import json
        import sys
        sys.modules["compact"].encode = lambda *args: None  # the JSON path, which this patches
        _dumps = json.dumps
        json.dumps = lambda obj, *a, **k: _dumps(dict(obj, status="passed", score=1000, verdict="passed",
                                                     reason="passed", expected=obj.get("value")), *a, **k)
    """, {"wrong_value"}, id="json.dumps-extra-fields"),
    pytest.param("""
        import sys
        import sys
        sys.modules["compact"].encode = lambda *args: None  # the JSON path, which this patches
        sys.modules["protocol"].encode_value = lambda value, blobs, depth=0: {"t": "bool", "v": True}
    """, {"wrong_type"}, id="protocol.encode_value"),
    pytest.param("""
        import sys
        import sys
        sys.modules["compact"].encode = lambda *args: None  # the JSON path, which this patches
        sys.modules["runner"].call = lambda *a, **k: (
            {"kind": "returned", "value": {"t": "str", "v": "passed"}, "watched": [], "status": "passed"}, [])
    """, {"wrong_value", "wrong_type"}, id="runner.call"),
    pytest.param("""
        import sys
        import sys
        sys.modules["compact"].encode = lambda *args: None  # the JSON path, which this patches
        _reply = sys.modules["runner"]._reply
        sys.modules["runner"]._reply = lambda fd, captured, reply, out: _reply(
            fd, captured, {"kind": "passed", "score": 1000}, [])
    """, {"protocol_error"}, id="runner._reply"),
    pytest.param("""
        import sys
        class Lying(type(sys.modules["runner"].CappedText())):
            def take(self):
                return "", False, -10 ** 9
        sys.stdout = sys.stderr = Lying()
    """, {"wrong_value"}, id="captured-output"),
])
def test_monkeypatching_the_child_cannot_make_a_wrong_answer_pass(patch, reasons, sandbox, full_plan):
    """The patch runs in the first call, once the module has loaded (the runner's
    own modules are live in the child); the answer stays wrong (0)."""
    source = ("_patched = False\n\n\ndef _patch():\n" + textwrap.indent(textwrap.dedent(patch), "    ") + "\n\n" +
              dense_with("global _patched\nif not _patched:\n    _patched = True\n    _patch()", "return 0"))
    report = grade(from_python(source), single_exercise(full_plan, DENSE, **FAST), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _assert_nothing_passed(exercise)
    assert {test.reason for test in exercise.tests} == reasons, outcomes(exercise)


# --------------------------------------------------------- objects that lie


LIARS = '''
import os, numpy as np

RIGHT = 0  # set by dense_param_count to the right answer of the current case

class AlwaysEqual:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0
    def __int__(self): return RIGHT
    def __index__(self): return RIGHT
    def __float__(self): return float(RIGHT)
    def __repr__(self): return repr(RIGHT)

class ArrayLike:
    def __array__(self, dtype=None, copy=None): return np.asarray(RIGHT)

class IntSub(int):
    def __eq__(self, other): return True
    __hash__ = int.__hash__

class FloatSub(float):
    def __eq__(self, other): return True
    __hash__ = float.__hash__

class PretendsToBeInt:
    __class__ = property(lambda self: int)
    def __eq__(self, other): return True

class Pickles:
    def __reduce__(self):
        return (os.system, ("touch " + MARKER + "-reduce",))

class Deletes:
    def __del__(self):
        open(MARKER + "-del", "w").close()
'''


@pytest.mark.parametrize(("expression", "reason"), [
    pytest.param("AlwaysEqual()", "wrong_type", id="eq-always-true"),
    pytest.param("ArrayLike()", "wrong_type", id="__array__"),
    pytest.param("IntSub(RIGHT + 1)", "wrong_value", id="int-subclass"),  # read as its value: __eq__ never runs
    pytest.param("FloatSub(RIGHT + 1)", "wrong_type", id="float-subclass"),
    pytest.param("PretendsToBeInt()", "wrong_type", id="__class__-property"),
    pytest.param("Pickles()", "wrong_type", id="__reduce__"),
    pytest.param("Deletes()", "wrong_type", id="__del__"),
    pytest.param("{'value': RIGHT, 'status': 'passed'}", "wrong_type", id="dict"),
    pytest.param("str(RIGHT)", "wrong_type", id="str"),
    pytest.param("True", "wrong_type", id="bool"),
    pytest.param("np.array(RIGHT)", "wrong_type", id="0-d-array"),
    pytest.param("np.array([RIGHT], dtype=object)", "wrong_type", id="object-array"),
    pytest.param("(RIGHT,)", "wrong_type", id="tuple"),
    pytest.param("float('nan')", "wrong_type", id="nan"),
    pytest.param("float('inf')", "wrong_type", id="inf"),
    pytest.param("np.float64('nan')", "wrong_type", id="numpy-nan"),
    pytest.param("RIGHT + 1", "wrong_value", id="off-by-one"),
    pytest.param("float(RIGHT)", "int_as_float", id="float-of-right-value"),
])
def test_returned_objects_that_lie_never_pass_and_never_run_in_the_parent(expression, reason, sandbox, full_plan,
                                                                           tmp_path):
    marker = str(tmp_path / "ran-in-the-parent")
    source = LIARS.replace("MARKER", repr(marker)) + dense_with(f"global RIGHT\nRIGHT = {DENSE_FORMULA}",
                                                                 f"return {expression}")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _assert_nothing_passed(exercise)
    assert {test.reason for test in exercise.tests} == {reason}, outcomes(exercise)
    assert list(tmp_path.iterdir()) == []  # neither __reduce__ nor __del__ ran here


@pytest.mark.parametrize("expression", ["np.int64(RIGHT)", "IntSub(RIGHT)"])
def test_the_right_value_in_an_odd_int_type_is_accepted(expression, sandbox, full_plan, tmp_path):
    """The control for the liars: the grader is not simply rejecting everything
    odd. An int subclass crosses as its value (its lying __eq__ never runs)."""
    source = LIARS.replace("MARKER", repr(str(tmp_path / "unused"))) + dense_with(
        f"global RIGHT\nRIGHT = {DENSE_FORMULA}", f"return {expression}")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS


def _forward(course, body: str) -> str:
    """conv2d_forward computing the right answer into ``out`` (or -1 where the
    reference raises), then returning ``body``'s lie."""
    reference = isolated(course.reference_path(FORWARD).read_text(), "conv2d_forward")
    return (reference + "\n_reference = conv2d_forward\n\n\nimport numpy as np\n\n\n"
            "def conv2d_forward(x, w, b, stride=1, pad=0):\n"
            "    try:\n        out = _reference(x, w, b, stride, pad)\n    except Exception:\n"
            "        return np.zeros(1)\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n")


@pytest.mark.parametrize(("body", "reasons"), [
    pytest.param("""
        class Liar(np.ndarray):
            def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
            def __array_finalize__(self, obj): pass
        return np.zeros_like(out).view(Liar)
    """, {"wrong_values"}, id="ndarray-subclass-eq"),
    pytest.param("""
        class Looks:
            shape, dtype = out.shape, out.dtype
            def __array__(self, dtype=None, copy=None): return out
            def __eq__(self, other): return True
        return Looks()
    """, {"wrong_type"}, id="__array__-right-values"),
    pytest.param("""
        return np.ma.masked_array(np.zeros_like(out), mask=True)
    """, {"wrong_values"}, id="masked-array"),
    pytest.param("""
        return np.broadcast_to(np.zeros((), dtype=out.dtype), out.shape)
    """, {"wrong_values"}, id="zero-strided-view"),
    pytest.param("""
        np.allclose = np.array_equal = lambda *a, **k: True
        return np.zeros_like(out)
    """, {"wrong_values"}, id="patched-allclose"),
    pytest.param("""
        return out.tolist()
    """, {"list_not_array"}, id="nested-lists"),
    pytest.param("""
        out = out.copy()
        out.flat[0] = np.nan
        return out
    """, {"not_finite"}, id="one-nan"),
    pytest.param("""
        return np.full_like(out, np.inf)
    """, {"not_finite"}, id="all-inf"),
    pytest.param("""
        return out.astype(np.complex128)
    """, {"wrong_dtype"}, id="complex-right-values"),
])
def test_arrays_that_lie_never_pass(body, reasons, sandbox, course, full_plan):
    plan = single_exercise(full_plan, FORWARD)
    report = grade(from_python(_forward(course, body)), plan, sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _assert_nothing_passed(exercise)
    raising = {planned.case.name for planned in plan.exercises[0].cases if planned.expected.raised}
    assert {test.reason for test in exercise.tests if test.name not in raising} == reasons, outcomes(exercise)
    assert {test.reason for test in exercise.tests if test.name in raising} == {"missing_exception"}


def test_the_right_array_through_the_same_wrapper_passes(sandbox, course, full_plan):
    """The control for the array liars."""
    source = _forward(course, "return out").replace("        return np.zeros(1)\n", "        raise\n")
    report = grade(from_python(source), single_exercise(full_plan, FORWARD), sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed"


# -------------------------------------------------------------- forged frames


# Zero-size items pass the length check, and numpy cannot represent the shape.
ZERO_ITEMSIZE = r'''text = "{'descr': '<U0', 'fortran_order': False, 'shape': (999999999999, 999999999999), }"
text += " " * (-(11 + len(text)) % 64) + "\n"
blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()
return _returned({"t": "ndarray", "blob": 0}, blob, [len(blob)])'''

FORGER = '''
import io, json, os, struct, sys
import numpy as np

def _frame(head, blobs=b""):
    payload = struct.pack(">I", len(head)) + head + blobs
    return struct.pack(">I", len(payload)) + payload

def _returned(value, blobs=b"", sizes=()):
    return _frame(json.dumps({"kind": "returned", "value": value, "watched": [], "blobs": list(sizes),
                              "output": "", "output_truncated": False, "output_bytes": 0}).encode(), blobs)

class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + MARKER,))

def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()

def _forged():
    FORGERY

def dense_param_count(in_features, out_features, bias=True):
    forged = _forged()
    sys.modules["compact"].encode = lambda *args: None  # every reply through write_message
    sys.modules["protocol"].write_message = lambda fd, header, *rest: os.write(fd, forged)
    return 0
'''


@pytest.mark.parametrize("forgery", [
    pytest.param('return b"\\xff\\xff\\xff\\xff"', id="length-past-the-limit"),
    pytest.param('return _frame(b"{not json")', id="header-not-json"),
    pytest.param(ZERO_ITEMSIZE, id="zero-itemsize-huge-shape"),
    pytest.param('return _frame(b"[1, 2]")', id="header-not-an-object"),
    pytest.param('return _frame(b"{\\"kind\\": \\"returned\\", \\"x\\": " + b"7" * 100000 + b"}")', id="huge-json-int"),
    pytest.param('return _frame(json.dumps({"kind": "passed", "score": 1000, "status": "passed"}).encode())',
                 id="kind-passed"),
    pytest.param('return _returned({"t": "pickle", "v": "gASVAAAAAAAAAAA="})', id="unknown-value-tag"),
    pytest.param('return _returned({"t": "int", "v": "1" * 5000})', id="int-too-long"),
    pytest.param('return _returned({"t": "list", "items": [{"t": "none"}] * 10001})', id="too-many-items"),
    pytest.param('node = {"t": "none"}\nfor _ in range(40):\n    node = {"t": "list", "items": [node]}\n'
                 'return _returned(node)', id="nesting-too-deep"),
    pytest.param('return _returned({"t": "ndarray", "blob": 3}, b"", [])', id="blob-index-out-of-range"),
    pytest.param('return _returned({"t": "int", "v": "0"}, b"abc", [10])', id="blob-table-mismatch"),
    pytest.param('blob = _npy(np.array([Evil()], dtype=object), allow_pickle=True)\n'
                 'return _returned({"t": "ndarray", "blob": 0}, blob, [len(blob)])', id="pickled-object-array"),
    pytest.param('blob = _npy(np.zeros(4))\nblob = blob.replace(b"(4,)", b"(1099511627776,)")\n'
                 'return _returned({"t": "ndarray", "blob": 0}, blob, [len(blob)])', id="npy-shape-lies"),
    pytest.param('blob = _npy(np.zeros(2, dtype=[("a", "<f8")]))\n'
                 'return _returned({"t": "npscalar", "blob": 0}, blob, [len(blob)])', id="structured-dtype"),
])
def test_forged_reply_frames_are_protocol_errors(forgery, sandbox, full_plan, tmp_path):
    exercise = _graded_forgery(FORGER, forgery, sandbox, full_plan, str(tmp_path / "unpickled-in-the-parent"))
    assert {test.reason for test in exercise.tests} == {"protocol_error"}, outcomes(exercise)
    assert list(tmp_path.iterdir()) == []


def _graded_forgery(forger: str, forgery: str, sandbox, full_plan, marker: str = ""):
    """The dense exercise graded for a submission whose every reply is ``forgery``;
    nothing of it passed."""
    source = forger.replace("MARKER", repr(marker)).replace("    FORGERY", textwrap.indent(forgery, "    "))
    report = grade(from_python(source), single_exercise(full_plan, DENSE, **FAST), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    _assert_nothing_passed(exercise)
    return exercise


COMPACT_FORGER = FORGER.replace('''def dense_param_count(in_features, out_features, bias=True):
    forged = _forged()
    sys.modules["compact"].encode = lambda *args: None  # every reply through write_message
    sys.modules["protocol"].write_message = lambda fd, header, *rest: os.write(fd, forged)
    return 0
''', '''def _compact(kind, count, unchanged, elapsed, body=b""):
    payload = struct.pack(">I", 0) + struct.pack("<BBHd", kind, count, unchanged, elapsed) + body
    return struct.pack(">I", len(payload)) + payload

def _array(array, allow_pickle=False):
    blob = _npy(array, allow_pickle)
    return struct.pack("<I", len(blob)) + blob

def dense_param_count(in_features, out_features, bias=True):
    forged = _forged()
    sys.modules["protocol"].write_parts = lambda fd, parts, size: os.write(fd, forged)
    return 0
''')


@pytest.mark.parametrize("forgery", [
    pytest.param('return _compact(9, 0, 0, 0.0)', id="unknown-kind"),
    pytest.param('return struct.pack(">I", 5) + b"\\0\\0\\0\\0\\x03"', id="truncated-head"),
    pytest.param('return _compact(3, 1, 0, 0.0, struct.pack("<q", 0))', id="int-with-a-count"),
    pytest.param('return _compact(3, 0, 0, 0.0, struct.pack("<q", 0) + b"x")', id="int-with-more-bytes"),
    pytest.param('return _compact(1, 2, 0, 0.0, _array(np.zeros(2)) + _array(np.zeros(2)))', id="one-array-of-two"),
    pytest.param('return _compact(1, 1, 0, 0.0, struct.pack("<I", 10 ** 6) + b"abc")', id="length-past-the-end"),
    pytest.param('return _compact(2, 1, 0, 0.0, _array(np.zeros(2)) + b"junk")', id="bytes-after-the-arrays"),
    pytest.param('return _compact(1, 1, 0, 0.0, _array(np.array([Evil()], dtype=object), allow_pickle=True))',
                 id="pickled-object-array"),
    pytest.param('blob = _array(np.zeros(4)).replace(b"(4,)", b"(1099511627776,)")\n'
                 'return _compact(1, 1, 0, 0.0, blob)', id="npy-shape-lies"),
])
def test_forged_compact_replies_are_protocol_errors(forgery, sandbox, full_plan, tmp_path):
    exercise = _graded_forgery(COMPACT_FORGER, forgery, sandbox, full_plan, str(tmp_path / "unpickled-in-the-parent"))
    assert {test.reason for test in exercise.tests} == {"protocol_error"}, outcomes(exercise)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("forgery", "reason"), [
    pytest.param('return _compact(4, 0, 0, float("nan"), struct.pack("<d", float("nan")))', "wrong_type",
                 id="nan-float-nan-time"),
    pytest.param('return _compact(1, 1, 65535, 1e308, _array(np.zeros(3)))', "wrong_type", id="array-for-an-int"),
    pytest.param('return _compact(3, 0, 0, -1.0, struct.pack("<q", -(1 << 63)))', "wrong_value", id="smallest-int"),
])
def test_well_formed_compact_replies_are_judged_like_any_answer(forgery, reason, sandbox, full_plan):
    exercise = _graded_forgery(COMPACT_FORGER, forgery, sandbox, full_plan)
    assert {test.reason for test in exercise.tests} == {reason}, outcomes(exercise)
    assert all(test.seconds <= 1e4 for test in exercise.tests)  # the child's word on time, capped


def test_deeply_nested_reply_header_is_a_protocol_error_not_a_grader_crash(sandbox, full_plan, tmp_path):
    forgery = 'return _frame(b"{\\"kind\\": \\"returned\\", \\"watched\\": [], \\"value\\": " + b"[" * 200000 + b"]" * 200000 + b"}")'
    exercise = _graded_forgery(FORGER, forgery, sandbox, full_plan, str(tmp_path / "m"))
    assert {test.reason for test in exercise.tests} == {"protocol_error"}


def test_bytes_after_a_reply_are_never_taken_for_a_pass(sandbox, full_plan):
    """A wrong reply followed by junk: the junk is read as the next reply and rejected."""
    forgery = 'return _returned({"t": "int", "v": "0"}) + b"trailing junk"'
    exercise = _graded_forgery(FORGER, forgery, sandbox, full_plan, "/nonexistent")
    assert {test.reason for test in exercise.tests} == {"wrong_value", "protocol_error"}, outcomes(exercise)


def test_a_huge_reply_header_cannot_make_the_parent_allocate_gigabytes(sandbox, public_plan):
    import tracemalloc

    source = textwrap.dedent('''
        import os, struct, sys

        def _flood(fd, header, *rest):
            head = b'{"kind":"returned","watched":[],"value":{"t":"list","items":[' + b"{}," * ((4 << 20) // 3) + b"{}]}}"
            payload = struct.pack(">I", len(head)) + head
            data = memoryview(struct.pack(">I", len(payload)) + payload)
            while data:
                data = data[os.write(fd, data[:1 << 20]):]

        def dense_param_count(in_features, out_features, bias=True):
            sys.modules["compact"].encode = lambda *args: None
            sys.modules["protocol"].write_message = _flood
            return 0
    ''')
    plan = single_exercise(public_plan, DENSE, time_seconds=10.0, total_seconds=20.0)
    tracemalloc.start()
    try:
        report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    exercise = report.exercises[0]
    _assert_nothing_passed(exercise)
    assert {test.reason for test in exercise.tests} == {"protocol_error"}
    assert peak < 32 << 20, f"the parent allocated {peak >> 20} MiB for one reply"


def test_large_array_replies_cost_the_parent_at_most_a_few_times_the_answer(sandbox, public_plan):
    """The same cached 64 MiB array returned by every call: the child pays
    nothing, and the parent used to allocate and read each one (a minute of
    CPU for a submission). A reply far larger than the answer is refused
    before anything is allocated for it."""
    import tracemalloc

    source = "import numpy as np\n_BIG = np.zeros(8 << 20)\n\ndef dense_param_count(*args, **kwargs):\n    return _BIG\n"
    plan = single_exercise(public_plan, DENSE)
    tracemalloc.start()
    try:
        report = grade(from_python(source), plan, sandbox=sandbox, lang="en")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    exercise = report.exercises[0]
    _assert_nothing_passed(exercise)
    assert {test.reason for test in exercise.tests} == {"protocol_error"}, outcomes(exercise)
    assert all("too large" in test.message for test in exercise.tests if test.visibility == "public")
    assert peak < 16 << 20, f"the parent allocated {peak >> 20} MiB"


def test_a_wrong_answer_of_a_sensible_size_is_still_judged(sandbox, public_plan):
    """(The limit is generous: an array where an int is expected is a wrong type, not a protocol error.)"""
    source = "import numpy as np\n\ndef dense_param_count(*args, **kwargs):\n    return np.zeros((256, 256))\n"
    exercise = grade(from_python(source), single_exercise(public_plan, DENSE), sandbox=sandbox, lang="en").exercises[0]
    assert {test.reason for test in exercise.tests} == {"wrong_type"}, outcomes(exercise)


def test_zz_the_grader_still_grades_a_correct_submission(sandbox, course, full_plan):
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)


def test_an_input_whose_dtype_the_call_changed_is_a_modified_input(sandbox, course, full_plan):
    """Right answer, then ``x.dtype = '<U2'`` on the input: judged as a modified
    input (no comparison of text with numbers inside the grader)."""
    source = (course.solutions_dir / "maxpool2d-forward.py").read_text() + textwrap.dedent('''
        _right = maxpool2d_forward

        def maxpool2d_forward(x, *args, **kwargs):
            result = _right(x, *args, **kwargs)
            if x.dtype == np.float64 and x.flags.c_contiguous and x.nbytes % 8 == 0:
                x.dtype = "<U2"
            return result
    ''')
    report = grade(from_python(source), single_exercise(full_plan, "maxpool2d-forward"), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    reasons = {test.reason for test in exercise.tests}
    assert "modified_input" in reasons and reasons <= {"modified_input", "passed"}, outcomes(exercise)
    assert all(test.status != "passed" for test in exercise.tests if test.reason == "modified_input")

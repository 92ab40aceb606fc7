"""Attacks on the trusted process itself, through what it reads from the child:
names the student's code gives its types, and replies built to make the grader
spend memory or time. Each must cost the submission its case, never the grader
its report."""

from __future__ import annotations

import json

from grader.engine import grade
from grader.report import render_json
from grader.submission import from_python

from conftest import single_exercise

from .helpers import DENSE, DENSE_FORMULA, needs_sandbox, outcomes

pytestmark = needs_sandbox


def _named(name: str, public_right: bool = False) -> str:
    """dense_param_count returning an instance of a class named ``name`` as if
    a built-in (optionally answering the public cases right)."""
    return (f"class Odd:\n    pass\n\n\nOdd.__module__ = 'builtins'\nOdd.__qualname__ = {name!r}\n_calls = 0\n\n\n"
            f"def dense_param_count(in_features, out_features, bias=True):\n    global _calls\n    _calls += 1\n"
            f"    if {public_right} and _calls <= 2:\n        return {DENSE_FORMULA}\n    return Odd()\n")


def test_a_type_named_like_a_broken_dtype_is_a_wrong_type_not_a_grader_crash(sandbox, full_plan):
    """For a hidden case the judge asks numpy whether an unknown type name is a
    plain dtype: numpy's parser raises SyntaxError or ValueError for some names."""
    plan = single_exercise(full_plan, DENSE)
    for name in (",", "(9223372036854775808,)f8", "i4,i4", "O"):
        report = grade(from_python(_named(name, public_right=True)), plan, sandbox=sandbox, lang="en")
        exercise = report.exercises[0]
        hidden = [test for test in exercise.tests if test.visibility == "hidden"]
        assert hidden and all(test.reason == "wrong_type" and "object" in test.message for test in hidden), \
            outcomes(exercise)
        assert name not in " ".join(test.message for test in hidden)


def test_a_type_name_with_terminal_escapes_or_a_lone_surrogate_is_shown_inert(sandbox, full_plan):
    plan = single_exercise(full_plan, DENSE)
    escapes = "\x1b]0;PWNED\x07\x1b[2J\x1b[32mPASSED 135/135\x1b[0m"
    report = grade(from_python(_named(escapes)), plan, sandbox=sandbox, lang="en")
    public = [test for test in report.exercises[0].tests if test.visibility == "public"]
    assert all(test.reason == "wrong_type" for test in public)
    assert all("\x1b" not in test.message and "\\x1b]0;PWNED" in test.message for test in public)
    report = grade(from_python(_named("x\ud800y")), plan, sandbox=sandbox, lang="en")
    assert "x\\xd800y" in report.exercises[0].tests[0].message
    json.loads(render_json(report))  # the report still serializes


LINE_CHANNEL = '''import sys
_runner = sys.modules.get("runner") if CLAIMED else None
_calls = 0


def dense_param_count(in_features, out_features, bias=True):
    global _calls
    _calls += 1
    if _calls <= 2:
        raise ValueError("a public case: its line is shown")
    raise ValueError("a hidden case")


if _runner is not None:
    _describe = _runner.describe_exception

    def _claiming(error, filename, loading=False):
        described = _describe(error, filename, loading)
        if "hidden" in str(error):
            described["frames"] = [{"line": CLAIMED, "function": "dense_param_count"}]
        return described

    _runner.describe_exception = _claiming
''' + "\n" * 2000


def test_a_hidden_cases_line_is_named_only_where_the_file_has_a_statement(sandbox, full_plan):
    """The line is the student's to choose; blank lines padding the file would
    give each hidden case thousands of lines to encode its inputs in."""
    def graded(claimed: int):
        source = f"CLAIMED = {claimed}\n" + LINE_CHANNEL
        tests = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en").exercises[0].tests
        public = {test.message for test in tests if test.visibility == "public"}
        hidden = {test.message for test in tests if test.visibility == "hidden"}
        return public, hidden

    public, hidden = graded(1000)  # a blank line of the padding
    assert public == {"raised ValueError (line 11): a public case: its line is shown"}
    assert hidden == {"raised ValueError"}
    assert graded(0)[1] == {"raised ValueError (line 12)"}  # the line it raised at, left as it was

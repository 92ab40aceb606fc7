"""A file read but not compiled is loaded in two halves (the sandbox compiles the
head while the grader compiles the tail): the report must be exactly the one
the whole file, compiled first, gets."""

from __future__ import annotations

import time

import pytest

from grader.engine import grade, limits_for
from grader.sandbox import Limits, open_sandbox
from grader.submission import from_python

from conftest import submission_source


def _without_timings(value):
    if isinstance(value, dict):
        return {key: _without_timings(item) for key, item in value.items() if key != "seconds"}
    if isinstance(value, list):
        return [_without_timings(item) for item in value]
    return value


@pytest.fixture(scope="module")
def sandbox(full_plan):
    box = open_sandbox(limits_for(full_plan), allow_unisolated=True)
    yield box
    box.close()


def _split(source: str) -> tuple[str, str]:
    halves = from_python(source, check=False).halves()
    assert halves is not None, "a whole course's file is worth splitting"
    head, tail = halves
    assert head.source + "\n" + tail.source == source and tail.line_offset == head.source.count("\n") + 1
    return head.source, tail.source


def _same_report(source: str, plan, sandbox):
    eager = grade(from_python(source), plan, sandbox=sandbox, lang="en")
    lazy_submission = from_python(source, check=False)
    lazy = grade(lazy_submission, plan, sandbox=sandbox, lang="en")
    assert lazy_submission.checked
    assert _without_timings(lazy.model_dump()) == _without_timings(eager.model_dump())
    return lazy


def test_a_correct_file_loaded_in_halves_scores_the_same(course, full_plan, sandbox):
    report = _same_report(submission_source(course), full_plan, sandbox)
    assert report.score == report.max_score


@pytest.mark.parametrize("where", ["head", "tail"])
def test_a_syntax_error_in_either_half_is_located_as_in_the_whole_file(course, full_plan, sandbox, where):
    head, tail = _split(submission_source(course))
    broken = "def broken(:\n    pass\n"
    source = broken + head + "\n" + tail if where == "head" else head + "\n" + broken + tail
    report = _same_report(source, full_plan, sandbox)
    assert any(problem.startswith("syntax error (line") for problem in report.problems)
    assert report.score == report.max_score  # only the broken statement is lost


@pytest.mark.parametrize("where", ["head", "tail"])
def test_errors_at_import_in_either_half_are_reported_in_file_order(course, full_plan, sandbox, where):
    head, tail = _split(submission_source(course))
    if where == "head":
        source = "x = 1 / 0\n" + head + "\n" + tail + "\nraise KeyError('last')\n"
    else:
        source = head + "\n" + tail + "\nx = 1 / 0\nraise KeyError('last')\n"
    report = _same_report(source, full_plan, sandbox)
    assert [problem.split(" ")[0] for problem in report.problems][:2] == ["ZeroDivisionError", "KeyError"]


def test_a_file_with_global_statements_is_not_split(course):
    source = submission_source(course) + "\ncounter = 0\n\n\ndef bump():\n    global counter\n    counter += 1\n"
    assert from_python(source, check=False).halves() is None
    assert from_python("from __future__ import annotations\n" + submission_source(course), check=False).halves() is None
    assert from_python("def f():\n    return 1\n", check=False).halves() is None  # too small to be worth it


@pytest.mark.parametrize("where", ["head", "tail"])
def test_a_loop_at_import_in_either_half_costs_one_load_limit(course, full_plan, where):
    """The head loops (a second try would cost another limit), or runs for a
    second before the tail loops (the tail gets what is left of the one limit)."""
    head, tail = _split(submission_source(course))
    loop = "while True:\n    pass\n"
    if where == "head":
        source = loop + head + "\n" + tail
    else:
        source = "import time\ntime.sleep(1.0)\n" + head + "\n" + tail + "\n" + loop
        assert "while True" in _split(source)[1] and "sleep" in _split(source)[0]
    with open_sandbox(Limits(memory_mb=512, cpu_seconds=60, load_seconds=1.5), allow_unisolated=True) as box:
        grade(from_python(submission_source(course)), full_plan, sandbox=box)  # a warm sandbox
        started = time.perf_counter()
        report = grade(from_python(source, check=False), full_plan, sandbox=box, lang="en")
        elapsed = time.perf_counter() - started
    assert report.score == 0
    assert all(test.reason == "load_failed" and test.status == "timeout"
               for exercise in report.exercises for test in exercise.tests)
    assert elapsed < 2.2, f"{elapsed:.1f} s: the two halves got a load limit each"

"""Correct student submissions, written independently in many styles, must get full marks.

Every file in tests/corpus/correct/ implements all nine cnn-basics functions
correctly per the statements. A grader that fails one of them is wrong, just as
one that passes a broken submission. (Two of them found grader bugs: a module
that dataclasses could not find, and a namedtuple refused as a tuple.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.engine import grade_file, limits_for
from grader.sandbox import BwrapSandbox, ProcessSandbox, unavailable_reason

CORPUS = Path(__file__).resolve().parent / "corpus" / "correct"
FILES = sorted(path for path in CORPUS.iterdir() if path.suffix in (".py", ".ipynb"))

def test_corpus_is_not_empty():
    assert len(FILES) >= 14
    assert sum(path.suffix == ".ipynb" for path in FILES) >= 4


@pytest.fixture(scope="module")
def sandbox(full_plan):
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"isolated sandbox (bubblewrap) unavailable, hidden cases cannot be graded: {reason}")
    with BwrapSandbox(limits_for(full_plan)) as shared:
        yield shared


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_correct_submission_gets_full_marks(path, full_plan, sandbox):
    report = grade_file(path, full_plan, sandbox=sandbox, lang="en")
    failures = [
        f"{exercise.id} / {test.name} ({test.visibility}): {test.status} [{test.reason}] {test.message}"
        for exercise in report.exercises
        for test in exercise.tests
        if test.status != "passed"
    ]
    shown = "\n  ".join(failures[:25] + ([f"... and {len(failures) - 25} more"] if len(failures) > 25 else []))
    assert report.score == report.max_score, (
        f"{path.name}: {report.score} / {report.max_score}\n  {shown}\nload problems: {report.problems}"
    )
    assert not failures


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_a_students_own_check_passes_it_too(path, public_plan):
    """The portable backend (a student's `grader check`, public cases) runs the
    same files as the isolated one: it must not fail what the server passes."""
    report = grade_file(path, public_plan, sandbox=ProcessSandbox(limits_for(public_plan)), lang="en",
                        visibility="public")
    failures = [f"{exercise.id} / {test.name}: {test.status} [{test.reason}] {test.message}"
                for exercise in report.exercises for test in exercise.tests if test.status != "passed"]
    assert report.score == report.max_score and not failures, (path.name, failures, report.problems)

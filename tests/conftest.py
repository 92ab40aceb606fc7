"""Shared fixtures: the real course, its plans, and submissions built from the solutions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.catalog import Course
from grader.catalog.plan import AssignmentPlan

ROOT = Path(__file__).resolve().parents[1]
ALL = frozenset({"public", "hidden"})
PUBLIC = frozenset({"public"})
EXAMPLES = ROOT / "examples" / "submissions"


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="session")
def full_plan(course: Course) -> AssignmentPlan:
    return course.plan("cnn-basics", ALL)


@pytest.fixture(scope="session")
def public_plan(course: Course) -> AssignmentPlan:
    return course.plan("cnn-basics", PUBLIC)


def isolated(source: str, function: str) -> str:
    """Module source exposing only ``function``, its helpers kept private in a closure,
    so that several exercises' files can share one submission without clashing."""
    body = textwrap.indent(source, "    ")
    loader = f"_load_{function}"
    return f"def {loader}():\n{body}\n    return {function}\n\n\n{function} = {loader}()\n"


def submission_source(course: Course, replace: dict[str, str | None] | None = None) -> str:
    """The reference solutions as one student file; ``replace`` maps an exercise id
    to a mutant slug, or to None to leave that function out."""
    replace = replace or {}
    parts = []
    for exercise_id in course.assignment("cnn-basics").exercises:
        exercise_id = exercise_id.id
        function = course.exercise(exercise_id).function
        if exercise_id in replace and replace[exercise_id] is None:
            continue
        slug = replace.get(exercise_id)
        path = course.solutions_dir / "mutants" / exercise_id / f"{slug}.py" if slug else course.reference_path(exercise_id)
        parts.append(isolated(path.read_text(encoding="utf-8"), function))
    return "\n\n".join(parts)


def single_exercise(plan: AssignmentPlan, exercise_id: str, **limits) -> AssignmentPlan:
    """A plan with one exercise of ``plan``, optionally with other limits."""
    exercise = next(item for item in plan.exercises if item.id == exercise_id)
    if limits:
        exercise = type(exercise)(**{**exercise.__dict__, "limits": exercise.limits.model_copy(update=limits)})
    return AssignmentPlan(id=plan.id, title=plan.title, exercises=[exercise])

"""``grader exercises validate``: prove each exercise spec does its job.

For every exercise: the reference passes every case when graded through the
real pipeline, every mutant fails at least one hidden case, and no hidden case
is a copy of a public one (a submission that memorised the public answers
must not pass the hidden tests).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Course, SpecError
from .catalog.cases import same_inputs
from .catalog.plan import AssignmentPlan, ExercisePlan
from .catalog.reference import load_function, run_trusted
from .engine import grade
from .report import ExerciseResult
from .submission import read_submission

ALL = frozenset({"public", "hidden"})


@dataclass
class MutantCheck:
    slug: str
    caught: bool
    hidden_failures: int
    public_failures: int
    diagnosed: bool


@dataclass
class ExerciseValidation:
    id: str
    public_cases: int = 0
    hidden_cases: int = 0
    mutants: list[MutantCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_exercise(course: Course, exercise_id: str) -> ExerciseValidation:
    result = ExerciseValidation(exercise_id)
    try:
        plan = course.exercise_plan(exercise_id, ALL)
        _check_files(course, exercise_id, result)
    except SpecError as error:
        result.problems.append(str(error))
        return result
    public = [item.case for item in plan.cases if item.case.visibility == "public"]
    hidden = [item.case for item in plan.cases if item.case.visibility == "hidden"]
    result.public_cases, result.hidden_cases = len(public), len(hidden)
    if not hidden:
        result.problems.append("no hidden cases")
    for case in hidden:
        if any(same_inputs(case, shown) for shown in public):
            result.problems.append(f"hidden case {case.name!r} has the same inputs as a public case")
    _check_declared_exceptions(course, plan, result)

    reference = _grade_file(course.reference_path(exercise_id), plan)
    for test in reference.tests:
        if test.status != "passed":
            result.problems.append(f"reference fails {test.name}: {test.status}: {test.message}")
    mutants = course.mutants(exercise_id)
    if len(mutants) < 2:
        result.problems.append(f"only {len(mutants)} mutant(s); at least 2 are needed")
    for mutant in mutants:
        graded = _grade_file(mutant.path, plan)
        failing = [test for test in graded.tests if test.status != "passed"]
        check = MutantCheck(
            slug=mutant.slug,
            caught=any(test.visibility == "hidden" for test in failing),
            hidden_failures=sum(test.visibility == "hidden" for test in failing),
            public_failures=sum(test.visibility == "public" for test in failing),
            diagnosed=any(mutant.slug in test.likely_mistakes for test in failing),
        )
        result.mutants.append(check)
        if not check.caught:
            result.problems.append(f"mutant {mutant.slug!r} passes every hidden case")
    return result


def validate(course: Course, exercise_ids: list[str] | None = None) -> list[ExerciseValidation]:
    ids = exercise_ids or course.exercise_ids
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda exercise_id: validate_exercise(course, exercise_id), ids))


def _grade_file(path: Path, plan: ExercisePlan) -> ExerciseResult:
    assignment = AssignmentPlan(id=f"validate-{plan.id}", title=plan.title, exercises=[plan])
    return grade(read_submission(path), assignment, lang="en").exercises[0]


def _check_files(course: Course, exercise_id: str, result: ExerciseValidation) -> None:
    for lang in ("ko", "en"):
        course.statement(exercise_id, lang)
    spec = course.exercise(exercise_id)
    starter_path = course.exercises_dir / exercise_id / spec.starter
    try:
        starter = starter_path.read_text(encoding="utf-8")
        compile(starter, str(starter_path), "exec")
    except (OSError, SyntaxError) as error:
        result.problems.append(f"{starter_path}: starter code unusable: {error}")
        return
    if f"def {spec.function}(" not in starter:
        result.problems.append(f"{starter_path}: starter code does not define {spec.function}()")


def _check_declared_exceptions(course: Course, plan: ExercisePlan, result: ExerciseValidation) -> None:
    """The reference must raise exactly where the spec says a case raises."""
    reference = load_function(course.reference_path(plan.id), plan.function)
    for item in plan.cases:
        answer = run_trusted(reference, item.case.args, item.case.kwargs)
        if item.case.raises and answer.raised != item.case.raises:
            result.problems.append(
                f"case {item.case.name!r} declares raises = {item.case.raises!r} but the reference "
                + (f"raised {answer.raised}" if answer.raised else "returned a value"))
        elif not item.case.raises and answer.raised:
            result.problems.append(f"the reference raised {answer.raised} on {item.case.name!r}, which declares no exception")

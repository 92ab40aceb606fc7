"""What a report says beyond each case's verdict: why a case did not run or a
function is missing, what went wrong while loading, the mistake most failing
cases point to, and the report for a file that could not be read at all.
Pure functions of the grader's own records (no sandbox, no student code)."""

from __future__ import annotations

import re

from .catalog.plan import AssignmentPlan, ExercisePlan, PlannedCase
from .judge import exception_message, location_of
from .messages import say
from .report import ExerciseResult, Report, TestResult, inert
from .sandbox import Outcome
from .submission import Submission

RELOAD_FAILED = "reload failed"


def unreadable_report(name: str, problem: str, plan: AssignmentPlan, lang: str, visibility: str) -> Report:
    message = say("unreadable", lang, problem=inert(problem, 500))
    exercises = [
        ExerciseResult(
            id=exercise.id, function=exercise.function, title=exercise.title.get(lang), score=0.0,
            max_score=round(sum(item.case.points for item in exercise.cases), 6), status="error",
            tests=[TestResult(name=item.case.name, visibility=item.case.visibility, status="error", score=0.0,
                              max_score=round(item.case.points, 6), message=message, reason="unreadable")
                   for item in exercise.cases],
        )
        for exercise in plan.exercises
    ]
    return Report(assignment=plan.id, score=0.0, max_score=round(sum(e.max_score for e in exercises), 6),
                  exercises=exercises, submission=inert(name, 200), visibility=visibility, lang=lang,
                  problems=[message])


def load_failed(planned: PlannedCase, failure: Outcome, lang: str) -> TestResult:
    case = planned.case
    return TestResult(name=case.name, visibility=case.visibility,
                      status="timeout" if failure.kind == "timeout" else "error", score=0.0,
                      max_score=round(case.points, 6), message=load_failure_message(failure, lang),
                      reason="load_failed")


def load_failure_message(failure: Outcome, lang: str) -> str:
    if failure.detail == RELOAD_FAILED:
        return say("reload_failed", lang)
    if failure.kind == "timeout":
        return say("load_timeout", lang)
    return say("crashed", lang, detail=say("while_loading", lang, detail=inert(failure.detail, 200)))


def missing_because(load_errors: list[dict], submission: Submission, function: str, lang: str) -> str:
    """Why ``function`` may be missing: a definition nested in another, the
    error that kept its definition from running (it compiled, so something at
    load stopped it), else the syntax errors (it may be in a piece that did
    not compile)."""
    if not submission.syntax_errors and not any(re.search(rf"\b{re.escape(function)}\b", unit.source)
                                                for unit in submission.units):
        return ""  # named nowhere in the file: no error kept it from being defined
    found = _definitions(submission, function)
    defs = [(indented, line) for is_def, indented, line in found if is_def]
    if defs and all(indented for indented, _ in defs):
        return say("not_top_level", lang, function=function, location=location_of(submission, defs[0][1], lang))
    if submission.syntax_errors and not (found and load_errors):
        return say("because_syntax", lang, errors="; ".join(
            f"{problem.where(lang)}: {inert(problem.message, 100)}" for problem in submission.syntax_errors[:3]))
    if load_errors:
        return say("because_load", lang, errors="; ".join(
            load_problem(error, submission, lang) for error in load_errors[:3]))
    return ""


def _definitions(submission: Submission, function: str) -> list[tuple[bool, bool, int]]:
    """(a def rather than an assignment, indented, joined-source line) of each
    place code that compiled defines ``function``, in file order."""
    name = re.escape(function)
    pattern = re.compile(rf"^([ \t]*)(?:((?:async[ \t]+)?def[ \t]+{name}\b)|{name}[ \t]*[:=])", re.MULTILINE)
    return [(match.group(2) is not None, bool(match.group(1)),
             unit.line_offset + unit.source.count("\n", 0, match.start()) + 1)
            for unit in submission.units for match in pattern.finditer(unit.source)]


MAX_CELLS_NAMED = 10


def run_out_of_order(submission: Submission, functions: list[str], lang: str) -> list[str]:
    """For a notebook whose cells define a graded function more than once: the
    grader runs every cell from the top, so the last definition counts, even
    when the saved notebook shows another cell was run after it (a fixed
    version above an old attempt)."""
    if submission.kind != "ipynb" or not any(count is not None for count in submission.run_order):
        return []
    said = []
    for function in functions:
        cells = sorted({submission.locate(line)[0] for is_def, indented, line in _definitions(submission, function)
                        if not indented} - {None})
        if len(cells) < 2:
            continue
        counts = {cell: submission.run_order[cell - 1] for cell in cells if cell - 1 < len(submission.run_order)}
        ran_last = max((cell for cell, count in counts.items() if count is not None), key=counts.get, default=None)
        if ran_last is not None and ran_last != cells[-1]:
            shown = [str(cell) for cell in cells[:MAX_CELLS_NAMED]] + (["…"] if len(cells) > MAX_CELLS_NAMED else [])
            said.append(say("run_out_of_order", lang, function=function, cells=", ".join(shown),
                            graded=cells[-1], ran_last=ran_last))
    return said


def load_problem(error: dict, submission: Submission, lang: str) -> str:
    frames = error.get("frames", [])
    where = location_of(submission, frames[0]["line"], lang) if frames else ""
    if error.get("interrupted"):
        return say("load_interrupted", lang, where=where)
    return f"{inert(error.get('exc_type', 'Exception'), 200)}{where}: {exception_message(error, lang, 200)}"


def summary(exercise: ExercisePlan, tests: list[TestResult], lang: str) -> list[str]:
    """Exercise-level feedback: the mistake most failing cases point to, and
    the hint for the most common kind of failure."""
    failing = [test for test in tests if test.status != "passed"]
    feedback = []
    mistakes = _most_common(slug for test in failing for slug in test.likely_mistakes)
    if mistakes:
        slug, count = mistakes
        text = say("likely_mistake", lang, mistake=exercise.mutants.mistakes[slug].get(lang))
        feedback.append(f"{text} ({count}/{len(failing)})")
    reasons = _most_common(test.reason for test in failing if test.reason in exercise.hints)
    if reasons:
        feedback.append(exercise.hints[reasons[0]].get(lang))
    return feedback


def _most_common(items) -> tuple[str, int] | None:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return max(counts.items(), key=lambda pair: pair[1]) if counts else None

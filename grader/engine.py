"""The grading core: ``grade(submission, plan) -> Report``.

Every entry point (student check, instructor grade, batch, service) calls
:func:`grade`. It sends only case inputs to the sandbox, compares what comes
back with the expected answers here, in the trusted process, and explains
each failure.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from . import checks, diagnose
from .catalog.plan import AssignmentPlan, ExercisePlan, PlannedCase
from .messages import say
from .report import ExerciseResult, Report, TestResult, inert
from .sandbox import BwrapSandbox, ChildSession, Limits, Outcome, ProcessSandbox, open_sandbox, protocol

Sandbox = BwrapSandbox | ProcessSandbox
from .submission import Submission, SubmissionError, read_submission


@dataclass
class _Child:
    """The submission loaded in a live child; restarted after a timeout or crash.

    A submission whose loading itself fails (a timeout or crash at import) is
    not loaded again: every later call reports that failure at once.
    """

    sandbox: "Sandbox"
    submission: Submission
    session: ChildSession | None = None
    load_errors: list[dict] = field(default_factory=list)
    load_failure: Outcome | None = None
    loaded_once: bool = False

    def run(self, function: str, cases: list[PlannedCase], seconds: float) -> Iterator[Outcome]:
        if self.load_failure is None and (self.session is None or not self.session.alive):
            self.close()
            self.session = self.sandbox.session()
            loaded = self.session.load(self.submission.wire_units(), "submission.py")
            if not self.loaded_once:
                self.loaded_once = True
                self.load_errors = loaded.errors
            if loaded.kind != "loaded":
                self.load_failure = loaded
        if self.load_failure is not None:
            yield from (self.load_failure for _ in cases)
            return
        yield from self.session.call_many(function, [_wire(planned) for planned in cases], seconds)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def _wire(planned: PlannedCase) -> protocol.EncodedCall:
    """A case's inputs in wire form, encoded once per plan and reused for every submission."""
    if planned.wire is None:
        case = planned.case
        planned.wire = protocol.encode_call(
            case.args, case.kwargs, [index for index, value in enumerate(case.args) if _is_array(value)])
    return planned.wire


def grade_file(path: Path, plan: AssignmentPlan, **options) -> Report:
    """Grade a file; one that cannot be read at all still yields a report saying why."""
    try:
        submission = read_submission(path)
    except SubmissionError as error:
        return unreadable_report(path.name, str(error), plan, options.get("lang", "ko"), options.get("visibility", "all"))
    return grade(submission, plan, **options)


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


def limits_for(plan: AssignmentPlan) -> Limits:
    """One child runs a whole submission: it gets the largest memory limit of the plan,
    and CPU time for every exercise's budget."""
    memory = max((exercise.limits.memory_mb for exercise in plan.exercises), default=512)
    budget = sum(exercise.limits.total_seconds + exercise.limits.time_seconds for exercise in plan.exercises)
    return Limits(memory_mb=memory, cpu_seconds=int(budget) + 10)


def grade(submission: Submission, plan: AssignmentPlan, *, sandbox: Sandbox | None = None,
          lang: str = "ko", visibility: str = "all", allow_unisolated: bool = False) -> Report:
    """Grade ``submission`` against ``plan``.

    Without a ``sandbox`` one is opened for this call; grading hidden cases
    (``visibility="all"``) then requires the isolated backend unless
    ``allow_unisolated``. Pass a long-lived sandbox to grade many submissions.
    """
    started = time.perf_counter()
    own_sandbox = sandbox is None
    if own_sandbox:
        sandbox = open_sandbox(limits_for(plan), require_isolation=visibility == "all", allow_unisolated=allow_unisolated)
    child = _Child(sandbox, submission)
    try:
        results = [_grade_exercise(exercise, child, submission, lang) for exercise in plan.exercises]
    finally:
        child.close()
        if own_sandbox:
            sandbox.close()
    problems = [f"syntax error ({problem.where()}): {inert(problem.message)}" for problem in submission.syntax_errors]
    problems += [_load_problem(error, submission, lang) for error in child.load_errors]
    if child.load_failure is not None:
        problems.append(_load_failure_message(child.load_failure, lang))
    return Report(
        assignment=plan.id,
        score=round(sum(result.score for result in results), 6),
        max_score=round(sum(result.max_score for result in results), 6),
        exercises=results,
        submission=inert(submission.name, 200),
        visibility=visibility,
        lang=lang,
        problems=problems,
        sandbox=sandbox.name,
        seconds=round(time.perf_counter() - started, 4),
    )


def _grade_exercise(exercise: ExercisePlan, child: _Child, submission: Submission, lang: str) -> ExerciseResult:
    arg_names = _parameter_names(exercise.signature)
    tests: list[TestResult] = []
    spent = 0.0
    stopped = missing = False
    outcomes = child.run(exercise.function, exercise.cases, exercise.limits.time_seconds)
    for index, planned in enumerate(exercise.cases):
        outcome = None if stopped or missing else next(outcomes, None)
        if outcome is None and not (stopped or missing):
            # The child went away after the previous case (a crash): a new one takes the rest.
            outcomes = child.run(exercise.function, exercise.cases[index:], exercise.limits.time_seconds)
            outcome = next(outcomes, None)
        if outcome is None or outcome.kind == "missing":
            missing = missing or (outcome is not None)
            tests.append(_not_run(planned, exercise, lang, missing, child, submission))
            continue
        spent += outcome.seconds
        if child.load_failure is not None:
            tests.append(_load_failed(planned, child.load_failure, exercise, lang))
            continue
        tests.append(_judge(planned, outcome, exercise, arg_names, submission, lang))
        if outcome.kind == "timeout" or child.load_failure is not None:
            stopped = True
        elif spent > exercise.limits.total_seconds:
            stopped = True
            child.close()  # it is still working through the remaining cases
    if missing:
        for _ in outcomes:  # the child answers "missing" to the rest at once
            pass
    score = sum(planned.case.points for planned, test in zip(exercise.cases, tests) if test.status == "passed")
    if missing:
        status = "missing"
    elif all(test.status == "passed" for test in tests):
        status = "passed"
    elif all(test.status in ("error", "timeout", "memory_limit") for test in tests):
        status = "error"
    else:
        status = "failed"
    return ExerciseResult(
        id=exercise.id, function=exercise.function, title=exercise.title.get(lang),
        score=round(score, 6), max_score=round(sum(planned.case.points for planned in exercise.cases), 6),
        status=status,
        tests=tests, feedback=_summary(exercise, tests, lang),
    )


def _judge(planned: PlannedCase, outcome: Outcome, exercise: ExercisePlan, arg_names: list[str],
           submission: Submission, lang: str) -> TestResult:
    case, expected = planned.case, planned.expected
    public = case.visibility == "public"

    def result(status: str, reason: str, detail: str, mistakes: list[str] = ()) -> TestResult:
        message = detail
        if mistakes:
            named = "; ".join(exercise.mutants.mistakes[slug].get(lang) for slug in mistakes)
            message = f"{message} {say('likely_mistake', lang, mistake=named)}"
        hint = exercise.hints.get(reason)
        if hint and status != "passed":
            message = f"{message} {hint.get(lang)}"
        output = inert(outcome.output, 1000) if public and outcome.output else ""
        return TestResult(
            name=case.name, visibility=case.visibility, status=status,
            score=round(case.points, 6) if status == "passed" else 0.0, max_score=round(case.points, 6),
            message=message.strip(), detail=detail.strip(), reason=reason, likely_mistakes=list(mistakes),
            seconds=round(outcome.seconds, 4), output=output,
        )

    if outcome.kind == "timeout":
        return result("timeout", "timeout", say("timeout", lang, seconds=_round(exercise.limits.time_seconds)))
    if outcome.kind == "output_limit":
        return result("error", "output_limit", say("output_limit", lang, detail=inert(outcome.detail, 100)))
    if outcome.kind in ("crashed", "protocol_error", "loaded"):
        key = "protocol_error" if outcome.kind == "protocol_error" else "crashed"
        return result("error", key, say(key, lang, detail=inert(outcome.detail or outcome.kind, 200)))
    if outcome.kind == "raised":
        error = outcome.exception or {}
        mro = error.get("mro", [])
        if "NotImplementedError" in mro and expected.raised != "NotImplementedError":
            return result("error", "not_implemented", say("not_implemented", lang))
        if expected.raised is not None:
            if checks.exception_matches(expected.raised, mro):
                return result("passed", "passed", say("passed", lang))
            return result("failed", "wrong_exception",
                          say("wrong_exception", lang, exception=expected.raised, exc_type=inert(error.get("exc_type", ""))),
                          diagnose.matching_mutants(expected, got_raised=mro,
                                                    mutants=exercise.mutants.answers(case), check=case.check))
        return _raised(result, error, public, exercise, submission, lang)
    # returned
    if expected.raised is not None:
        mistakes = diagnose.matching_mutants(expected, got_value=outcome.value,
                                             mutants=exercise.mutants.answers(case), check=case.check)
        return result("failed", "missing_exception", say("missing_exception", lang, exception=expected.raised), mistakes)
    finding = checks.compare(expected.value, outcome.value, case.check, names=exercise.outputs)
    if finding is None:
        pristine = [case.args[index] for index, value in enumerate(case.args) if _is_array(value)]
        changed = checks.modified_inputs(pristine, outcome.watched)
        if changed:
            positions = [index for index, value in enumerate(case.args) if _is_array(value)]
            names = ", ".join(_arg_name(arg_names, positions[i]) for i in changed)
            return result("failed", "modified_input", say("modified_input", lang, arguments=names))
        return result("passed", "passed", say("passed", lang))
    mistakes = diagnose.matching_mutants(expected, got_value=outcome.value,
                                         mutants=exercise.mutants.answers(case), check=case.check)
    return result("failed", finding.reason, _finding_message(finding, public, lang), mistakes)


def _raised(result, error: dict, public: bool, exercise: ExercisePlan, submission: Submission, lang: str) -> TestResult:
    frames = error.get("frames", [])
    location = _location(submission, frames[-1]["line"], lang) if frames else ""
    exc_type = inert(error.get("exc_type", "Exception"), 200)
    category = error.get("category", "exception")
    if category == "memory":
        return result("memory_limit", "memory", say("memory", lang, memory_mb=exercise.limits.memory_mb, location=location))
    if category in ("exit", "recursion"):
        return result("error", category, say(category, lang, exc_type=exc_type, location=location))
    message = say("exception", lang, exc_type=exc_type, location=location)
    if public and error.get("message"):
        message = f"{message}: {inert(error['message'], 300)}"
    return result("error", "exception", message)


def _finding_message(finding: checks.Finding, public: bool, lang: str) -> str:
    where = f"{finding.where}: " if finding.where else ""
    facts = {key: _show(value) for key, value in finding.facts.items()}
    text = say(finding.reason, lang, where=where, **facts)
    if public and finding.values:
        values = finding.values
        if "index" in values:
            text += say("got_expected_at", lang, index=values["index"], got=values["got"], expected=values["expected"])
        elif "expected" in values:
            text += say("got_expected", lang, got=inert(repr(values["got"]), 100), expected=repr(values["expected"]))
    return text


def _not_run(planned: PlannedCase, exercise: ExercisePlan, lang: str, missing: bool, child: _Child,
             submission: Submission) -> TestResult:
    case = planned.case
    if missing:
        because = _missing_because(child, submission, lang)
        message, status, reason = say("missing_function", lang, function=exercise.function, because=because), "failed", "missing_function"
    else:
        message, status, reason = say("not_run", lang, seconds=_round(exercise.limits.total_seconds)), "timeout", "not_run"
    return TestResult(name=case.name, visibility=case.visibility, status=status, score=0.0,
                      max_score=round(case.points, 6), message=message, reason=reason)


def _load_failed(planned: PlannedCase, failure: Outcome, exercise: ExercisePlan, lang: str) -> TestResult:
    case = planned.case
    return TestResult(name=case.name, visibility=case.visibility,
                      status="timeout" if failure.kind == "timeout" else "error", score=0.0,
                      max_score=round(case.points, 6), message=_load_failure_message(failure, lang),
                      reason="load_failed")


def _load_failure_message(failure: Outcome, lang: str) -> str:
    if failure.kind == "timeout":
        return say("load_timeout", lang)
    return say("crashed", lang, detail=say("while_loading", lang, detail=inert(failure.detail, 200)))


def _missing_because(child: _Child, submission: Submission, lang: str) -> str:
    if submission.syntax_errors:
        return say("because_syntax", lang, errors="; ".join(
            f"{problem.where()}: {inert(problem.message, 100)}" for problem in submission.syntax_errors[:3]))
    if child.load_errors:
        return say("because_load", lang, errors="; ".join(
            _load_problem(error, submission, lang) for error in child.load_errors[:3]))
    return ""


def _load_problem(error: dict, submission: Submission, lang: str) -> str:
    frames = error.get("frames", [])
    where = _location(submission, frames[0]["line"], lang) if frames else ""
    return f"{inert(error.get('exc_type', 'Exception'), 200)}{where}: {inert(error.get('message', ''), 200)}"


def _location(submission: Submission, line: int, lang: str) -> str:
    cell, cell_line = submission.locate(line)
    if cell is None:
        return say("at_line", lang, line=cell_line)
    return say("at_cell_line", lang, cell=cell, line=cell_line)


def _summary(exercise: ExercisePlan, tests: list[TestResult], lang: str) -> list[str]:
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


def _parameter_names(signature: str) -> list[str]:
    try:
        function = ast.parse(f"def {signature.split('->')[0].strip()}: pass").body[0]
    except SyntaxError:
        return []
    return [argument.arg for argument in function.args.args]


def _arg_name(names: list[str], position: int) -> str:
    return f"'{names[position]}'" if position < len(names) else f"#{position + 1}"


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray)


def _show(value):
    return value if isinstance(value, (int, float, str)) else str(value)


def _round(value: float) -> str:
    return f"{value:g}"

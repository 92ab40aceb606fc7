"""The grading core: ``grade(submission, plan) -> Report``.

Every entry point (student check, instructor grade, batch, service) calls
:func:`grade`. It sends only case inputs to the sandbox, compares what comes
back with the expected answers here, in the trusted process, and explains
each failure.
"""

from __future__ import annotations

import ast
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .catalog.plan import AssignmentPlan, ExercisePlan, PlannedCase
from .feedback import (RELOAD_FAILED, load_failed, load_failure_message, load_problem, missing_because,
                       run_out_of_order, summary, unreadable_report)
from .judge import Context, judge, show_seconds
from .messages import say
from .report import ExerciseResult, Report, TestResult, inert
from .sandbox import BwrapSandbox, ChildSession, Limits, Outcome, ProcessSandbox, open_sandbox, request
from .sandbox.deadlines import STARVED_FACTOR
from .reader import read_untrusted
from .submission import FILENAME, Submission, SubmissionError

Sandbox = BwrapSandbox | ProcessSandbox


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
    reload_seconds: float = 0.0  # loading again after a crash, not yet charged to an exercise

    def run(self, calls: list[tuple[str, PlannedCase, float]]) -> Iterator[Outcome]:
        """Send (function, case, seconds) calls now; their outcomes, in order, as
        they finish (fewer than asked when the child dies on the way)."""
        wired = [(function, _wire(planned), seconds) for function, planned, seconds in calls]
        if self.load_failure is None and not self.alive:
            outcomes = self._start(wired)
            if outcomes is not None:
                return outcomes
        if self.load_failure is not None:
            return iter([self.load_failure] * len(calls))
        return self.session.call_many(wired)

    def _start(self, calls: list) -> Iterator[Outcome] | None:
        """A fresh child with the submission loaded and ``calls`` sent right
        behind the load (their outcomes), or ``load_failure`` set (None)."""
        self.close()
        # Prepared before the sandbox is asked for a child: it may still be
        # cleaning up after the previous run meanwhile.
        load = request.load_request(self.submission.wire_units(), FILENAME,
                                    [unit.bytecode for unit in self.submission.units])
        started = time.perf_counter()
        self.session = self.sandbox.session()
        loaded, outcomes = self.session.load_then_call(load, calls)
        if not self.loaded_once:
            self.loaded_once, self.load_errors = True, loaded.errors
        else:  # the wait for the sandbox's clean-up after the crash counts too
            self.reload_seconds += time.perf_counter() - started
            if loaded.kind != "loaded":
                # It loaded before: what differs now is what earlier (possibly
                # hidden) cases left behind, so no detail of it is shown.
                loaded = Outcome(loaded.kind, detail=RELOAD_FAILED)
        if loaded.kind != "loaded":
            self.load_failure = loaded
            return None
        return outcomes

    @property
    def alive(self) -> bool:
        return self.session is not None and self.session.alive

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


@dataclass
class _ExerciseRun:
    """One exercise's cases while the submission runs: results by case, time spent."""

    exercise: ExercisePlan
    context: Context
    tests: list[TestResult | None]
    spent: float = 0.0
    stopped: str = ""  # why its remaining cases are not run: "timeout" (a case's limit) or "budget" (the total)
    missing: bool = False

    def waiting(self, index: int) -> bool:
        return self.tests[index] is None and not self.stopped and not self.missing


# Stands for a result judged later (see _run_phase's ``defer``).
_PENDING = TestResult(name="", visibility="public", status="error", score=0.0, max_score=0.0, message="")


def _wire(planned: PlannedCase) -> request.EncodedCall:
    """A case's inputs in wire form, encoded once per plan and reused for every submission."""
    if planned.wire is None:
        case = planned.case
        planned.wire = request.encode_call(
            case.args, case.kwargs, [index for index, value in enumerate(case.args) if _is_array(value)],
            reply_bytes=_reply_bytes(planned))
    return planned.wire


# The grader reads each reply into its own memory: a reply may be this many
# times the size of the right answer plus the inputs (which come back when
# changed), and at least MIN_REPLY_BYTES. A wrong answer larger still (hundreds
# of MiB sent over and over cost the grader a minute of CPU) fails as too large.
REPLY_FACTOR = 16
MIN_REPLY_BYTES = 8 << 20


def _reply_bytes(planned: PlannedCase) -> int:
    case = planned.case
    return max(MIN_REPLY_BYTES, REPLY_FACTOR * _nbytes((planned.expected.value, *case.args, *case.kwargs.values())))


def _nbytes(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(item) for item in value)
    return 64


def grade_file(path: Path, plan: AssignmentPlan, **options) -> Report:
    """Grade a file; one that cannot be read at all still yields a report saying why."""
    try:
        submission = read_untrusted(path)
    except SubmissionError as error:
        lang = options.get("lang", "ko")
        return unreadable_report(path.name, error.said(lang), plan, lang, options.get("visibility", "all"))
    return grade(submission, plan, **options)


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
    runs = [_ExerciseRun(exercise, Context(exercise, submission, _parameter_names(exercise.signature), lang),
                         [None] * len(exercise.cases)) for exercise in plan.exercises]
    try:
        # Every public case before any hidden one: a hidden input the code keeps
        # can then never reach a later public case's output, the only place
        # printed text and values are shown.
        public = _run_phase(child, _cases(runs, "public"), defer=True)
        # The public outcomes are judged while the child works on the hidden cases.
        _run_phase(child, _cases(runs, "hidden"), meanwhile=lambda: _judge_all(public))
        _judge_all(public)
        # The report is made before the child is let go: its clean-up can wait
        # (the pool has a spare), the student cannot.
        return _report(plan, runs, child, submission, lang, visibility, sandbox.name, started)
    finally:
        child.close()
        if own_sandbox:
            sandbox.close()


def _cases(runs: list[_ExerciseRun], visibility: str) -> list[tuple[_ExerciseRun, int]]:
    return [(run, index) for run in runs for index, planned in enumerate(run.exercise.cases)
            if planned.case.visibility == visibility]


def _report(plan: AssignmentPlan, runs: list[_ExerciseRun], child: _Child, submission: Submission, lang: str,
            visibility: str, sandbox_name: str, started: float) -> Report:
    results = [_exercise_result(run, child) for run in runs]
    problems = [say("syntax_error", lang, where=problem.where(lang), message=inert(problem.message))
                for problem in submission.syntax_errors[:MAX_LISTED_PER_KIND]]
    if len(submission.syntax_errors) > MAX_LISTED_PER_KIND:
        problems.append(say("more_syntax_errors", lang, count=len(submission.syntax_errors) - MAX_LISTED_PER_KIND))
    if any("f-string" in problem.message for problem in submission.syntax_errors):
        # (3.12's f-strings are the usual newer syntax: quotes of the same kind inside)
        problems.append(say("python_version", lang, version="{}.{}".format(*sys.version_info[:2])))
    problems += [say("cell_not_run_writefile" if magic == "writefile" else "cell_not_run", lang, cell=cell,
                     magic=inert(magic, 40)) for cell, magic in submission.skipped_cells[:MAX_LISTED_PER_KIND]]
    if len(submission.skipped_cells) > MAX_LISTED_PER_KIND:
        problems.append(say("more_cells_not_run", lang, count=len(submission.skipped_cells) - MAX_LISTED_PER_KIND))
    problems += run_out_of_order(submission, [exercise.function for exercise in plan.exercises], lang)
    problems += [load_problem(error, submission, lang) for error in child.load_errors]
    if child.load_failure is not None:
        problems.append(load_failure_message(child.load_failure, lang))
    # (Made of the grader's own values, like the results in it: not validated again.)
    return Report.model_construct(
        assignment=plan.id,
        score=float(round(sum(result.score for result in results), 6)),
        max_score=float(round(sum(result.max_score for result in results), 6)),
        exercises=results,
        submission=inert(submission.name, 200),
        visibility=visibility,
        lang=lang,
        problems=problems,
        sandbox=sandbox_name,
        # The run's wall time includes hidden cases', which the student's code
        # can stretch to carry their inputs: only a public-only run reports it.
        seconds=round(time.perf_counter() - started, 3) if visibility == "public" else 0.0,
    )


def _run_phase(child: _Child, pending: list[tuple[_ExerciseRun, int]], defer: bool = False,
               meanwhile: Callable[[], None] | None = None) -> list:
    """Run these cases in one streamed batch. A dead child (timeout, crash) is
    replaced for the cases still waiting; an exercise past its time budget
    stops, and its remaining cases are not run. Outcomes are judged as they
    arrive, or returned for later with ``defer``; ``meanwhile`` runs once the
    batch is on its way."""
    deferred: list = []
    while pending := [(run, index) for run, index in pending if run.waiting(index)]:
        calls = [(run.exercise.function, run.exercise.cases[index], run.exercise.limits.time_seconds)
                 for run, index in pending]
        outcomes = child.run(calls)
        # Loading again after a crash is charged to the exercise that runs next:
        # each exercise costs at most total_seconds + time_seconds + one load.
        pending[0][0].spent += child.reload_seconds
        child.reload_seconds = 0.0
        if meanwhile is not None:
            meanwhile()
            meanwhile = None
        answered = 0
        for (run, index), outcome in zip(pending, outcomes):
            answered += 1
            if not run.waiting(index):
                continue  # the child still answers for an exercise that was stopped meanwhile
            _record(run, index, outcome, child, deferred if defer else None)
            if run.stopped and child.alive:
                child.close()  # it is still working through this exercise's remaining cases
                break
        if answered == 0:  # cannot happen with a working sandbox; never loop on it
            run, index = pending[0]
            run.tests[index] = judge(run.exercise.cases[index], Outcome("crashed", detail="no answer"), run.context)
    if meanwhile is not None:
        meanwhile()
    return deferred


def _record(run: _ExerciseRun, index: int, outcome: Outcome, child: _Child, deferred: list | None) -> None:
    planned, exercise = run.exercise.cases[index], run.exercise
    if outcome.kind == "missing":
        run.missing = True
        return
    run.spent += outcome.seconds
    if child.load_failure is not None:
        run.tests[index] = load_failed(planned, child.load_failure, run.context.lang)
        return
    if deferred is None or outcome.frame_bytes > MAX_DEFERRED_BYTES:
        run.tests[index] = _judged(planned, outcome, run.context)
    else:
        run.tests[index] = _PENDING
        deferred.append((run, index, outcome))
    if outcome.kind == "timeout":
        run.stopped = "timeout"
    elif run.spent > exercise.limits.total_seconds and _over_budget(run, child):
        run.stopped = "budget"


# A report lists no more syntax errors, nor cells not run (a notebook of 400k
# broken cells made a 30 MB report; one of 150k %%magic cells, 12 MB).
MAX_LISTED_PER_KIND = 50


def _over_budget(run: _ExerciseRun, child: _Child) -> bool:
    """Past ``total_seconds`` of wall time: whether it is past it still with the
    time its child waited for a CPU since the batch began taken off (a busy
    machine must not use up a correct submission's budget), up to
    STARVED_FACTOR times the budget. Asked only once the wall time is past it."""
    waited = child.session.waited() if child.session is not None and child.alive else 0.0
    credit = min(waited, run.spent * (1 - 1 / STARVED_FACTOR))
    return run.spent - credit > run.exercise.limits.total_seconds


# A deferred outcome keeps its reply's buffer alive until judged: one from a
# large reply is judged at once (25 public replies of 256 MiB, arrays or not,
# would otherwise pile up).
MAX_DEFERRED_BYTES = 1 << 20


def _judged(planned: PlannedCase, outcome: Outcome, context: Context) -> TestResult:
    """The verdict; should judging itself fail on what the child sent (a grader
    bug some odd value reached), the case fails as a protocol error, and the
    rest of the submission is graded as usual."""
    try:
        return judge(planned, outcome, context)
    except Exception as error:  # noqa: BLE001 - never a pass, never the whole grade lost
        return judge(planned, Outcome("protocol_error", detail=f"unjudgeable answer ({type(error).__name__})",
                                      seconds=outcome.seconds), context)


def _judge_all(deferred: list) -> None:
    for run, index, outcome in deferred:
        run.tests[index] = _judged(run.exercise.cases[index], outcome, run.context)
    deferred.clear()


def _exercise_result(run: _ExerciseRun, child: _Child) -> ExerciseResult:
    exercise, lang = run.exercise, run.context.lang
    tests = [test or _not_run(planned, run, child) for planned, test in zip(exercise.cases, run.tests)]
    score = sum(planned.case.points for planned, test in zip(exercise.cases, tests) if test.status == "passed")
    if run.missing:
        status = "missing"
    elif all(test.status == "passed" for test in tests):
        status = "passed"
    elif all(test.status in ("error", "timeout", "memory_limit") for test in tests):
        status = "error"
    else:
        status = "failed"
    return ExerciseResult.model_construct(
        id=exercise.id, function=exercise.function, title=exercise.title.get(lang),
        score=float(round(score, 6)), max_score=float(round(sum(planned.case.points for planned in exercise.cases), 6)),
        status=status, tests=tests, feedback=summary(exercise, tests, lang),
    )


def _not_run(planned: PlannedCase, run: _ExerciseRun, child: _Child) -> TestResult:
    case, exercise, lang = planned.case, run.exercise, run.context.lang
    if run.missing:
        because = missing_because(child.load_errors, run.context.submission, exercise.function, lang)
        message, status, reason = say("missing_function", lang, function=exercise.function, because=because), "failed", "missing_function"
    elif run.stopped == "timeout":
        message, status, reason = say("not_run_after_timeout", lang), "timeout", "not_run"
    else:
        message, status, reason = say("not_run", lang, seconds=show_seconds(exercise.limits.total_seconds)), "timeout", "not_run"
    return TestResult(name=case.name, visibility=case.visibility, status=status, score=0.0,
                      max_score=round(case.points, 6), message=message, reason=reason)


@cache  # the same few signatures, for every submission
def _parameter_names(signature: str) -> tuple[str, ...]:
    try:
        function = ast.parse(f"def {signature.split('->')[0].strip()}: pass").body[0]
    except SyntaxError:
        return ()
    return tuple(argument.arg for argument in function.args.args)


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray)

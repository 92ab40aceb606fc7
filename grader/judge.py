"""One case's verdict: an expected answer and what the sandbox reported -> a TestResult.

Runs in the trusted process. What it may show depends on the case: a public
case shows the student's values, printed output and exception messages; a
hidden case shows none of them, nor anything else the student's code could
shape to carry the hidden inputs out (type names it made up, lengths, shapes
and counts it chose, exit statuses, line numbers outside its own file). It
does show the kind of mistake, a known type or exception name, and the
student's line, so the feedback stays useful.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass

import numpy as np

from . import checks, diagnose
from .catalog.plan import ExercisePlan, PlannedCase
from .messages import say
from .report import TestResult, inert
from .sandbox import Outcome
from .submission import Submission

# Names the student's code cannot use to smuggle data: they exist before it runs.
_KNOWN_TYPES = frozenset(
    ["int", "float", "bool", "str", "bytes", "complex", "list", "tuple", "dict", "set", "frozenset", "NoneType",
     "ndarray", "range", "function", "generator", "object"]
    + [f"numpy.{kind.__name__}" for kind in set(np.sctypeDict.values())]
)
_KNOWN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
) | {"numpy.exceptions.AxisError", "numpy.linalg.LinAlgError", "numpy.exceptions.DTypePromotionError",
     "numpy.core._exceptions._UFuncOutputCastingError", "numpy._core._exceptions._UFuncOutputCastingError"}
# Findings whose facts the student's answer chooses (a shape, a length, a count):
# for hidden cases they are worded without those facts.
_FACTLESS_WHEN_HIDDEN = {"wrong_length", "wrong_shape", "not_finite", "wrong_values"}


@dataclass(frozen=True)
class Context:
    """What every case of one exercise is judged with."""

    exercise: ExercisePlan
    submission: Submission
    arg_names: tuple[str, ...]
    lang: str


def judge(planned: PlannedCase, outcome: Outcome, context: Context) -> TestResult:
    case, expected, lang = planned.case, planned.expected, context.lang
    exercise = context.exercise
    public = case.visibility == "public"

    def result(status: str, reason: str, detail: str, mistakes: list[str] = ()) -> TestResult:
        message = detail
        if mistakes:
            named = "; ".join(exercise.mutants.mistakes[slug].get(lang) for slug in mistakes)
            message = f"{message} {say('likely_mistake', lang, mistake=named)}"
        # (Raising the wrong exception and raising none are fixed by the same check.)
        hint = exercise.hints.get(reason) or exercise.hints.get("missing_exception" if reason == "wrong_exception" else "")
        if hint and status != "passed":
            message = f"{message} {hint.get(lang)}"
        # Made from the grader's own values only: built without validation.
        return TestResult.model_construct(
            name=case.name, visibility=case.visibility, status=status,
            score=float(round(case.points, 6)) if status == "passed" else 0.0, max_score=float(round(case.points, 6)),
            message=message.strip(), detail=detail.strip(), reason=reason, likely_mistakes=list(mistakes),
            # A hidden case's running time is the student's to choose: not shown.
            seconds=round(outcome.reported_seconds, 4) if public else 0.0,
            output=inert(outcome.output, 1000) if public and outcome.output else "",
        )

    if outcome.kind == "timeout":
        return result("timeout", "timeout", say("timeout", lang, seconds=show_seconds(exercise.limits.time_seconds)))
    if outcome.kind == "output_limit":
        detail = inert(outcome.detail, 100) if public else say("hidden_detail", lang)
        return result("error", "output_limit", say("output_limit", lang, detail=detail))
    if outcome.kind in ("crashed", "protocol_error", "loaded"):
        key = "protocol_error" if outcome.kind == "protocol_error" else "crashed"
        detail = inert(outcome.detail or outcome.kind, 200) if public else _hidden_crash_detail(outcome, lang)
        return result("error", key, say(key, lang, detail=detail))
    if outcome.kind == "raised":
        error = outcome.exception or {}
        mro = error.get("mro", [])
        if "NotImplementedError" in mro and expected.raised != "NotImplementedError":
            return result("error", "not_implemented", say("not_implemented", lang))
        if expected.raised is not None:
            if checks.exception_matches(expected.raised, mro):
                return result("passed", "passed", say("passed", lang))
            return result("failed", "wrong_exception",
                          say("wrong_exception", lang, exception=expected.raised,
                              exc_type=_exception_name(error, public)),
                          diagnose.matching_mutants(_wrong_mutants(planned, exercise), got_raised=mro,
                                                    check=case.check))
        return _raised(result, error, public, context)
    # returned
    if expected.raised is not None:
        mistakes = diagnose.matching_mutants(_wrong_mutants(planned, exercise), got_value=outcome.value,
                                             check=case.check)
        return result("failed", "missing_exception", say("missing_exception", lang, exception=expected.raised), mistakes)
    finding = checks.compare(expected.value, outcome.value, case.check, names=exercise.outputs)
    if finding is None:
        pristine = [case.args[index] for index, value in enumerate(case.args) if isinstance(value, np.ndarray)]
        changed = checks.modified_inputs(pristine, outcome.watched)
        if changed:
            positions = [index for index, value in enumerate(case.args) if isinstance(value, np.ndarray)]
            names = ", ".join(_arg_name(context.arg_names, positions[i]) for i in changed)
            return result("failed", "modified_input", say("modified_input", lang, arguments=names))
        return result("passed", "passed", say("passed", lang))
    mistakes = diagnose.matching_mutants(_wrong_mutants(planned, exercise), got_value=outcome.value,
                                         check=case.check)
    return result("failed", finding.reason, finding_message(finding, public, lang), mistakes)


def _wrong_mutants(planned: PlannedCase, exercise: ExercisePlan) -> dict:
    """The mutants that are wrong on this case: the same for every submission, so worked out once per plan."""
    if planned.wrong_mutants is None:
        planned.wrong_mutants = diagnose.wrong_mutants(planned.expected, exercise.mutants.answers(planned.case),
                                                       planned.case.check)
    return planned.wrong_mutants


def _raised(result, error: dict, public: bool, context: Context) -> TestResult:
    lang = context.lang
    frames = error.get("frames", [])
    line = frames[-1]["line"] if frames else 0
    # A hidden case's line is the student's to choose: only a line where the file
    # has a statement is named, so padding the file buys no room to encode inputs.
    location = location_of(context.submission, line, lang) if public or context.submission.has_statement_at(line) else ""
    exc_type = _exception_name(error, public)
    category = error.get("category", "exception")
    if category == "memory":
        return result("memory_limit", "memory",
                      say("memory", lang, memory_mb=context.exercise.limits.memory_mb, location=location))
    if category in ("exit", "recursion"):
        return result("error", category, say(category, lang, exc_type=exc_type, location=location))
    message = say("exception", lang, exc_type=exc_type, location=location)
    if public and error.get("message"):
        message = f"{message}: {exception_message(error, lang, 300)}"
    return result("error", "exception", message)


# The sandbox runner's refusal of a package beyond the grading runtime (see
# standins.OnlyTheGradingRuntime), worded in the student's language.
_NOT_IN_RUNTIME = re.compile(r"No module named '([^']{1,100})' \(graded code may use only Python's standard library")


# Packages students reach for that graded code cannot have; any other module
# that is not there is taken for one of the student's own files.
# (matplotlib, tqdm, IPython... import as stand-ins: see sandbox/standins.py)
_PACKAGES = frozenset({"scipy", "torch", "torchvision", "tensorflow", "keras", "jax", "pandas", "sklearn", "cv2", "PIL",
                       "skimage", "numba", "cupy", "google", "sympy", "plotly", "statsmodels", "h5py", "einops"})
_UNDEFINED = re.compile(r"name '([^']{1,100})' is not defined")
# Names that exist only in a Jupyter kernel.
_JUPYTER_ONLY = frozenset({"display", "get_ipython", "In", "Out", "_ih", "_oh", "clear_output"})


def exception_message(error: dict, lang: str, limit: int) -> str:
    """An exception's message as shown to the student (public cases and loading only)."""
    text, kind = str(error.get("message", "")), error.get("exc_type")
    refused = _NOT_IN_RUNTIME.match(text) if kind == "ModuleNotFoundError" else None
    if refused:
        module = refused.group(1)
        key = "module_not_available" if module in _PACKAGES else "module_not_submitted"
        return say(key, lang, module=inert(module, 100))
    undefined = _UNDEFINED.fullmatch(text) if kind == "NameError" else None
    if undefined and undefined.group(1) in _JUPYTER_ONLY:
        return f"{inert(text, limit)} {say('jupyter_only', lang, name=undefined.group(1))}"
    if kind == "PermissionError" and text.startswith("[Errno 1]"):
        return f"{inert(text, limit)} {say('not_permitted', lang)}"
    return inert(text, limit)


def _exception_name(error: dict, public: bool) -> str:
    """The exception's type; for a hidden case, the nearest type that existed
    before the student's code ran (a class it made could be named after the inputs)."""
    name = error.get("exc_type", "Exception")
    if public:
        return inert(name, 200)
    if name in _KNOWN_EXCEPTIONS:
        return name
    known = next((ancestor for ancestor in error.get("mro", [])[1:] if ancestor in _KNOWN_EXCEPTIONS), "Exception")
    return f"{known} (subclass)"


def _hidden_crash_detail(outcome: Outcome, lang: str) -> str:
    """Signals are few and named by the system; exit statuses and protocol
    details are the student's to choose."""
    if outcome.detail.startswith("killed by signal ") and outcome.detail[len("killed by signal "):].isupper():
        return outcome.detail
    return say("hidden_detail", lang)


def finding_message(finding: checks.Finding, public: bool, lang: str) -> str:
    where = f"{finding.where}: " if finding.where else ""
    if not public and finding.reason in _FACTLESS_WHEN_HIDDEN:
        return say(f"{finding.reason}_hidden", lang, where=where)
    facts = {key: _show(value, public or not key.startswith("got_")) for key, value in finding.facts.items()}
    text = say(finding.reason, lang, where=where, **facts) + _remedy(finding, lang)
    if public and finding.values:
        values = finding.values
        if "index" in values:
            text += say("got_expected_at", lang, index=values["index"], got=values["got"], expected=values["expected"])
        elif "expected" in values:
            text += say("got_expected", lang, got=inert(repr(values["got"]), 100), expected=repr(values["expected"]))
    return text


def _remedy(finding: checks.Finding, lang: str) -> str:
    """How to fix the commonest wrong types: a 0-d array for a number, an array
    of Python objects, a complex result."""
    got_type, got_dtype = str(finding.facts.get("got_type", "")), str(finding.facts.get("got_dtype", ""))
    if finding.reason == "wrong_type" and got_type == "ndarray" and finding.facts.get("expected_type") in ("int", "float"):
        return say(f"remedy_{finding.facts['expected_type']}", lang)
    if finding.reason in ("wrong_type", "wrong_dtype") and (got_type.endswith(" of dtype object") or got_dtype == "object"):
        return say("remedy_object_array", lang)
    if finding.reason == "wrong_dtype" and got_dtype.startswith("complex"):
        return say("remedy_complex", lang)
    return ""


def _show(value, trusted: bool):
    """A finding's fact as shown: a type or dtype name the student's code made
    up is "object" for a hidden case, and made inert for a public one."""
    if not trusted and isinstance(value, str) and value not in _KNOWN_TYPES and not _is_plain_dtype(value):
        return "object"
    return value if isinstance(value, (int, float)) else inert(str(value), 200)


def _is_plain_dtype(text: str) -> bool:
    """A numeric dtype name such as float64 (text dtypes carry a length the student picks)."""
    if not text.isalnum():
        return False
    try:
        return np.dtype(text).kind in "biufc"
    except Exception:  # noqa: BLE001 - numpy's parser raises many kinds for odd names
        return False


def location_of(submission: Submission, line: int, lang: str) -> str:
    """Where in the student's file (cell and line for notebooks); nothing for a
    line beyond the file, which only code compiled under its name can report."""
    if not 1 <= line <= submission.line_count:
        return ""
    cell, cell_line = submission.locate(line)
    if cell is None:
        return say("at_line", lang, line=cell_line)
    return say("at_cell_line", lang, cell=cell, line=cell_line)


def _arg_name(names: tuple[str, ...], position: int) -> str:
    return f"'{names[position]}'" if position < len(names) else f"#{position + 1}"


def show_seconds(value: float) -> str:
    return f"{value:g}"

"""The report model every entry point returns, and its renderers.

Text that came from student code (printed output, exception messages, type
names) is made inert here, once: control characters are escaped so it cannot
drive a terminal, and the terminal renderer never parses it as rich markup.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table
from rich.text import Text

TestStatus = Literal["passed", "failed", "error", "timeout", "memory_limit"]
ExerciseStatus = Literal["passed", "failed", "missing", "error"]

# Control characters, bidi overrides, and lone surrogates (which no JSON encoder accepts).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def inert(text: str, limit: int = 2000) -> str:
    """Student-originated text, safe to print anywhere."""
    text = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))
    return text if len(text) <= limit else text[:limit] + "…"


class TestResult(BaseModel):
    name: str
    visibility: Literal["public", "hidden"]
    status: TestStatus
    score: float
    max_score: float
    message: str
    detail: str = ""  # the message without the exercise-wide mistake and hint
    reason: str = ""
    likely_mistakes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    output: str = ""


class ExerciseResult(BaseModel):
    id: str
    function: str
    title: str = ""
    score: float
    max_score: float
    status: ExerciseStatus
    tests: list[TestResult]
    feedback: list[str] = Field(default_factory=list)


class Report(BaseModel):
    assignment: str
    score: float
    max_score: float
    exercises: list[ExerciseResult]
    submission: str = ""
    visibility: Literal["public", "all"] = "all"
    lang: str = "ko"
    problems: list[str] = Field(default_factory=list)
    sandbox: str = ""
    seconds: float = 0.0


def _round(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


_STATUS_STYLE = {"passed": "green", "failed": "red", "error": "magenta", "missing": "yellow",
                 "timeout": "yellow", "memory_limit": "yellow"}


def render_terminal(report: Report, console: Console, verbose: bool = False) -> None:
    title = f"{report.assignment} — {report.submission}" if report.submission else report.assignment
    console.print(Text(title, style="bold"))
    for problem in report.problems:
        console.print(Text("! " + problem, style="yellow"))
    summary = Table(show_lines=False)
    for column in ("exercise", "function", "status", "score", "tests"):
        summary.add_column(column)
    for exercise in report.exercises:
        passed = sum(test.status == "passed" for test in exercise.tests)
        summary.add_row(Text(exercise.id), Text(exercise.function),
                        Text(exercise.status, style=_STATUS_STYLE.get(exercise.status, "")),
                        Text(f"{_round(exercise.score)}/{_round(exercise.max_score)}"),
                        Text(f"{passed}/{len(exercise.tests)}"))
    console.print(summary)
    for exercise in report.exercises:
        failing = [test for test in exercise.tests if test.status != "passed"]
        if not failing and not exercise.feedback:
            continue
        console.print(Text(f"\n{exercise.id}  {exercise.title}", style="bold"))
        for line in exercise.feedback:
            console.print(Text("  • " + line))
        shown = exercise.tests if verbose else failing[:6]
        for test in shown:
            label = Text(f"  {test.name} ({test.visibility}) ", style=_STATUS_STYLE.get(test.status, ""))
            label.append(Text(f"{test.status}: ", style="bold"))
            label.append(Text(test.detail or test.message))
            console.print(label)
            if test.output:
                console.print(Text("    printed: " + test.output.strip()[:300], style="dim"))
        if not verbose and len(failing) > len(shown):
            console.print(Text(f"  … {len(failing) - len(shown)} more"))
    console.print(Text(f"\nscore: {_round(report.score)}/{_round(report.max_score)}", style="bold"))


def render_json(report: Report) -> str:
    return report.model_dump_json(indent=2)

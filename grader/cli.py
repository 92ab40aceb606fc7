"""The ``grader`` command: one small function per verb, each calling into the core.

Exit codes: 0 when grading (or the asked task) completed, whatever the score;
2 when it could not be done (bad arguments, unreadable spec or release).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from .catalog import AssignmentPlan, Course, SpecError, find_course_root
from .engine import grade_file, limits_for
from .reader import ReaderUnavailable
from .sandbox import BwrapSandbox, IsolationRequired, Limits, cgroups, open_sandbox, unavailable_reason
from .release import ReleaseError, is_release, read_release, write_release
from .report import Report, render_json, render_terminal

app = typer.Typer(help="Autograder for CNN numpy exercises.", no_args_is_help=True, add_completion=False)
exercises_app = typer.Typer(help="List, show and validate exercises.", no_args_is_help=True)
sandbox_app = typer.Typer(help="Inspect the isolation of student code on this machine.", no_args_is_help=True)
app.add_typer(exercises_app, name="exercises")
app.add_typer(sandbox_app, name="sandbox")

console = Console()


class Format(str, Enum):
    table = "table"
    json = "json"


class Lang(str, Enum):
    ko = "ko"
    en = "en"


CourseOption = typer.Option(None, "--course", envvar="GRADER_COURSE",
                            help="Course folder holding exercises/ and solutions/ (default: found from here).")
AssignmentOption = typer.Option("cnn-basics", "--assignment", "-a",
                                help="Assignment id, or the folder of a student release.")
LangOption = typer.Option(Lang.ko, "--lang", help="Language of statements and feedback.")
FormatOption = typer.Option(Format.table, "--format", "-f", help="table for people, json for programs.")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)  # plain: paths must not be wrapped
    return typer.Exit(2)


def _course(course: Optional[Path]) -> Course:
    try:
        return Course(find_course_root(course))
    except SpecError as error:
        raise _fail(str(error))


def _plan(assignment: str, course: Optional[Path], visibilities: frozenset[str]) -> AssignmentPlan:
    try:
        if is_release(Path(assignment)):
            if "hidden" in visibilities:
                raise _fail(f"{assignment} is a student release: it has no hidden cases to grade")
            return read_release(Path(assignment))
        return _course(course).plan(assignment, visibilities)
    except (SpecError, ReleaseError) as error:
        raise _fail(str(error))


def _show(report: Report, output: Format) -> None:
    if output is Format.json:
        typer.echo(render_json(report))
    else:
        render_terminal(report, console)


def _require_file(submission: Path) -> None:
    if not submission.is_file():
        raise _fail(f"{submission}: no such file")


@app.command()
def check(
    submission: Path = typer.Argument(..., help="Your .py file or .ipynb notebook."),
    assignment: str = AssignmentOption,
    course: Optional[Path] = CourseOption,
    lang: Lang = LangOption,
    output: Format = FormatOption,
) -> None:
    """Self-check a submission on the public cases, with hints."""
    _require_file(submission)
    plan = _plan(assignment, course, frozenset({"public"}))
    try:
        report = grade_file(submission, plan, lang=lang.value, visibility="public")
    except ReaderUnavailable as error:
        raise _fail(str(error))
    _show(report, output)


@app.command("grade")
def grade_command(
    submission: Path = typer.Argument(..., help="The student's .py file or .ipynb notebook."),
    assignment: str = typer.Option(..., "--assignment", "-a", help="Assignment id."),
    course: Optional[Path] = CourseOption,
    lang: Lang = LangOption,
    output: Format = FormatOption,
    allow_unisolated: bool = typer.Option(
        False, "--allow-unisolated",
        help="DANGEROUS: grade hidden cases with plain processes when the isolated sandbox is unavailable."),
) -> None:
    """Grade a submission on every case, public and hidden (instructor side)."""
    _require_file(submission)
    plan = _plan(assignment, course, frozenset({"public", "hidden"}))
    try:
        sandbox = open_sandbox(limits_for(plan), require_isolation=True, allow_unisolated=allow_unisolated)
    except IsolationRequired as error:
        raise _fail(str(error))
    if not sandbox.isolated:
        typer.echo("WARNING: the isolated sandbox is unavailable; student code runs WITHOUT isolation "
                   "and could read hidden cases or harm this machine.", err=True)
    with sandbox:
        try:
            report = grade_file(submission, plan, lang=lang.value, visibility="all", sandbox=sandbox)
        except ReaderUnavailable as error:
            raise _fail(str(error))
    _show(report, output)


@sandbox_app.command("check")
def sandbox_check(course: Optional[Path] = CourseOption) -> None:
    """Show which isolation layers are active here, with live probes."""
    from .sandbox import probes

    reason = unavailable_reason()
    if reason:
        console.print(Text(f"isolated backend unavailable: {reason}", style="red"))
        console.print(Text("grade/batch/service refuse hidden cases here unless --allow-unisolated is given; "
                           "check (public cases) runs with plain process limits."))
        raise typer.Exit(1)
    root = find_course_root(course) if course or (Path.cwd() / "exercises").is_dir() else Path.cwd()
    secrets = [str(path) for path in (root / "exercises", root / "solutions", Path.home(), Path("/etc/passwd"),
                                      Path("/var/lib/postgresql"))]
    limits = Limits()
    with BwrapSandbox(limits) as sandbox, sandbox.session() as session:
        layers = probes.layers(probes.probe(session, secrets), secrets)
    table = Table("layer", "active", "detail")
    for layer in layers:
        table.add_row(layer.name, Text("yes", style="green") if layer.active else Text("NO", style="red"),
                      Text(layer.detail))
    console.print(table)
    console.print(Text(f"cgroups (memory, pids): {'yes' if cgroups.available() else 'no (rlimits only)'}; "
                       f"cpu (each sandbox one scheduling unit): "
                       f"{'yes' if cgroups.cpu_available() else 'no'}; cpuacct (a child's own work, for "
                       f"CPU-wait allowances): {'yes' if cgroups.cpuacct_available() else 'no (counted from /proc)'}"))
    if not all(layer.active for layer in layers):
        raise typer.Exit(1)


@app.command()
def release(
    assignment: str = typer.Argument(..., help="Assignment id."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the student release into."),
    course: Optional[Path] = CourseOption,
) -> None:
    """Write a student release: statements, starter code and public cases only."""
    try:
        path = write_release(_course(course), assignment, out)
    except SpecError as error:
        raise _fail(str(error))
    console.print(Text(f"wrote {path} (public cases only)"))


@exercises_app.command("list")
def list_exercises(course: Optional[Path] = CourseOption, lang: Lang = LangOption) -> None:
    """List the exercises and assignments of the course."""
    catalog = _course(course)
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("function", "points", "public", "hidden", "title"):
        table.add_column(column)
    try:
        for exercise_id in catalog.exercise_ids:
            spec = catalog.exercise(exercise_id)
            counts = {visibility: sum(len(group.cases) + sum(generator.count for generator in group.generate)
                                      for group in spec.groups if group.visibility == visibility)
                      for visibility in ("public", "hidden")}
            table.add_row(exercise_id, spec.function, f"{spec.points:g}", str(counts["public"]), str(counts["hidden"]),
                          spec.title.get(lang.value))
        console.print(table)
        for assignment_id in catalog.assignment_ids:
            spec = catalog.assignment(assignment_id)
            console.print(Text(f"assignment {assignment_id}: {spec.title.get(lang.value)} "
                               f"({len(spec.exercises)} exercises)"))
    except SpecError as error:
        raise _fail(str(error))


@exercises_app.command("show")
def show_exercise(exercise_id: str, course: Optional[Path] = CourseOption, lang: Lang = LangOption) -> None:
    """Show an exercise's statement and starter code."""
    catalog = _course(course)
    try:
        spec = catalog.exercise(exercise_id)
        console.print(Markdown(catalog.statement(exercise_id, lang.value)))
        console.print(Text(f"\n{spec.signature}   [{spec.points:g} points]", style="bold"))
        console.print(Text("\nstarter.py:", style="bold"))
        console.print(Text(catalog.starter(exercise_id)))
    except (SpecError, OSError) as error:
        raise _fail(str(error))


@exercises_app.command("validate")
def validate_exercises(
    exercise_ids: Optional[list[str]] = typer.Argument(None, help="Exercises to validate (default: all)."),
    course: Optional[Path] = CourseOption,
) -> None:
    """Prove each spec: the reference passes, every mutant fails a hidden case,
    public cases do not reveal hidden ones."""
    from .validate import validate

    results = validate(_course(course), exercise_ids or None)
    table = Table("exercise", "public", "hidden", "mutants caught", "diagnosed", "result")
    for result in results:
        caught = sum(mutant.caught for mutant in result.mutants)
        diagnosed = sum(mutant.diagnosed for mutant in result.mutants)
        table.add_row(result.id, str(result.public_cases), str(result.hidden_cases),
                      f"{caught}/{len(result.mutants)}", f"{diagnosed}/{len(result.mutants)}",
                      Text("ok", style="green") if result.ok else Text("FAILED", style="red"))
    console.print(table)
    for result in results:
        for problem in result.problems:
            console.print(Text(f"{result.id}: {problem}", style="red"))
    if not all(result.ok for result in results):
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console-script entry
    app()

"""A course directory: ``exercises/`` (specs, statements, assignments) and ``solutions/``.

Loading a spec validates it; a bad one raises :class:`SpecError` naming the
file, the field and what is wrong.
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .cases import CaseGenerationError, generate_cases
from .models import AssignmentSpec, ExerciseSpec
from .plan import AssignmentPlan, ExercisePlan, LiveMutants, PlannedCase
from .reference import Answer, Mutant, load_function, read_mutants, run_trusted

SPEC_FILE = "exercise.toml"
ASSIGNMENTS_DIR = "assignments"


class SpecError(Exception):
    """A spec file that cannot be used, with where and why."""


def read_spec(path: Path, model: type[BaseModel]):
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise SpecError(f"{path}: file not found") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: invalid TOML: {error}") from error
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{path}: {'.'.join(str(part) for part in problem['loc']) or '(top level)'}: {problem['msg']}"
            for problem in error.errors()
        ]
        raise SpecError("\n".join(problems)) from error


def find_course_root(explicit: Path | None = None) -> Path:
    """The course to use: an explicit path, $GRADER_COURSE, the nearest folder
    up from here holding ``exercises/``, or the checkout this package lives in."""
    candidates = [explicit] if explicit else []
    if os.environ.get("GRADER_COURSE"):
        candidates.append(Path(os.environ["GRADER_COURSE"]))
    if not candidates:
        here = Path.cwd().resolve()
        candidates.extend([here, *here.parents, Path(__file__).resolve().parents[2]])
    for candidate in candidates:
        if (candidate / "exercises").is_dir():
            return candidate
    raise SpecError(f"no course found (looked for an exercises/ folder in {candidates[0]})")


class Course:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.exercises_dir = root / "exercises"
        self.solutions_dir = root / "solutions"
        self._exercises: dict[str, ExerciseSpec] = {}

    # ------------------------------------------------------------------ specs

    @cached_property
    def exercise_ids(self) -> list[str]:
        return sorted(path.parent.name for path in self.exercises_dir.glob(f"*/{SPEC_FILE}"))

    @cached_property
    def assignment_ids(self) -> list[str]:
        return sorted(path.stem for path in (self.exercises_dir / ASSIGNMENTS_DIR).glob("*.toml"))

    def exercise(self, exercise_id: str) -> ExerciseSpec:
        if exercise_id not in self._exercises:
            if exercise_id not in self.exercise_ids:
                raise SpecError(f"unknown exercise {exercise_id!r} (known: {', '.join(self.exercise_ids)})")
            path = self.exercises_dir / exercise_id / SPEC_FILE
            spec = read_spec(path, ExerciseSpec)
            if spec.id != exercise_id:
                raise SpecError(f"{path}: id: {spec.id!r} does not match its folder name {exercise_id!r}")
            self._exercises[exercise_id] = spec
        return self._exercises[exercise_id]

    def assignment(self, assignment_id: str) -> AssignmentSpec:
        path = self.exercises_dir / ASSIGNMENTS_DIR / f"{assignment_id}.toml"
        if not path.is_file():
            raise SpecError(f"unknown assignment {assignment_id!r} (known: {', '.join(self.assignment_ids)})")
        spec = read_spec(path, AssignmentSpec)
        for entry in spec.exercises:
            if entry.id not in self.exercise_ids:
                raise SpecError(f"{path}: exercises: unknown exercise {entry.id!r}")
        return spec

    def statement(self, exercise_id: str, lang: str) -> str:
        spec = self.exercise(exercise_id)
        path = self.exercises_dir / exercise_id / spec.statement.get(lang)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise SpecError(f"{path}: statement file not found") from error

    def starter(self, exercise_id: str) -> str:
        return (self.exercises_dir / exercise_id / self.exercise(exercise_id).starter).read_text(encoding="utf-8")

    def reference_path(self, exercise_id: str) -> Path:
        return self.solutions_dir / f"{exercise_id}.py"

    def mutants(self, exercise_id: str) -> list[Mutant]:
        return read_mutants(self.solutions_dir / "mutants" / exercise_id)

    # ------------------------------------------------------------------ plans

    def exercise_plan(self, exercise_id: str, visibilities: frozenset[str], weight: float = 1.0) -> ExercisePlan:
        """The exercise's cases of the given visibilities, with expected answers
        computed by the reference solution here, in the trusted process."""
        spec = self.exercise(exercise_id)
        try:
            cases = generate_cases(spec)
        except (CaseGenerationError, ValueError) as error:
            raise SpecError(f"{self.exercises_dir / exercise_id / SPEC_FILE}: groups: {error}") from error
        reference = self._reference(spec)
        planned = [PlannedCase(case=case, expected=Answer(raised=case.raises) if case.raises
                               else run_trusted(reference, case.args, case.kwargs))
                   for case in cases if case.visibility in visibilities]
        for item in planned:
            item.case.points *= weight
        return ExercisePlan(
            id=spec.id, title=spec.title, function=spec.function, signature=spec.signature,
            points=spec.points * weight, limits=spec.limits, hints=spec.hints, cases=planned,
            mutants=LiveMutants(self.mutants(spec.id), spec.function), outputs=spec.outputs,
        )

    def plan(self, assignment_id: str, visibilities: frozenset[str]) -> AssignmentPlan:
        spec = self.assignment(assignment_id)
        return AssignmentPlan(
            id=spec.id, title=spec.title,
            exercises=[self.exercise_plan(entry.id, visibilities, entry.weight) for entry in spec.exercises],
        )

    def _reference(self, spec: ExerciseSpec):
        path = self.reference_path(spec.id)
        if not path.is_file():
            raise SpecError(f"{path}: reference solution for {spec.id!r} not found")
        try:
            return load_function(path, spec.function)
        except Exception as error:
            raise SpecError(f"{path}: cannot load the reference: {type(error).__name__}: {error}") from error

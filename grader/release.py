"""Student releases: what a student may download and self-check with.

A release holds the statements, starter code and the PUBLIC cases with their
expected answers (and the mutants' answers on those public cases, for
diagnosis) computed here, on the instructor's side. It holds no hidden case,
no generator seed and no reference or mutant code.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import Course
from .catalog.cases import Case
from .catalog.models import CheckSpec, LimitsSpec, Localized
from .catalog.plan import AssignmentPlan, ExercisePlan, FrozenMutants, PlannedCase
from .catalog.reference import Answer
from .messages import say
from .sandbox import protocol

RELEASE_FILE = "release.json"
# What graded code runs on (the sandbox runtime is built from the grader's own; see scripts/setup.sh).
PYTHON = "{}.{}".format(*sys.version_info[:2])
FORMAT = 1


class ReleaseError(Exception):
    pass


def write_release(course: Course, assignment_id: str, directory: Path) -> Path:
    plan = course.plan(assignment_id, frozenset({"public"}))
    directory.mkdir(parents=True, exist_ok=True)
    exercises = []
    for exercise in plan.exercises:
        folder = directory / exercise.id
        folder.mkdir(exist_ok=True)
        for lang in ("ko", "en"):
            (folder / f"statement.{lang}.md").write_text(course.statement(exercise.id, lang), encoding="utf-8")
        (folder / "starter.py").write_text(course.starter(exercise.id), encoding="utf-8")
        exercises.append(_exercise_data(exercise))
    for lang in ("ko", "en"):
        rows = "\n".join(f"| {exercise.id} ({exercise.title.get(lang)}) | `{exercise.function}` | {exercise.points:g} |"
                         for exercise in plan.exercises)
        (directory / f"README.{lang}.md").write_text(
            say("release_readme", lang, title=plan.title.get(lang), folder=directory.name, rows=rows,
                python=PYTHON, numpy=np.__version__), encoding="utf-8")
    data = {"format": FORMAT, "id": plan.id, "title": plan.title.model_dump(), "exercises": exercises}
    path = directory / RELEASE_FILE
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _exercise_data(exercise: ExercisePlan) -> dict:
    return {
        "id": exercise.id, "title": exercise.title.model_dump(), "function": exercise.function,
        "signature": exercise.signature, "points": exercise.points, "limits": exercise.limits.model_dump(),
        "hints": {key: value.model_dump() for key, value in exercise.hints.items()},
        "outputs": exercise.outputs,
        "mistakes": {slug: text.model_dump() for slug, text in exercise.mutants.mistakes.items()},
        "cases": [_case_data(item, exercise) for item in exercise.cases],
    }


def _case_data(item: PlannedCase, exercise: ExercisePlan) -> dict:
    case = item.case
    assert case.visibility == "public", "a release must never hold a hidden case"
    return {
        "name": case.name, "group": case.group, "points": case.points, "check": case.check.model_dump(),
        "raises": case.raises, "args": _pack(case.args), "kwargs": _pack(case.kwargs),
        "expected": _pack_answer(item.expected),
        "mutants": {slug: _pack_answer(answer) for slug, answer in exercise.mutants.answers(case).items()},
    }


def _pack(value: Any) -> dict:
    blobs: list[bytes] = []
    if isinstance(value, dict):
        tree = {"t": "kwargs", "items": {key: protocol.encode_value(item, blobs) for key, item in value.items()}}
    else:
        tree = protocol.encode_value(value, blobs)
    return {"tree": tree, "blobs": [base64.b64encode(protocol.blob_bytes(blob)).decode() for blob in blobs]}


def _unpack(packed: dict) -> Any:
    blobs = [base64.b64decode(blob) for blob in packed["blobs"]]
    tree = packed["tree"]
    if tree.get("t") == "kwargs":
        return {key: protocol.decode_value(item, blobs) for key, item in tree["items"].items()}
    return protocol.decode_value(tree, blobs)


def _pack_answer(answer: Answer) -> dict:
    return {"raised": answer.raised} if answer.raised else {"value": _pack(answer.value)}


def _unpack_answer(data: dict) -> Answer:
    return Answer(raised=data["raised"]) if data.get("raised") else Answer(value=_unpack(data["value"]))


def is_release(path: Path) -> bool:
    return (path / RELEASE_FILE).is_file()


def read_release(directory: Path) -> AssignmentPlan:
    try:
        data = json.loads((directory / RELEASE_FILE).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ReleaseError(f"{directory}: release format {data.get('format')!r} is not supported")
        return AssignmentPlan(id=data["id"], title=Localized(**data["title"]),
                              exercises=[_read_exercise(item) for item in data["exercises"]])
    except (OSError, ValueError, KeyError, TypeError, protocol.ProtocolError) as error:
        raise ReleaseError(f"{directory}: not a readable release: {type(error).__name__}: {error}") from error


def _read_exercise(data: dict) -> ExercisePlan:
    mutants = FrozenMutants(mistakes={slug: Localized(**text) for slug, text in data["mistakes"].items()})
    cases = []
    for item in data["cases"]:
        case = Case(name=item["name"], group=item["group"], visibility="public", args=list(_unpack(item["args"])),
                    kwargs=_unpack(item["kwargs"]), check=CheckSpec(**item["check"]), raises=item["raises"],
                    points=item["points"])
        mutants.by_case[case.name] = {slug: _unpack_answer(answer) for slug, answer in item["mutants"].items()}
        cases.append(PlannedCase(case=case, expected=_unpack_answer(item["expected"])))
    return ExercisePlan(
        id=data["id"], title=Localized(**data["title"]), function=data["function"], signature=data["signature"],
        points=data["points"], limits=LimitsSpec(**data["limits"]),
        hints={key: Localized(**value) for key, value in data["hints"].items()}, cases=cases, mutants=mutants,
        outputs=data.get("outputs", []),
    )

"""Turning a spec's groups into concrete, reproducible test cases.

The same spec always yields the same cases: every random array comes from a
generator seeded by the spec (a case's own seed, or the exercise id, group and
case position), never from global state.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .expressions import DivisionByZero, evaluate
from .models import ArraySpec, CaseSpec, CheckSpec, ExerciseSpec, ExprSpec, GeneratorSpec, RandomSpec

MAX_DRAW_ATTEMPTS = 10_000


class CaseGenerationError(ValueError):
    pass


@dataclass
class Case:
    name: str
    group: str
    visibility: str
    args: list[Any]
    kwargs: dict[str, Any]
    check: CheckSpec
    raises: str | None = None
    points: float = 0.0
    variables: dict[str, int] = field(default_factory=dict)


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def build_value(spec: Any, rng: np.random.Generator, variables: dict[str, int]) -> Any:
    if isinstance(spec, ArraySpec):
        return np.array(spec.array, dtype=spec.dtype)
    if isinstance(spec, ExprSpec):
        return int(evaluate(spec.expr, variables))
    if isinstance(spec, RandomSpec):
        return _random_array(spec, rng, variables)
    return spec


def _random_array(spec: RandomSpec, rng: np.random.Generator, variables: dict[str, int]) -> np.ndarray:
    shape = tuple(int(evaluate(entry, variables)) if isinstance(entry, str) else entry for entry in spec.shape)
    if any(size < 0 for size in shape):
        raise CaseGenerationError(f"negative array size in shape {shape}")
    if spec.seed is not None:
        rng = np.random.default_rng(spec.seed)
    if spec.random == "normal":
        data = rng.standard_normal(shape) * spec.scale
    elif spec.random == "uniform":
        data = rng.uniform(spec.low, spec.high, shape)
    elif spec.random == "integers":
        data = rng.integers(int(spec.low), int(spec.high), shape, endpoint=True)
    elif spec.random == "ties":
        data = rng.integers(0, 2, shape).astype(float) * spec.scale
    else:  # arange: increasing, so a window's maximum is its last element
        data = np.arange(int(np.prod(shape)), dtype=float).reshape(shape) * spec.scale
    return np.asarray(data).astype(spec.dtype)


def _case(exercise: ExerciseSpec, group_name: str, visibility: str, name: str, fields: CaseSpec | GeneratorSpec,
          rng: np.random.Generator, variables: dict[str, int]) -> Case:
    return Case(
        name=name,
        group=group_name,
        visibility=visibility,
        args=[build_value(value, rng, variables) for value in fields.args],
        kwargs={key: build_value(value, rng, variables) for key, value in fields.kwargs.items()},
        check=fields.check or exercise.check,
        raises=fields.raises,
        variables=dict(variables),
    )


def _draws(generator: GeneratorSpec, rng: np.random.Generator) -> list[dict[str, int]]:
    """``count`` distinct variable assignments that satisfy every ``where``."""
    found: list[dict[str, int]] = []
    seen: set[tuple] = set()
    for _ in range(MAX_DRAW_ATTEMPTS):
        variables = {
            name: int(rng.integers(choices[0], choices[1], endpoint=True)) if len(choices) == 2
            else int(rng.choice(choices))
            for name, choices in generator.draw.items()
        }
        key = tuple(sorted(variables.items()))
        if key in seen:
            continue
        seen.add(key)
        try:
            if all(evaluate(condition, variables) for condition in generator.where):
                found.append(variables)
        except DivisionByZero:  # e.g. a stride of 0 drawn: not a valid draw
            continue
        if len(found) == generator.count:
            return found
    raise CaseGenerationError(
        f"generator {generator.name!r} found only {len(found)} of {generator.count} cases satisfying its 'where'"
    )


def generate_cases(exercise: ExerciseSpec) -> list[Case]:
    """All cases of an exercise, in spec order, with their points assigned."""
    cases: list[Case] = []
    total_weight = sum(group.weight for group in exercise.groups)
    for group in exercise.groups:
        group_cases: list[Case] = []
        for index, spec in enumerate(group.cases):
            rng = np.random.default_rng(_seed(exercise.id, group.name, index, spec.name))
            group_cases.append(_case(exercise, group.name, group.visibility, spec.name, spec, rng, {}))
        for generator in group.generate:
            rng = np.random.default_rng(generator.seed)
            for number, variables in enumerate(_draws(generator, rng), start=1):
                group_cases.append(_case(exercise, group.name, group.visibility,
                                         f"{generator.name}-{number}", generator, rng, variables))
        for case in group_cases:
            case.points = exercise.points * group.weight / total_weight / len(group_cases)
        cases.extend(group_cases)
    names = [case.name for case in cases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CaseGenerationError(f"duplicate case names: {', '.join(duplicates)}")
    return cases


def same_inputs(first: Case, second: Case) -> bool:
    """True when two cases would call the function with identical arguments."""
    if first.kwargs.keys() != second.kwargs.keys() or len(first.args) != len(second.args):
        return False
    pairs = itertools.chain(zip(first.args, second.args),
                            ((first.kwargs[key], second.kwargs[key]) for key in first.kwargs))
    return all(_same_value(a, b) for a, b in pairs)


def _same_value(first: Any, second: Any) -> bool:
    if isinstance(first, np.ndarray) or isinstance(second, np.ndarray):
        return (isinstance(first, np.ndarray) and isinstance(second, np.ndarray)
                and first.shape == second.shape and first.dtype == second.dtype
                and bool(np.array_equal(first, second)))
    return type(first) is type(second) and first == second

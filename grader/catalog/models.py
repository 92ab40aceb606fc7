"""Pydantic models of the exercise and assignment spec files (TOML)."""

from __future__ import annotations

import keyword
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .expressions import check_expression, names_in

Visibility = Literal["public", "hidden"]
Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    ko: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko


class ArraySpec(Strict):
    """An explicit array: ``{array = [[1, 2], [3, 4]], dtype = "float64"}``."""

    array: list[Any]
    dtype: str = "float64"


class RandomSpec(Strict):
    """A seeded array: ``{random = "normal", shape = [2, "C", 5, 5]}``.

    Shape entries are integers or expressions over a generator's drawn variables.
    ``ties`` draws small integers (as floats) so that windows hold equal maxima;
    ``arange`` fills 0, 1, 2, ... so each window's maximum is its last element.
    """

    random: Literal["normal", "uniform", "integers", "ties", "arange"]
    shape: list[int | str]
    dtype: str = "float64"
    low: float = -1.0
    high: float = 1.0
    scale: float = 1.0
    seed: int | None = None

    @field_validator("shape")
    @classmethod
    def _shape_expressions(cls, shape: list[int | str]) -> list[int | str]:
        for entry in shape:
            if isinstance(entry, str):
                check_expression(entry)
            elif entry < 0:
                raise ValueError("shape entries must be >= 0")
        return shape


class ExprSpec(Strict):
    """An integer computed from drawn variables: ``{expr = "(H + 2*P - FH) // S + 1"}``."""

    expr: str

    @field_validator("expr")
    @classmethod
    def _valid(cls, expr: str) -> str:
        check_expression(expr)
        return expr


ArgSpec = ArraySpec | RandomSpec | ExprSpec
_ARG_KINDS = {"array": ArraySpec, "random": RandomSpec, "expr": ExprSpec}


def parse_arg(value: Any) -> Any:
    """A literal (int, float, bool, str, list) stays itself; a table names its kind by key."""
    if isinstance(value, dict):
        kinds = [key for key in _ARG_KINDS if key in value]
        if len(kinds) != 1:
            raise ValueError("an argument table needs exactly one of 'array', 'random' or 'expr'")
        return _ARG_KINDS[kinds[0]].model_validate(value)
    if isinstance(value, (BaseModel, int, float, bool, str, list)):
        return value
    raise ValueError(f"unsupported argument value {value!r}")


class CheckSpec(Strict):
    """How a returned value is compared with the reference's.

    ``close`` compares floats within ``atol + rtol * scale``, where scale is the
    largest magnitude among the expected values, so tolerances follow the data.
    ``shape``/``dtype`` are checked when given, and are otherwise taken from the
    reference's answer (the dtype only by kind: float, integer, bool).
    """

    compare: Literal["exact", "close"] = "close"
    rtol: float = Field(default=1e-4, ge=0)
    atol: float = Field(default=1e-8, ge=0)
    shape: list[int] | None = None
    dtype: str | None = None


class _CaseFields(Strict):
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    raises: str | None = None
    check: CheckSpec | None = None

    @field_validator("args", mode="before")
    @classmethod
    def _args(cls, args: Any) -> Any:
        return [parse_arg(value) for value in args] if isinstance(args, list) else args

    @field_validator("kwargs", mode="before")
    @classmethod
    def _kwargs(cls, kwargs: Any) -> Any:
        if not isinstance(kwargs, dict):
            return kwargs
        for name in kwargs:
            if not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(f"{name!r} is not a valid keyword argument name")
        return {name: parse_arg(value) for name, value in kwargs.items()}

    @field_validator("raises")
    @classmethod
    def _exception_name(cls, name: str | None) -> str | None:
        if name is not None and not name.isidentifier():
            raise ValueError(f"{name!r} is not an exception class name")
        return name


    def expression_names(self) -> set[str]:
        """Variables the case's arguments refer to."""
        names: set[str] = set()
        for value in [*self.args, *self.kwargs.values()]:
            if isinstance(value, ExprSpec):
                names |= names_in(value.expr)
            elif isinstance(value, RandomSpec):
                for entry in value.shape:
                    if isinstance(entry, str):
                        names |= names_in(entry)
        return names


class CaseSpec(_CaseFields):
    """One explicit case. Random arrays in it are seeded from the case's position."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]

    @model_validator(mode="after")
    def _no_variables(self) -> "CaseSpec":
        if self.expression_names():
            raise ValueError(f"an explicit case has no drawn variables: {sorted(self.expression_names())}")
        return self


class GeneratorSpec(_CaseFields):
    """``count`` cases drawn with a fixed seed: integer variables from inclusive
    ranges or lists, kept when every ``where`` expression holds."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    count: int = Field(ge=1, le=200)
    seed: int
    draw: dict[str, list[int]]
    where: list[str] = []

    @field_validator("draw")
    @classmethod
    def _ranges(cls, draw: dict[str, list[int]]) -> dict[str, list[int]]:
        for name, choices in draw.items():
            if not name.isidentifier():
                raise ValueError(f"{name!r} is not a variable name")
            if not choices:
                raise ValueError(f"{name}: give [low, high] or a list of choices")
            if len(choices) == 2 and choices[0] > choices[1]:
                raise ValueError(f"{name}: range [{choices[0]}, {choices[1]}] is empty")
        return draw

    @field_validator("where")
    @classmethod
    def _conditions(cls, where: list[str]) -> list[str]:
        for condition in where:
            check_expression(condition)
        return where

    @model_validator(mode="after")
    def _known_variables(self) -> "GeneratorSpec":
        used = self.expression_names().union(*(names_in(condition) for condition in self.where))
        unknown = sorted(used - set(self.draw))
        if unknown:
            raise ValueError(f"unknown variable(s) {unknown}; draw defines {sorted(self.draw)}")
        return self


class GroupSpec(Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    visibility: Visibility
    weight: float = Field(default=1.0, gt=0)
    cases: list[CaseSpec] = []
    generate: list[GeneratorSpec] = []

    @model_validator(mode="after")
    def _not_empty(self) -> "GroupSpec":
        if not self.cases and not self.generate:
            raise ValueError(f"group {self.name!r} has no cases and no generators")
        return self


class LimitsSpec(Strict):
    time_seconds: float = Field(default=5.0, gt=0, le=120)
    memory_mb: int = Field(default=512, ge=256, le=8192)
    total_seconds: float = Field(default=30.0, gt=0, le=600)


class ExerciseSpec(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    title: Localized
    function: str
    signature: str
    points: float = Field(gt=0)
    statement: Localized  # file names, relative to the spec
    starter: str = "starter.py"
    outputs: list[str] = []  # names of a tuple result's items, for messages ("dw: ...")
    limits: LimitsSpec = LimitsSpec()
    check: CheckSpec = CheckSpec()
    hints: dict[str, Localized] = {}
    groups: list[GroupSpec] = Field(min_length=1)

    @field_validator("function")
    @classmethod
    def _function_name(cls, name: str) -> str:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"{name!r} is not a Python function name")
        return name

    @model_validator(mode="after")
    def _signature_matches(self) -> "ExerciseSpec":
        if not self.signature.startswith(self.function + "("):
            raise ValueError(f"signature must start with '{self.function}('")
        names = [group.name for group in self.groups]
        if len(names) != len(set(names)):
            raise ValueError("group names must be unique")
        if not any(group.visibility == "public" for group in self.groups):
            raise ValueError("at least one group must be public, so students can self-check")
        return self


class AssignmentEntry(Strict):
    id: str
    weight: float = Field(default=1.0, gt=0)


class AssignmentSpec(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    title: Localized
    exercises: list[AssignmentEntry] = Field(min_length=1)

    @field_validator("exercises")
    @classmethod
    def _unique(cls, entries: list[AssignmentEntry]) -> list[AssignmentEntry]:
        ids = [entry.id for entry in entries]
        if len(ids) != len(set(ids)):
            raise ValueError("an exercise is listed twice")
        return entries

"""What the engine grades against: cases with their expected answers.

A plan comes either from a course (instructor side: answers computed from the
reference) or from a student release (public cases with answers computed in
advance). The engine does not know which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .cases import Case
from .models import LimitsSpec, Localized
from .reference import Answer, Mutant, load_function, run_trusted


@dataclass
class PlannedCase:
    case: Case
    expected: Answer
    # The engine's cache of the inputs in wire form (opaque here), so a plan
    # used for many submissions encodes each case once.
    wire: Any = field(default=None, repr=False, compare=False)
    # The mutants that are wrong on this case, worked out when a failure first asks.
    wrong_mutants: dict[str, Answer] | None = field(default=None, repr=False, compare=False)


class MutantAnswers(Protocol):
    mistakes: dict[str, Localized]

    def answers(self, case: Case) -> dict[str, Answer]: ...


class LiveMutants:
    """Runs each mutant on a case when first asked (only failing cases ask)."""

    def __init__(self, mutants: list[Mutant], function: str) -> None:
        self._mutants = mutants
        self._function = function
        self._cache: dict[str, dict[str, Answer]] = {}
        self.mistakes = {mutant.slug: mutant.mistake for mutant in mutants}

    def answers(self, case: Case) -> dict[str, Answer]:
        if case.name not in self._cache:
            self._cache[case.name] = {
                mutant.slug: run_trusted(load_function(mutant.path, self._function), case.args, case.kwargs)
                for mutant in self._mutants
            }
        return self._cache[case.name]


@dataclass
class FrozenMutants:
    """Mutant answers computed in advance (for a student release)."""

    mistakes: dict[str, Localized]
    by_case: dict[str, dict[str, Answer]] = field(default_factory=dict)

    def answers(self, case: Case) -> dict[str, Answer]:
        return self.by_case.get(case.name, {})


@dataclass
class ExercisePlan:
    id: str
    title: Localized
    function: str
    signature: str
    points: float
    limits: LimitsSpec
    hints: dict[str, Localized]
    cases: list[PlannedCase]
    mutants: MutantAnswers
    outputs: list[str] = field(default_factory=list)


@dataclass
class AssignmentPlan:
    id: str
    title: Localized
    exercises: list[ExercisePlan]

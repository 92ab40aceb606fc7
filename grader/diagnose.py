"""Name a student's likely mistake: does their wrong answer equal a known mutant's?

Pure: it sees the expected answer, the student's answer and the mutants'
answers on the same case, and returns the slugs of the mutants whose answer
the student reproduced. A mutant that happens to be right on this case is
never named, since matching it says nothing.
"""

from __future__ import annotations

from typing import Any

from .catalog.models import CheckSpec
from .catalog.reference import Answer
from .checks import compare


def matching_mutants(expected: Answer, got_value: Any = None, got_raised: list[str] | None = None,
                     mutants: dict[str, Answer] | None = None, check: CheckSpec | None = None) -> list[str]:
    """Mutants whose (wrong) answer the student's answer equals.

    ``got_raised`` is the student's exception class hierarchy (names), when it raised.
    """
    check = check or CheckSpec()
    matches = []
    for slug, answer in (mutants or {}).items():
        if _same(expected, answer, check):
            continue
        if answer.raised is not None:
            if got_raised is not None and answer.raised in got_raised:
                matches.append(slug)
        elif got_raised is None and _equal(answer.value, got_value, check):
            matches.append(slug)
    return matches


def _same(first: Answer, second: Answer, check: CheckSpec) -> bool:
    if first.raised is not None or second.raised is not None:
        return first.raised == second.raised
    return _equal(first.value, second.value, check)


def _equal(expected: Any, got: Any, check: CheckSpec) -> bool:
    try:
        return compare(expected, got, check) is None
    except TypeError:
        return False

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


def wrong_mutants(expected: Answer, mutants: dict[str, Answer], check: CheckSpec) -> dict[str, Answer]:
    """The mutants whose answer on this case is not the right one: only
    those can name a mistake (it depends on the case alone, so callers keep it)."""
    return {slug: answer for slug, answer in mutants.items() if not _same(expected, answer, check)}


def matching_mutants(wrong: dict[str, Answer], got_value: Any = None, got_raised: list[str] | None = None,
                     check: CheckSpec | None = None) -> list[str]:
    """The ``wrong`` mutants (see :func:`wrong_mutants`) whose answer the student's answer equals.

    ``got_raised`` is the student's exception class hierarchy (names), when it raised.
    """
    check = check or CheckSpec()
    matches = []
    for slug, answer in wrong.items():
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

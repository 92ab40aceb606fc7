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


# Whether a mutant is right on a case depends only on the plan: known once, for
# every submission. The entries keep their answers alive, so ids stay theirs.
_SAME: dict[tuple[int, int, int], tuple[bool, Answer, Answer, CheckSpec]] = {}


def _same(first: Answer, second: Answer, check: CheckSpec) -> bool:
    key = (id(first), id(second), id(check))
    known = _SAME.get(key)
    if known is None:
        if first.raised is not None or second.raised is not None:
            same = first.raised == second.raised
        else:
            same = _equal(first.value, second.value, check)
        known = (same, first, second, check)
        if len(_SAME) < 100_000:
            _SAME[key] = known
    return known[0]


def _equal(expected: Any, got: Any, check: CheckSpec) -> bool:
    try:
        return compare(expected, got, check) is None
    except TypeError:
        return False

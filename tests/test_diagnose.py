"""Naming a likely mistake: the student's wrong answer equals a known mutant's."""

from __future__ import annotations

import numpy as np

from grader.catalog.models import CheckSpec
from grader.catalog.reference import Answer
from grader.diagnose import matching_mutants, wrong_mutants

EXPECTED = Answer(value=np.array([1.0, 2.0]))
MUTANTS = {
    "right-here": Answer(value=np.array([1.0, 2.0])),  # wrong elsewhere, right on this case
    "doubled": Answer(value=np.array([2.0, 4.0])),
    "raises": Answer(raised="ValueError"),
}


def test_a_mutant_right_on_the_case_can_name_nothing():
    assert set(wrong_mutants(EXPECTED, MUTANTS, CheckSpec())) == {"doubled", "raises"}


def test_the_wrong_mutant_the_answer_equals_is_named():
    wrong = wrong_mutants(EXPECTED, MUTANTS, CheckSpec())
    assert matching_mutants(wrong, got_value=np.array([2.0, 4.0000000001])) == ["doubled"]
    assert matching_mutants(wrong, got_value=np.array([1.0, 2.0])) == []
    assert matching_mutants(wrong, got_raised=["MyError", "ValueError", "Exception"]) == ["raises"]
    assert matching_mutants(wrong, got_value=np.array([[2.0, 4.0]])) == []  # another shape matches nothing

"""Wrong student submissions must lose points, in the right exercise and only there.

Each is one file of tests/corpus/correct/ with ONE realistic mistake in ONE
exercise (tests/corpus/mistakes.py: the edits that make it, written without
the mutants). Graded by the real core in the isolated sandbox, the exercise
with the mistake must score below its maximum and every other exercise must
keep full marks: a grader that passes a broken submission is as wrong as one
that fails a correct one (tests/test_corpus.py checks the other direction).

(Three of them showed rules of the statements that no case checked: a filter
size of 0, a stride of 0, and sizes that do not tile in maxpool2d-backward.
The exercises now have those cases.)
"""

from __future__ import annotations

import pytest

from corpus.mistakes import SPECS, Mistake, build
from grader.engine import grade_file, limits_for
from grader.sandbox import BwrapSandbox, unavailable_reason


def test_every_mistake_is_in_a_known_exercise(full_plan, tmp_path):
    known = {exercise.id for exercise in full_plan.exercises}
    assert len(SPECS) >= 30 and len({mistake.name for mistake in SPECS}) == len(SPECS)
    for mistake in SPECS:
        assert mistake.exercise in known, mistake.name
        build(mistake, tmp_path)  # its edits apply, each to exactly one place of its base


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return tmp_path_factory.mktemp("wrong")


@pytest.fixture(scope="module")
def sandbox(full_plan):
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"isolated sandbox (bubblewrap) unavailable, hidden cases cannot be graded: {reason}")
    with BwrapSandbox(limits_for(full_plan)) as shared:
        yield shared


@pytest.mark.parametrize("mistake", SPECS, ids=[mistake.name for mistake in SPECS])
def test_wrong_submission_loses_points_only_where_the_mistake_is(mistake: Mistake, full_plan, sandbox, built):
    name, exercise_id = mistake.name, mistake.exercise
    report = grade_file(build(mistake, built), full_plan, sandbox=sandbox, lang="en")
    scores = {exercise.id: (exercise.score, exercise.max_score) for exercise in report.exercises}
    assert set(scores) == {exercise.id for exercise in full_plan.exercises}, report.problems

    collateral = {
        exercise.id: [f"{test.name} ({test.visibility}): {test.status} [{test.reason}] {test.message}"
                      for test in exercise.tests if test.status != "passed"]
        for exercise in report.exercises
        if exercise.id != exercise_id and exercise.score != exercise.max_score
    }
    assert not collateral, f"{name}: exercises without the mistake lost points: {collateral}"

    score, max_score = scores[exercise_id]
    assert score < max_score, f"{name}: the mistake in {exercise_id} was not caught ({score} / {max_score})"

    # Failing hidden cases say why without showing what the code printed.
    target = next(exercise for exercise in report.exercises if exercise.id == exercise_id)
    for test in target.tests:
        if test.visibility == "hidden" and test.status != "passed":
            assert test.message and not test.output, (name, test.name)

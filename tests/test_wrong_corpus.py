"""Wrong student submissions must lose points, in the right exercise and only there.

Every file in tests/corpus/wrong/ is a copy of one file of tests/corpus/correct/
with ONE realistic mistake in ONE exercise (its first line says which, and what).
Graded by the real core in the isolated sandbox, the exercise with the mistake
must score below its maximum and every other exercise must keep full marks: a
grader that passes a broken submission is as wrong as one that fails a correct
one (tests/test_corpus.py checks the other direction).

(Three of them showed rules of the statements that no case checked: a filter
size of 0, a stride of 0, and sizes that do not tile in maxpool2d-backward.
The exercises now have those cases.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.engine import grade_file, limits_for
from grader.sandbox import BwrapSandbox, unavailable_reason

CORPUS = Path(__file__).resolve().parent / "corpus" / "wrong"

# file -> the exercise that must lose points (every other one keeps full marks)
WRONG = {
    "w01_conv_output_true_division_float.py": "conv-output-size",
    "w02_conv_output_floor_no_divisibility_check.ipynb": "conv-output-size",
    "w03_conv_output_assert_instead_of_valueerror.py": "conv-output-size",
    "w04_conv_output_no_filter_size_check.py": "conv-output-size",
    "w05_pool_default_stride_one.py": "pool-output-size",
    "w06_pool_output_forgot_plus_one.ipynb": "pool-output-size",
    "w07_pool_stride_zero_infinite_loop.py": "pool-output-size",  # costs one 2 s time limit
    "w08_conv_params_forgot_bias.py": "conv-param-count",
    "w09_dense_params_bias_per_input.py": "dense-param-count",
    "w10_conv_fwd_kernel_flipped.py": "conv2d-forward",
    "w11_conv_fwd_bias_broadcast_last_axis.py": "conv2d-forward",
    "w12_conv_fwd_channels_not_summed.py": "conv2d-forward",
    "w13_conv_fwd_square_only.py": "conv2d-forward",
    "w14_conv_fwd_float16.py": "conv2d-forward",
    "w15_conv_fwd_padding_one_side.py": "conv2d-forward",
    "w16_conv_bwd_dw_not_summed_over_batch.py": "conv2d-backward",
    "w17_conv_bwd_db_summed_over_wrong_axes.py": "conv2d-backward",
    "w18_conv_bwd_dx_overwrites_overlaps.py": "conv2d-backward",
    "w19_conv_bwd_dx_stride_ignored.py": "conv2d-backward",
    "w20_conv_bwd_returns_dx_dw_without_db.py": "conv2d-backward",
    "w21_conv_bwd_swapped_return_order.ipynb": "conv2d-backward",
    "w22_maxpool_fwd_assumes_stride_equals_window.py": "maxpool2d-forward",
    "w23_maxpool_fwd_modifies_input.py": "maxpool2d-forward",
    "w24_maxpool_fwd_no_stride_check.py": "maxpool2d-forward",
    "w25_maxpool_bwd_all_tied_maxima.py": "maxpool2d-backward",
    "w26_maxpool_bwd_last_tied_maximum.ipynb": "maxpool2d-backward",
    "w27_maxpool_bwd_no_size_validation.py": "maxpool2d-backward",
    "w28_maxpool_bwd_debug_print_full_array.py": "maxpool2d-backward",
    "w29_im2col_columns_channel_last.py": "im2col",
    "w30_im2col_rows_batch_last.py": "im2col",
    "w31_im2col_pads_all_axes.py": "im2col",
    "w32_im2col_returns_list.py": "im2col",
}

def _first_line(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "".join(cells[0]["source"]).splitlines()[0]
    return path.read_text(encoding="utf-8-sig").splitlines()[0]


def test_table_matches_the_corpus(full_plan):
    on_disk = sorted(path.name for path in CORPUS.iterdir() if path.suffix in (".py", ".ipynb"))
    assert on_disk == sorted(WRONG)
    known = {exercise.id for exercise in full_plan.exercises}
    for name, exercise_id in WRONG.items():
        assert exercise_id in known, name
        # the first line names the exercise with the mistake, as the table does
        assert _first_line(CORPUS / name).startswith(f"# WRONG ({exercise_id}): "), name


@pytest.fixture(scope="module")
def sandbox(full_plan):
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"isolated sandbox (bubblewrap) unavailable, hidden cases cannot be graded: {reason}")
    with BwrapSandbox(limits_for(full_plan)) as shared:
        yield shared


@pytest.mark.parametrize(("name", "exercise_id"), list(WRONG.items()), ids=list(WRONG))
def test_wrong_submission_loses_points_only_where_the_mistake_is(name, exercise_id, full_plan, sandbox):
    report = grade_file(CORPUS / name, full_plan, sandbox=sandbox, lang="en")
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

"""Unit tests for grader.checks: comparing a reference answer with a student's value."""

from __future__ import annotations

import numpy as np
import pytest

from grader.catalog.models import CheckSpec
from grader.checks import Finding, compare, exception_matches, kind_of, modified_inputs
from grader.sandbox.protocol import Unsupported

CLOSE = CheckSpec()
EXACT = CheckSpec(compare="exact")


def _all_fact_values(finding: Finding) -> list:
    """Every leaf in a finding's facts (tuples such as shapes flattened)."""
    leaves = []
    for value in finding.facts.values():
        leaves.extend(value if isinstance(value, tuple) else [value])
    return leaves


# ----------------------------------------------------------------------- ints


def test_equal_ints_pass():
    assert compare(6, 6, EXACT) is None


def test_different_ints_are_wrong_value():
    finding = compare(6, 7, EXACT)
    assert finding.reason == "wrong_value"
    assert finding.values == {"got": 7, "expected": 6}


def test_int_expected_python_float_with_same_value_is_int_as_float():
    finding = compare(3, 3.0, EXACT)
    assert finding.reason == "int_as_float"
    assert finding.facts == {"got_type": "float", "expected_type": "int"}


def test_int_expected_numpy_float_with_same_value_is_int_as_float():
    finding = compare(3, np.float64(3.0), EXACT)
    assert finding.reason == "int_as_float"
    assert finding.facts["got_type"] == "numpy.float64"


def test_int_expected_float_with_other_value_is_wrong_type():
    assert compare(3, 3.5, EXACT).reason == "wrong_type"


def test_int_expected_numpy_int64_is_accepted():
    assert compare(3, np.int64(3), EXACT) is None


def test_numpy_int_expected_python_int_is_accepted():
    assert compare(np.int64(3), 3, EXACT) is None


def test_int_expected_bool_is_wrong_type():
    finding = compare(1, True, EXACT)
    assert finding.reason == "wrong_type"
    assert finding.facts == {"got_type": "bool", "expected_type": "int"}


def test_int_expected_numpy_bool_is_wrong_type():
    assert compare(1, np.bool_(True), EXACT).reason == "wrong_type"


def test_big_ints_compare_exactly():
    assert compare(2**100, 2**100, EXACT) is None
    assert compare(2**100, 2**100 + 1, EXACT).reason == "wrong_value"


# --------------------------------------------------------------- float scalars


def test_float_within_tolerance_passes():
    assert compare(0.1 + 0.2, 0.3, CLOSE) is None


def test_float_outside_tolerance_is_wrong_value():
    finding = compare(1.0, 1.01, CLOSE)
    assert finding.reason == "wrong_value"
    assert finding.values == {"got": 1.01, "expected": 1.0}


def test_float_expected_accepts_an_int_of_the_same_value():
    assert compare(2.0, 2, CLOSE) is None


def test_float_expected_bool_is_wrong_type():
    assert compare(1.0, True, CLOSE).reason == "wrong_type"


def test_float_expected_string_is_wrong_type():
    finding = compare(1.0, "1.0", CLOSE)
    assert finding.reason == "wrong_type"
    assert finding.facts == {"got_type": "str", "expected_type": "float"}


def test_float_expected_nan_is_not_finite():
    assert compare(1.0, float("nan"), CLOSE).reason == "not_finite"


def test_float_expected_huge_int_is_a_finding_not_a_crash():
    finding = compare(1.0, 10**400, CLOSE)
    assert finding is not None and finding.reason in ("wrong_value", "not_finite", "wrong_type")


# ------------------------------------------------------------- float arrays


def test_tolerance_scales_with_large_expected_values():
    expected = np.array([1.0e6, -2.5e6, 3.0e6])
    assert compare(expected, expected + 1e-3, CLOSE) is None


def test_tolerance_is_tight_for_values_near_one():
    expected = np.array([1.0, -0.5, 0.75])
    finding = compare(expected, expected + 1e-2, CLOSE)
    assert finding.reason == "wrong_values"
    assert finding.facts["wrong_count"] == 3
    assert finding.facts["size"] == 3


def test_wrong_values_reports_first_bad_index_in_values():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[1, 2] = 5.0
    finding = compare(expected, got, CLOSE)
    assert finding.reason == "wrong_values"
    assert finding.facts["wrong_count"] == 1
    assert finding.values == {"index": (1, 2), "got": 5.0, "expected": 0.0}


def test_float32_matrix_product_passes_against_float64_reference():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 512))
    b = rng.standard_normal((512, 32))
    expected = a @ b
    got = a.astype(np.float32) @ b.astype(np.float32)
    assert got.dtype == np.float32
    assert compare(expected, got, CLOSE) is None


def test_float32_sum_of_many_terms_passes_against_float64_reference():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (4, 100_000))
    expected = x.sum(axis=1)
    got = x.astype(np.float32).sum(axis=1, dtype=np.float32)
    assert compare(expected, got, CLOSE) is None


def test_exact_compare_rejects_tiny_float_differences():
    expected = np.array([1.0, 2.0])
    assert compare(expected, expected + 1e-12, EXACT).reason == "wrong_values"


def test_matching_nan_and_inf_in_expected_are_accepted():
    expected = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert compare(expected, expected.copy(), CLOSE) is None


def test_inf_of_the_wrong_sign_is_wrong():
    finding = compare(np.array([np.inf, 1.0]), np.array([-np.inf, 1.0]), CLOSE)
    assert finding.reason == "wrong_values"


def test_list_instead_of_array_is_list_not_array():
    finding = compare(np.array([1.0, 2.0]), [1.0, 2.0], CLOSE)
    assert finding.reason == "list_not_array"
    assert finding.facts == {"got_type": "list", "expected_type": "ndarray"}


def test_an_array_returned_with_other_things_is_told_to_come_alone():
    """CS231n's forward returns (out, cache): np.array(...) around it is no fix."""
    out = np.ones((1, 2, 2, 2))
    for got in [(out, Unsupported("dict")), (out, (out, np.ones(3), 1)), [out, np.ones(2)]]:
        finding = compare(out, got, CLOSE)
        assert finding.reason == "array_in_sequence" and finding.facts["expected_type"] == "ndarray"
    rows = [np.ones(2), np.zeros(2)]  # an array's rows: np.array(rows) is the answer
    assert compare(np.array(rows), rows, CLOSE).reason == "list_not_array"
    # `return out,`: np.array((out,)) would add an axis
    assert compare(out, (out,), CLOSE).reason == compare(out, [out], CLOSE).reason == "array_in_sequence"


def test_scalar_instead_of_array_is_wrong_type():
    finding = compare(np.array([1.0]), 1.0, CLOSE)
    assert finding.reason == "wrong_type"
    assert finding.facts["got_type"] == "float"


def test_wrong_shape_reports_both_shapes():
    finding = compare(np.zeros((2, 3)), np.zeros((3, 2)), CLOSE, where="out")
    assert finding.reason == "wrong_shape"
    assert finding.where == "out"
    assert finding.facts == {"got_shape": (3, 2), "expected_shape": (2, 3)}


def test_check_shape_overrides_the_reference_shape():
    check = CheckSpec(shape=[4])
    assert compare(np.zeros(4), np.zeros(4), check) is None
    assert compare(np.zeros(4), np.zeros((4, 1)), check).facts["expected_shape"] == (4,)


def test_int_array_where_float_expected_is_wrong_dtype():
    finding = compare(np.array([1.0, 2.0]), np.array([1, 2]), CLOSE)
    assert finding.reason == "wrong_dtype"
    assert finding.facts == {"got_dtype": "int64", "expected_dtype": "float64"}


def test_bool_array_where_int_expected_is_wrong_dtype():
    assert compare(np.array([1, 0]), np.array([True, False]), EXACT).reason == "wrong_dtype"


def test_unsigned_ints_count_as_the_int_kind():
    assert compare(np.array([1, 2], dtype=np.int64), np.array([1, 2], dtype=np.uint8), EXACT) is None


def test_check_dtype_requires_the_exact_dtype():
    check = CheckSpec(dtype="float32")
    assert compare(np.zeros(2), np.zeros(2, dtype=np.float32), check) is None
    finding = compare(np.zeros(2), np.zeros(2), check)
    assert finding.reason == "wrong_dtype"
    assert finding.facts["expected_dtype"] == "float32"


def test_nan_where_finite_expected_is_not_finite():
    got = np.array([1.0, np.nan, 3.0, 4.0])
    finding = compare(np.array([1.0, 2.0, 3.0, 4.0]), got, CLOSE)
    assert finding.reason == "not_finite"
    assert finding.facts == {"count": 1, "size": 4}


def test_inf_where_finite_expected_is_not_finite():
    finding = compare(np.ones((2, 2)), np.array([[np.inf, 1.0], [1.0, -np.inf]]), CLOSE)
    assert finding.reason == "not_finite"
    assert finding.facts["count"] == 2


def test_int_arrays_compare_exactly_even_with_close_check():
    assert compare(np.array([10**6]), np.array([10**6 + 1]), CLOSE).reason == "wrong_values"


# ------------------------------------------------------------------- tuples


def _grads():
    rng = np.random.default_rng(2)
    return rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)


def test_matching_tuple_of_arrays_passes():
    dx, dw, db = _grads()
    assert compare((dx, dw, db), (dx.copy(), dw.copy(), db.copy()), CLOSE, names=["dx", "dw", "db"]) is None


def test_tuple_expected_list_of_items_is_accepted():
    dx, dw, db = _grads()
    assert compare((dx, dw, db), [dx, dw, db], CLOSE) is None


def test_wrong_second_item_is_reported_by_its_name():
    dx, dw, db = _grads()
    finding = compare((dx, dw, db), (dx, dw + 1.0, db), CLOSE, names=["dx", "dw", "db"])
    assert finding.reason == "wrong_values"
    assert finding.where == "dw"


def test_wrong_shape_of_third_item_is_reported_by_its_name():
    dx, dw, db = _grads()
    finding = compare((dx, dw, db), (dx, dw, db.reshape(4, 1)), CLOSE, names=["dx", "dw", "db"])
    assert (finding.reason, finding.where) == ("wrong_shape", "db")


def test_unnamed_tuple_items_are_reported_by_position():
    finding = compare((1, 2), (1, 3), EXACT)
    assert finding.where == "[1]"


def test_wrong_tuple_length():
    dx, dw, db = _grads()
    finding = compare((dx, dw, db), (dx, dw), CLOSE, names=["dx", "dw", "db"])
    assert finding.reason == "wrong_length"
    assert finding.facts == {"got_length": 2, "expected_length": 3}


def test_the_right_parts_in_another_order_are_named_as_such():
    dx, dw, db = _grads()
    finding = compare((dx, dw, db), (dw, db, dx), CLOSE, names=["dx", "dw", "db"])
    assert finding.reason == "wrong_order" and finding.facts == {"expected_order": "dx, dw, db"}
    # One part wrong as well: not a matter of order.
    assert compare((dx, dw, db), (dw, db + 1, dx), CLOSE, names=["dx", "dw", "db"]).reason != "wrong_order"
    assert compare((1, 2), (2, 1), EXACT).facts == {"expected_order": "0, 1"}


def test_something_else_than_a_tuple_is_told_which_parts_are_expected():
    dx, dw, db = _grads()
    finding = compare((dx, dw, db), dx, CLOSE, names=["dx", "dw", "db"])
    assert finding.reason == "not_a_tuple"
    assert finding.facts == {"got_type": "ndarray", "expected_length": 3, "expected_parts": "dx, dw, db"}
    assert compare((1, 2), {"a": 1}, EXACT).facts == {"got_type": "dict", "expected_length": 2, "expected_parts": "2"}


def test_a_half_precision_answer_that_misses_is_told_it_is_too_imprecise():
    expected = np.linspace(0, 100, 12).reshape(3, 4) / 7
    assert compare(expected, expected.astype(np.float16), CLOSE).reason == "too_imprecise"
    assert compare(expected, expected.astype(np.float32), CLOSE) is None
    assert compare(np.zeros(3), np.zeros(3, dtype=np.float16), CLOSE) is None  # exact enough: accepted
    assert compare(expected, (expected + 1).astype(np.float32), CLOSE).reason == "wrong_values"


# -------------------------------------------------------------- other types


@pytest.mark.parametrize("expected", [3, 2.5, np.zeros(2), (1, 2), True, None, "text"])
def test_unsupported_value_is_wrong_type(expected):
    finding = compare(expected, Unsupported("torch.Tensor"), CLOSE)
    assert finding.reason == ("not_a_tuple" if isinstance(expected, tuple) else "wrong_type")
    assert finding.facts["got_type"] == "torch.Tensor"


def test_kind_of_names_values_for_students():
    assert kind_of(Unsupported("pandas.DataFrame")) == "pandas.DataFrame"
    assert kind_of(np.zeros(1)) == "ndarray"
    assert kind_of(np.float32(1)) == "numpy.float32"
    assert kind_of([1]) == "list"


def test_bool_expected():
    assert compare(True, True, EXACT) is None
    assert compare(True, np.bool_(True), EXACT) is None
    assert compare(True, False, EXACT).reason == "wrong_value"
    assert compare(True, 1, EXACT).reason == "wrong_type"


def test_none_expected():
    assert compare(None, None, EXACT) is None
    assert compare(None, 0, EXACT).facts == {"got_type": "int", "expected_type": "None"}


def test_str_expected():
    assert compare("same", "same", EXACT) is None
    assert compare("same", "other", EXACT).reason == "wrong_value"
    assert compare("same", b"same", EXACT).reason == "wrong_type"


def test_uncomparable_expected_raises_type_error():
    with pytest.raises(TypeError):
        compare({"a": 1}, {"a": 1}, EXACT)


# ----------------------------------------------------- facts hide the values


SECRET = 123.456789


@pytest.mark.parametrize(
    "expected, got",
    [
        (np.full((2, 2), SECRET), np.zeros((2, 2))),  # wrong_values
        (np.full((2, 2), SECRET), np.zeros((3, 2))),  # wrong_shape
        (np.full((2, 2), SECRET), np.zeros((2, 2), dtype=int)),  # wrong_dtype
        (np.full((2, 2), SECRET), np.full((2, 2), np.nan)),  # not_finite
        (np.full((2, 2), SECRET), [[0.0, 0.0], [0.0, 0.0]]),  # list_not_array
        ((np.full(2, SECRET), np.full(2, SECRET)), (np.full(2, SECRET), np.zeros(2))),  # tuple item
        (123456789, 123456790),  # int wrong_value
        (123456789, 123456789.0),  # int_as_float
        ("secret-answer", "other"),  # str wrong_value
    ],
)
def test_facts_never_contain_the_expected_values(expected, got):
    finding = compare(expected, got, CLOSE)
    assert finding is not None
    leaves = _all_fact_values(finding)
    secrets = {SECRET, 123456789, "secret-answer"}
    assert not secrets & {leaf for leaf in leaves if isinstance(leaf, (int, float, str))}
    assert not any(isinstance(leaf, np.ndarray) for leaf in leaves)


def test_values_carry_the_expected_value_for_public_display():
    finding = compare(np.full(3, SECRET), np.zeros(3), CLOSE)
    assert finding.values["expected"] == SECRET
    assert finding.values["got"] == 0.0


def test_scalar_facts_do_not_reveal_the_expected_magnitude():
    check = CheckSpec(rtol=1e-4, atol=0.0)
    finding = compare(SECRET, 0.0, check)
    recovered = [leaf / check.rtol for leaf in _all_fact_values(finding) if isinstance(leaf, float)]
    assert not any(abs(value - SECRET) < 1e-6 for value in recovered)


# ------------------------------------------------------------ inputs/errors


def test_modified_inputs_lists_changed_positions():
    a, b, c = np.arange(3.0), np.ones((2, 2)), np.zeros(4, dtype=int)
    pristine = [a.copy(), b.copy(), c.copy()]
    b_after = b.copy()
    b_after[0, 0] = 7
    assert modified_inputs(pristine, [a.copy(), b_after, c.copy()]) == [1]


def test_modified_inputs_empty_when_untouched_with_nans():
    a = np.array([np.nan, 1.0])
    assert modified_inputs([a.copy()], [a.copy()]) == []


def test_modified_inputs_detects_reshape_and_replacement():
    a = np.arange(6.0)
    assert modified_inputs([a.copy(), a.copy()], [a.reshape(2, 3), Unsupported("object")]) == [0, 1]


def test_exception_matches_by_name_including_subclasses():
    mro = ["ZeroDivisionError", "ArithmeticError", "Exception", "BaseException", "object"]
    assert exception_matches("ZeroDivisionError", mro)
    assert exception_matches("ArithmeticError", mro)
    assert not exception_matches("ValueError", mro)
    assert not exception_matches("ValueError", [])

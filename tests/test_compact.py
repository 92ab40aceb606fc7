"""Compact replies: what has a compact form comes back exactly; what has not is left to JSON."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.sandbox import compact
from grader.sandbox.protocol import ProtocolError


def _round_trip(value, unchanged: int = 0, elapsed: float = 0.25):
    parts, size = compact.encode(value, unchanged, elapsed)
    frame = b"".join(bytes(part) for part in parts)
    assert len(frame) == size and int.from_bytes(frame[:4], "big") == size - 4
    assert frame[4:8] == compact.MARK
    return compact.decode(memoryview(frame)[8:])


@pytest.mark.parametrize("array", [
    np.arange(24.0).reshape(2, 3, 4), np.array(3.5), np.zeros((0, 3)), np.arange(6, dtype=np.int32),
    np.array([True, False]), np.array([1 + 2j]), np.arange(4, dtype=">f4"), np.array(["ab", "c"]),
])
def test_arrays_come_back_equal_with_their_dtype_and_shape(array):
    value, unchanged, elapsed = _round_trip(array, 3)
    assert type(value) is np.ndarray and value.dtype == array.dtype and value.shape == array.shape
    assert np.array_equal(value, array) and (unchanged, elapsed) == (3, 0.25)


def test_a_tuple_of_arrays_comes_back_as_a_tuple():
    arrays = (np.ones((2, 2)), np.arange(3), np.zeros(0))
    value, _, _ = _round_trip(arrays)
    assert type(value) is tuple and len(value) == 3
    assert all(np.array_equal(got, want) and got.dtype == want.dtype for got, want in zip(value, arrays))


@pytest.mark.parametrize("number", [0, -1, 2 ** 63 - 1, -(2 ** 63), 1.5, -0.0, math.inf, 1e-310])
def test_numbers_come_back_exactly(number):
    value, _, _ = _round_trip(number)
    assert type(value) is type(number) and value == number
    if isinstance(number, float):
        assert math.copysign(1, value) == math.copysign(1, number)


def test_nan_comes_back_as_nan():
    value, _, _ = _round_trip(math.nan)
    assert math.isnan(value)


@pytest.mark.parametrize("value", [
    None, True, "text", [np.zeros(2)], (), (np.zeros(2), 3), 2 ** 63, np.float64(1.0), np.zeros((4, 4))[:, 1],
    np.ma.masked_array(np.zeros(2)), np.array([object()]), np.zeros(2, dtype=[("a", "<f8")]), tuple([np.zeros(1)] * 256),
])
def test_anything_else_is_left_to_json(value):
    assert compact.encode(value, 0, 0.0) is None


def test_a_time_that_is_not_a_finite_positive_number_is_not_taken():
    for elapsed in (math.nan, math.inf, -1.0):
        assert _round_trip(1, 0, elapsed)[2] is None


@pytest.mark.parametrize("payload", [
    b"", b"\x03\x00", bytes([9, 0, 0, 0]) + bytes(8), bytes([3, 1, 0, 0]) + bytes(16), bytes([3, 0, 0, 0]) + bytes(17),
    bytes([1, 0, 0, 0]) + bytes(8), bytes([1, 1, 0, 0]) + bytes(8) + (100).to_bytes(4, "little") + b"short",
])
def test_malformed_payloads_are_protocol_errors(payload):
    with pytest.raises(ProtocolError):
        compact.decode(memoryview(payload))

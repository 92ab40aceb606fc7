"""Requests (parent -> child): inputs arrive in the child exactly as the case made them."""

from __future__ import annotations

import math
import os
import threading

import numpy as np
import pytest

from grader.sandbox import request


def _through_a_pipe(calls: list[tuple[str, request.EncodedCall]]) -> tuple[dict, list]:
    """Write the frame from one end of a pipe, read it with the child's reader."""
    read_fd, write_fd = os.pipe()
    frame = b"".join(bytes(part) for part in request.calls_frame(calls))
    writer = threading.Thread(target=lambda: (os.write(write_fd, frame), os.close(write_fd)))
    writer.start()
    try:
        return request.read(read_fd)
    finally:
        writer.join()
        os.close(read_fd)


def _inputs(args: list, kwargs: dict | None = None) -> tuple[list, dict]:
    header, blobs = _through_a_pipe([("f", request.encode_call(args, kwargs or {}, []))])
    (function, arg_nodes, kwarg_nodes, watch, base), = header["calls"]
    assert function == "f" and base == 0
    return ([request.decode_input(node, blobs, base) for node in arg_nodes],
            {name: request.decode_input(node, blobs, base) for name, node in kwarg_nodes.items()})


@pytest.mark.parametrize("value", [0, -7, 10**40, 2.5, -0.0, True, False, None, "텐서", (1, 2), [3, (4, 5)], b"\x00"])
def test_plain_inputs_arrive_with_their_exact_type_and_value(value):
    (got,), _ = _inputs([value])
    assert type(got) is type(value) and got == value
    if isinstance(value, float):
        assert math.copysign(1, got) == math.copysign(1, value)


def test_nan_and_infinities_arrive():
    (nan, inf, minus), _ = _inputs([math.nan, math.inf, -math.inf])
    assert math.isnan(nan) and inf == math.inf and minus == -math.inf


@pytest.mark.parametrize("array", [
    np.arange(24.0).reshape(2, 3, 4), np.arange(6, dtype=np.int32).reshape(3, 2),
    np.zeros((0, 3)), np.array(3.5), np.arange(12.0).reshape(3, 4).T, np.array([1 + 2j]),
    np.array([True, False]), np.arange(8, dtype=">i4"),
])
def test_arrays_arrive_equal_writable_and_plain(array):
    (got,), _ = _inputs([array])
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    assert np.array_equal(got, array)
    assert got.flags.writeable
    got[...] = 0  # a student may modify an input (the grader notices, elsewhere)


def test_numpy_scalars_and_nested_arrays_keep_their_types():
    (scalar, pair), kwargs = _inputs([np.float32(1.5), (np.arange(3), 4)], {"stride": np.int64(2)})
    assert type(scalar) is np.float32 and scalar == 1.5
    assert type(pair) is tuple and np.array_equal(pair[0], np.arange(3)) and pair[1] == 4
    assert type(kwargs["stride"]) is np.int64 and kwargs["stride"] == 2


def test_two_calls_never_share_an_input_object():
    same = [1, 2]
    calls = [("f", request.encode_call([same, np.arange(3.0)], {}, [])),
             ("f", request.encode_call([same, np.arange(3.0)], {}, []))]
    header, blobs = _through_a_pipe(calls)
    first, second = ([request.decode_input(node, blobs, order[4]) for node in order[1]] for order in header["calls"])
    first[0].append(3)
    first[1][0] = 99.0
    assert second[0] == [1, 2] and second[1][0] == 0.0


def test_values_that_are_not_plain_data_are_refused():
    with pytest.raises(ValueError):
        request.encode_call([object()], {}, [])


def test_the_same_batch_is_framed_once():
    calls = [("f", request.encode_call([np.arange(4.0)], {}, [0]))]
    assert request.calls_frame(calls) is request.calls_frame(list(calls))


def test_a_closed_channel_is_end_of_file():
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"\x00\x00")
    os.close(write_fd)
    try:
        with pytest.raises(EOFError):
            request.read(read_fd)
    finally:
        os.close(read_fd)

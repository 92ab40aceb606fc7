"""Requests (parent -> child): inputs arrive in the child exactly as the case made them."""

from __future__ import annotations

import fcntl
import mmap
import math
import os
import re
import socket
import threading

import numpy as np
import pytest

from grader.sandbox import request


def _send(frame: request.Frame) -> request.Received:
    """Send a frame from the parent's end of a channel, read it with the child's reader."""
    child_end, parent_end = request.channel()
    data = b"".join(bytes(part) for part in frame.parts)

    def send() -> None:
        with socket.socket(fileno=parent_end) as channel:
            sent = socket.send_fds(channel, [data], list(frame.fds)) if frame.fds else 0
            channel.sendall(data[sent:])

    writer = threading.Thread(target=send)
    writer.start()
    try:
        return request.read(child_end)
    finally:
        writer.join()
        os.close(child_end)


def _through_a_channel(calls: list[tuple[str, request.EncodedCall]]) -> request.Received:
    return _send(request.calls_frame(calls))


def _inputs(args: list, kwargs: dict | None = None) -> tuple[list, dict]:
    header, blobs, _ = _through_a_channel([("f", request.encode_call(args, kwargs or {}, []))])
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
def test_arrays_arrive_equal_plain_and_writable(array):
    (got,), _ = _inputs([array])
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    assert np.array_equal(got, array)
    assert got.flags.writeable  # as an array of the student's own would be
    got[...] = 0


def test_numpy_scalars_and_nested_arrays_keep_their_types():
    (scalar, pair), kwargs = _inputs([np.float32(1.5), (np.arange(3), 4)], {"stride": np.int64(2)})
    assert type(scalar) is np.float32 and scalar == 1.5
    assert type(pair) is tuple and np.array_equal(pair[0], np.arange(3)) and pair[1] == 4
    assert type(kwargs["stride"]) is np.int64 and kwargs["stride"] == 2


def test_two_calls_never_share_an_input_object():
    same = [1, 2]
    calls = [("f", request.encode_call([same, np.arange(3.0)], {}, [])),
             ("f", request.encode_call([same, np.arange(3.0)], {}, []))]
    header, blobs, _ = _through_a_channel(calls)
    first, second = ([request.decode_input(node, blobs, order[4]) for node in order[1]] for order in header["calls"])
    first[0].append(3)
    assert second[0] == [1, 2] and first[1] is not second[1]


def test_values_that_are_not_plain_data_are_refused():
    with pytest.raises(ValueError):
        request.encode_call([object()], {}, [])


def test_the_same_batch_is_framed_once():
    calls = [("f", request.encode_call([np.arange(4.0)], {}, [0]))]
    assert request.calls_frame(calls) is request.calls_frame(list(calls))


def test_a_closed_channel_is_end_of_file():
    read_fd, write_fd = request.channel()
    os.write(write_fd, b"\x00\x00")
    os.close(write_fd)
    try:
        with pytest.raises(EOFError):
            request.read(read_fd)
    finally:
        os.close(read_fd)


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="this system has no memory files")
def test_inputs_in_a_memory_file_are_each_childs_own_copy_and_the_file_is_sealed():
    calls = [("f", request.encode_call([np.arange(1000.0), np.arange(3.0)], {}, [0, 1]))]
    frame = request.calls_frame(calls)
    assert frame.fds, "a batch of array inputs travels in a memory file"
    header, blobs, pages = _send(frame)
    assert header["shared"] and pages is not None
    first, second = (request.decode_input(node, blobs, 0) for node in header["calls"][0][1])
    assert not pages.written(0) and not pages.written(1)
    first[:] = -1.0
    assert pages.written(0), "a write shows on the pages it landed on"
    header, blobs, pages = _send(frame)
    again = request.decode_input(header["calls"][0][1][0], blobs, 0)
    assert np.array_equal(again, np.arange(1000.0)), "another reader gets the file as it was"
    assert not pages.written(0)
    (fd,) = frame.fds
    with pytest.raises(PermissionError):
        os.write(fd, b"x")  # sealed: whoever holds it cannot change it
    seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
    assert seals & fcntl.F_SEAL_WRITE and seals & fcntl.F_SEAL_SHRINK and seals & fcntl.F_SEAL_GROW


def _kernel_at_least(major: int, minor: int) -> bool:
    found = [int(part) for part in re.findall(r"\d+", os.uname().release)[:2]]
    return found >= [major, minor]


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="this system has no memory files")
def test_inputs_arrive_mapped_in_and_still_unwritten():
    """The inputs' pages are mapped when the batch arrives (no fault on each
    page's first read), for reading: they still count as unwritten."""
    calls = [("f", request.encode_call([np.arange(50_000.0)], {}, [0]))]
    header, blobs, pages = _send(request.calls_frame(calls))
    array = request.decode_input(header["calls"][0][1][0], blobs, 0)  # (a view: nothing read yet)
    address, size = array.ctypes.data, array.nbytes
    first, last = address // mmap.PAGESIZE, (address + size - 1) // mmap.PAGESIZE
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(first * 8)
        entries = pagemap.read((last - first + 1) * 8)
    present = sum(entries[index + 7] >> 7 for index in range(0, len(entries), 8))
    if _kernel_at_least(5, 14):
        assert present == last - first + 1, "every page of the inputs is mapped before any is read"
    assert not pages.written(0)
    assert np.array_equal(array, np.arange(50_000.0)) and not pages.written(0)
    array[-1] = 0.0
    assert pages.written(0)


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="this system has no memory files")
def test_a_write_that_numpy_lets_past_a_read_only_flag_is_seen_too():
    """numpy's ufunc.at writes even to arrays flagged read-only: only the pages tell."""
    header, blobs, pages = _send(request.calls_frame([("f", request.encode_call([np.zeros(4)], {}, [0]))]))
    array = request.decode_input(header["calls"][0][1][0], blobs, 0)
    array.flags.writeable = False
    np.add.at(array, [0, 0], 1.0)
    assert pages.written(0)


def test_inputs_sent_inline_arrive_aligned_and_equal():
    inputs = request.encode_call([np.arange(7.0), np.arange(5, dtype=np.int16), np.arange(3.0)], {}, [])
    header, blobs, pages = _send(request.frame(*request.calls_message([("f", inputs)])))
    assert not header["shared"] and pages is None
    arrays = [request.decode_input(node, blobs, 0) for node in header["calls"][0][1]]
    assert all(array.flags.aligned and array.ctypes.data % request.ALIGN == 0 for array in arrays)
    assert np.array_equal(arrays[0], np.arange(7.0)) and np.array_equal(arrays[2], np.arange(3.0))


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="this system has no memory files")
def test_a_frame_dropped_from_the_cache_keeps_its_file_while_in_use_and_closes_it_after():
    import gc

    held = request.calls_frame([("f", request.encode_call([np.arange(8.0)], {}, []))])
    (fd,) = held.fds
    for count in range(request._CACHED_FRAMES + 2):  # push the held frame out of the cache
        request.calls_frame([("f", request.encode_call([np.full(4, float(count))], {}, []))])
    assert fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_WRITE  # still the same sealed file
    del held
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(fd)

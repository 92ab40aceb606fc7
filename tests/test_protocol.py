"""Unit tests for the parent/child wire format: values, arrays, frames, and refusal to unpickle."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import struct

import numpy as np
import pytest

from grader.sandbox.protocol import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_ITEMS,
    MAX_STR,
    ProtocolError,
    Unsupported,
    decode_value,
    encode_value,
    load_npy,
    pack,
    unpack,
    write_message,
)


def round_trip(value):
    """Encode, frame, unframe and decode a value, as between child and parent."""
    blobs: list[bytes] = []
    node = encode_value(value, blobs)
    frame = pack({"kind": "returned", "value": node}, blobs)
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    header, got_blobs = unpack(frame[4:])
    assert header["kind"] == "returned"
    return decode_value(header["value"], got_blobs)


def frame_payload(header: dict, blobs: list[bytes] = ()) -> bytes:
    return pack(header, blobs)[4:]


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


# ---------------------------------------------------------------- scalars


@pytest.mark.parametrize("value", [0, 1, -7, 2**63, -(2**64) - 1, 10**300, -(10**(MAX_INT_DIGITS - 1))],
                         ids=["0", "1", "-7", "2**63", "-(2**64)-1", "10**300", "-(10**3999)"])
def test_int_round_trip(value):
    got = round_trip(value)
    assert type(got) is int
    assert got == value


@pytest.mark.parametrize("value", [0.0, 1.5, -2.25, 1e-310, 1.7976931348623157e308, 0.1 + 0.2, math.pi])
def test_float_round_trip_is_exact(value):
    got = round_trip(value)
    assert type(got) is float
    assert got == value


def test_negative_zero_keeps_its_sign():
    got = round_trip(-0.0)
    assert got == 0.0 and math.copysign(1.0, got) == -1.0


def test_nan_and_infinities_round_trip():
    assert math.isnan(round_trip(float("nan")))
    assert round_trip(float("inf")) == float("inf")
    assert round_trip(float("-inf")) == float("-inf")


@pytest.mark.parametrize("value", [True, False])
def test_bool_round_trip_stays_bool(value):
    assert round_trip(value) is value


def test_none_round_trip():
    assert round_trip(None) is None


@pytest.mark.parametrize("value", ["", "hello", "한국어 ✓", "quote\" and \\ and \n newline", "\x00nul"])
def test_str_round_trip(value):
    assert round_trip(value) == value


def test_long_str_is_truncated():
    blobs: list[bytes] = []
    node = encode_value("x" * (MAX_STR + 5), blobs)
    assert node["truncated"] is True
    assert round_trip("x" * (MAX_STR + 5)) == "x" * MAX_STR


# ------------------------------------------------------------- containers


def test_nested_tuples_and_lists_keep_their_types():
    value = (1, [2.5, (None, "s")], [], (), ([True],))
    got = round_trip(value)
    assert got == value
    assert type(got) is tuple and type(got[1]) is list and type(got[1][1]) is tuple
    assert type(got[2]) is list and type(got[3]) is tuple


def test_tuple_of_arrays_round_trip():
    dx, dw, db = np.ones((2, 3)), np.arange(6.0).reshape(3, 2), np.zeros(3, dtype=np.float32)
    got = round_trip((dx, dw, db))
    assert type(got) is tuple and len(got) == 3
    for want, have in zip((dx, dw, db), got):
        assert have.dtype == want.dtype and np.array_equal(have, want)


def test_too_many_items_become_unsupported():
    got = round_trip(list(range(MAX_ITEMS + 1)))
    assert isinstance(got, Unsupported)
    assert got.type_name == f"list of {MAX_ITEMS + 1} items"


def test_deep_nesting_is_cut_off_when_encoding():
    value: list = []
    inner = value
    for _ in range(MAX_DEPTH + 5):
        inner.append([])
        inner = inner[0]
    got = round_trip(value)
    for _ in range(MAX_DEPTH + 1):
        assert type(got) is list
        got = got[0]
    assert isinstance(got, Unsupported)
    assert got.type_name == "nesting too deep"


# ----------------------------------------------------------------- arrays


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float64).reshape(3, 4),
    np.linspace(-1, 1, 7, dtype=np.float32),
    np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    np.array([0, 255], dtype=np.uint8),
    np.array([True, False, True]),
    np.array([1 + 2j, -3j], dtype=np.complex128),
    np.array(3.5),
    np.zeros((0,)),
    np.zeros((2, 0, 3), dtype=np.int64),
    np.array([np.nan, np.inf, -0.0]),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.arange(10.0)[::3],
    np.array(["ab", "c"]),
], ids=lambda array: f"{array.dtype}{array.shape}")
def test_array_round_trip(array):
    got = round_trip(array)
    assert type(got) is np.ndarray
    assert got.dtype == array.dtype
    assert got.shape == array.shape
    assert np.array_equal(got, array, equal_nan=array.dtype.kind in "fc")


def test_negative_zero_in_array_keeps_its_sign():
    assert np.signbit(round_trip(np.array([-0.0])))[0]


@pytest.mark.parametrize("scalar", [np.float64(1.25), np.float32(-2.5), np.int64(-3), np.uint8(200),
                                    np.bool_(True), np.complex64(1 + 1j)])
def test_numpy_scalar_round_trip(scalar):
    got = round_trip(scalar)
    assert type(got) is type(scalar)
    assert got == scalar


def test_object_array_becomes_unsupported():
    got = round_trip(np.array([1, "a", None], dtype=object))
    assert isinstance(got, Unsupported)
    assert got.type_name == "numpy.ndarray of dtype object"


def test_structured_array_becomes_unsupported():
    got = round_trip(np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]))
    assert isinstance(got, Unsupported)


class Opaque:
    pass


def test_arbitrary_object_becomes_unsupported_with_its_type_name():
    got = round_trip(Opaque())
    assert isinstance(got, Unsupported)
    assert got.type_name == f"{__name__}.Opaque"
    assert repr(got) == f"<unsupported {__name__}.Opaque>"


@pytest.mark.parametrize("value, name", [({"a": 1}, "dict"), ({1, 2}, "set"), (b"bytes", "bytes"),
                                         (1 + 2j, "complex"), (range(3), "range")])
def test_builtin_non_plain_values_become_unsupported(value, name):
    got = round_trip(value)
    assert isinstance(got, Unsupported) and got.type_name == name


def test_subclasses_of_builtins_cross_as_the_builtin_value_without_running_their_methods():
    from collections import namedtuple
    from enum import IntEnum

    class Lying(list):
        def __iter__(self):
            raise AssertionError("the encoder ran the subclass's code")

        def __len__(self):
            return 0

        def __getitem__(self, index):
            return "lie"

    class Size(IntEnum):
        SEVEN = 7

    class Text(str):
        def __str__(self):
            return "lie"

    grads = namedtuple("Grads", "dx dw")(np.ones(2), 3.5)
    got = round_trip(grads)
    assert type(got) is tuple and np.array_equal(got[0], np.ones(2)) and got[1] == 3.5
    assert round_trip(Lying([1, 2])) == [1, 2] and type(round_trip(Lying([1, 2]))) is list
    assert round_trip(Size.SEVEN) == 7 and type(round_trip(Size.SEVEN)) is int
    assert round_trip(Text("real")) == "real"
    assert isinstance(round_trip(Lying(range(MAX_ITEMS + 1))), Unsupported)


class Tagged(np.ndarray):
    pass


def test_ndarray_subclass_decodes_as_plain_ndarray():
    array = np.arange(4.0).view(Tagged)
    blobs: list[bytes] = []
    node = encode_value(array, blobs)
    assert node["subclass"] == f"{__name__}.Tagged"
    got = round_trip(array)
    assert type(got) is np.ndarray
    assert np.array_equal(got, np.arange(4.0))


def test_masked_array_decodes_as_plain_ndarray():
    got = round_trip(np.ma.masked_array([1.0, 2.0], mask=[False, True]))
    assert type(got) is np.ndarray
    assert got.shape == (2,)


@pytest.mark.parametrize("value", [10**4100, -(10**MAX_INT_DIGITS)], ids=["4101-digits", "negative-4001-digits"])
def test_every_encodable_int_decodes(value):
    got = round_trip(value)
    assert got == value or isinstance(got, Unsupported)


def test_int_beyond_str_digit_limit_becomes_unsupported():
    got = round_trip(10**5000)
    assert isinstance(got, Unsupported)
    assert got.type_name == "int (too large)"


# --------------------------------------------------------- decode rejects


def test_decode_rejects_unknown_tag():
    with pytest.raises(ProtocolError, match="unknown value tag"):
        decode_value({"t": "pickle", "v": "x"}, [])


@pytest.mark.parametrize("node", [None, [], "int", {"t": "int", "v": 5}, {"t": "bool", "v": 1},
                                  {"t": "int", "v": "12x"}, {"t": "float", "v": "one"},
                                  {"t": "tuple", "items": "ab"}, {"t": "ndarray", "blob": "0"},
                                  {"t": "ndarray", "blob": True}])
def test_decode_rejects_malformed_nodes(node):
    with pytest.raises(ProtocolError):
        decode_value(node, [npy_bytes(np.zeros(1))])


@pytest.mark.parametrize("index", [1, -1, 99])
def test_decode_rejects_out_of_range_blob_index(index):
    with pytest.raises(ProtocolError, match="blob index out of range"):
        decode_value({"t": "ndarray", "blob": index}, [npy_bytes(np.zeros(1))])


def test_decode_rejects_npscalar_with_a_shape():
    with pytest.raises(ProtocolError, match="numpy scalar with a shape"):
        decode_value({"t": "npscalar", "blob": 0}, [npy_bytes(np.zeros(2))])


def test_decode_rejects_too_long_integer_text():
    with pytest.raises(ProtocolError, match="integer too long"):
        decode_value({"t": "int", "v": "9" * (MAX_INT_DIGITS + 2)}, [])


def test_decode_rejects_too_many_items():
    with pytest.raises(ProtocolError, match="too many items"):
        decode_value({"t": "list", "items": [{"t": "none"}] * (MAX_ITEMS + 1)}, [])


def test_decode_rejects_nesting_deeper_than_max_depth():
    node: dict = {"t": "none"}
    for _ in range(MAX_DEPTH + 3):
        node = {"t": "list", "items": [node]}
    with pytest.raises(ProtocolError, match="malformed value"):
        decode_value(node, [])


def test_decode_accepts_nesting_up_to_the_encoder_limit():
    node: dict = {"t": "none"}
    for _ in range(MAX_DEPTH + 1):
        node = {"t": "list", "items": [node]}
    value = decode_value(node, [])
    for _ in range(MAX_DEPTH + 1):
        value = value[0]
    assert value is None


def test_pickled_object_array_blob_is_rejected_without_unpickling():
    blob = npy_bytes(np.array([1, {"a": 2}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="dtype object are not accepted"):
        decode_value({"t": "ndarray", "blob": 0}, [blob])


def test_plain_pickle_blob_is_rejected():
    with pytest.raises(ProtocolError):
        decode_value({"t": "ndarray", "blob": 0}, [pickle.dumps(np.zeros(3))])


def test_npz_blob_is_rejected():
    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros(2))
    with pytest.raises(ProtocolError, match="malformed array"):
        load_npy(buffer.getvalue())


@pytest.mark.parametrize("data", [b"", b"garbage", npy_bytes(np.zeros(100))[:-8]])
def test_load_npy_rejects_garbage_and_truncated_arrays(data):
    with pytest.raises(ProtocolError):
        load_npy(data)


def test_load_npy_reads_only_headers_as_numpy_writes_them():
    """numpy's own header reader falls back to tokenizing: a header of 10 KB of
    newlines and a `0L` shape took it ~30 ms, 500 per reply."""
    for array in (np.arange(6.0).reshape(2, 3), np.zeros((), np.int32), np.array(["ab"]), np.zeros(3, ">f4")):
        assert np.array_equal(load_npy(npy_bytes(array)), array)
    text = "{'descr': '<f8', 'fortran_order': False, 'shape': (0L,), }" + "\n" * 10_000
    crafted = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()
    with pytest.raises(ProtocolError, match="not a header numpy writes"):
        load_npy(crafted)


class CreatesFileWhenUnpickled:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_load_npy_never_unpickles(tmp_path):
    target = tmp_path / "created-by-unpickling"
    blob = npy_bytes(np.array([CreatesFileWhenUnpickled(str(target))], dtype=object), allow_pickle=True)
    # The payload is dangerous: unpickling it really would create the file.
    with pytest.raises(ProtocolError):
        load_npy(blob)
    with pytest.raises(ProtocolError):
        decode_value({"t": "ndarray", "blob": 0}, [blob])
    assert not target.exists()


def test_the_dangerous_payload_would_create_the_file(tmp_path):
    """Guards the test above: the same kind of payload does act when unpickled."""
    target = tmp_path / "created"
    blob = npy_bytes(np.array([CreatesFileWhenUnpickled(str(target))], dtype=object), allow_pickle=True)
    loaded = np.load(io.BytesIO(blob), allow_pickle=True)
    loaded[0].close()
    assert target.exists()


# ----------------------------------------------------------------- frames


def test_pack_unpack_round_trip_with_blobs():
    blobs = [b"abc", b"", b"\x00" * 10]
    header, got = unpack(frame_payload({"kind": "x", "n": 1}, blobs))
    assert header == {"kind": "x", "n": 1, "blobs": [3, 0, 10]}
    assert got == blobs


def test_unpack_rejects_non_json_header():
    head = b"not json{"
    with pytest.raises(ProtocolError, match="header is not JSON"):
        unpack(struct.pack(">I", len(head)) + head)


def test_unpack_rejects_non_utf8_header():
    head = b"\xff\xfe"
    with pytest.raises(ProtocolError, match="header is not JSON"):
        unpack(struct.pack(">I", len(head)) + head)


def test_unpack_rejects_non_object_header():
    head = b"[1, 2]"
    with pytest.raises(ProtocolError, match="header is not an object"):
        unpack(struct.pack(">I", len(head)) + head)


@pytest.mark.parametrize("payload", [b"", b"\x00\x00", struct.pack(">I", 100) + b"{}"])
def test_unpack_rejects_truncated_messages(payload):
    with pytest.raises(ProtocolError, match="truncated"):
        unpack(payload)


def test_unpack_rejects_blob_sizes_that_do_not_match():
    payload = frame_payload({"kind": "x"}, [b"abcd"])
    with pytest.raises(ProtocolError, match="blob sizes do not match"):
        unpack(payload + b"extra")
    with pytest.raises(ProtocolError, match="blob sizes do not match"):
        unpack(payload[:-1])


@pytest.mark.parametrize("table", [[-1], ["3"], [1.5], "3", [True]])
def test_unpack_rejects_malformed_blob_tables(table):
    head = json.dumps({"blobs": table}).encode()
    with pytest.raises(ProtocolError, match="malformed blob table"):
        unpack(struct.pack(">I", len(head)) + head + b"xxx")


def test_pack_refuses_nan_in_header():
    with pytest.raises(ValueError):
        pack({"value": float("nan")})


def test_write_message_frames_a_reply_that_unpack_reads():
    read_fd, write_fd = os.pipe()
    try:
        blobs: list[bytes] = []
        node = encode_value((np.arange(3.0), 7), blobs)
        write_message(write_fd, {"kind": "returned", "value": node}, blobs)
        frame = os.read(read_fd, 1 << 16)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    header, got_blobs = unpack(frame[4:])
    value = decode_value(header["value"], got_blobs)
    assert np.array_equal(value[0], np.arange(3.0)) and value[1] == 7


def test_a_header_framed_again_without_its_blobs_keeps_no_stale_blob_table():
    """The child retries a reply too large to send without its arrays: the
    retry's blob table must not be the first attempt's."""
    blobs: list = []
    header = {"kind": "returned", "value": encode_value(np.arange(3.0), blobs), "watched": []}
    pack(header, blobs)
    header["value"] = {"t": "unsupported", "type": "tuple"}
    again, got_blobs = unpack(pack(header, [])[4:])
    assert got_blobs == [] and "blobs" not in again


def test_an_object_claiming_a_builtin_base_it_does_not_have_is_unsupported():
    class ClaimsTuple:
        __class__ = property(lambda self: tuple)

    assert isinstance(round_trip(ClaimsTuple()), Unsupported)  # (Python refuses a made-up MRO with tuple in it)

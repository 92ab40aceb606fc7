"""Compact replies: the usual answer in fixed binary fields instead of JSON.

Most calls return an ndarray, a tuple of ndarrays, an int or a float, print
nothing and leave their inputs as they were. Writing and reading such a reply
as a JSON header costs more than everything else done per call, so it has a
form of its own: a frame whose header length is 0 (no JSON header is empty),
then

    kind (u8) | count (u8) | inputs left unchanged (u16) | elapsed (f64)

followed, for arrays, by ``count`` times ``length (u32) | .npy bytes``; for an
int by an i64; for a float by an f64. The parent reads it as strictly as the
JSON form: every length checked, arrays through the same ``.npy`` reader,
anything else a protocol error. Everything else still goes as JSON.

Imported by the child runner: standard library and numpy only.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

if __package__:
    from . import protocol
else:  # inside the sandbox, staged beside the runner
    import protocol  # type: ignore[no-redef]

ARRAY, ARRAYS, INT, FLOAT = 1, 2, 3, 4
_FRAME = struct.Struct(">II")  # the frame's length, then a header length of 0
_HEAD = struct.Struct("<BBHd")
_LENGTH = struct.Struct("<I")
_INT = struct.Struct("<q")
_FLOAT = struct.Struct("<d")
MARK = b"\0\0\0\0"  # what a compact payload starts with (its header length)


def encode(value: Any, unchanged: int, elapsed: float) -> tuple[list, int] | None:
    """A compact frame's parts for writev and its size, or None when ``value``
    has no compact form."""
    kind = type(value)
    if kind is np.ndarray:
        code, arrays = ARRAY, (value,)
    elif kind is tuple and 0 < len(value) < 256 and all(type(item) is np.ndarray for item in value):
        code, arrays = ARRAYS, value
    elif kind is int and -(1 << 63) <= value < 1 << 63:
        code, arrays, body = INT, (), [_INT.pack(value)]
    elif kind is float:
        code, arrays, body = FLOAT, (), [_FLOAT.pack(value)]
    else:
        return None
    if unchanged > 0xFFFF:
        return None
    if arrays:
        body = []
        for array in arrays:
            parts = protocol.plain_array_parts(array)
            if parts is None:
                return None
            header, data = parts
            body += [_LENGTH.pack(len(header) + data.nbytes), header, data]
    head = _HEAD.pack(code, len(arrays), unchanged, elapsed)
    size = 4 + len(head) + sum(len(part) for part in body)  # (bytes, or memoryviews of bytes)
    return [_FRAME.pack(size, 0), head, *body], 4 + size


def decode(payload: memoryview) -> tuple[Any, int, float | None]:
    """(value, inputs left unchanged, elapsed) of a compact payload (after its
    header length of 0); elapsed is None unless a finite non-negative number."""
    if len(payload) < _HEAD.size:
        raise protocol.ProtocolError("truncated compact reply")
    code, count, unchanged, elapsed = _HEAD.unpack_from(payload)
    offset = _HEAD.size
    if code in (INT, FLOAT):
        number = _INT if code == INT else _FLOAT
        if count != 0 or len(payload) != offset + number.size:
            raise protocol.ProtocolError("malformed compact number")
        value = number.unpack_from(payload, offset)[0]
    elif code in (ARRAY, ARRAYS):
        if count == 0 or (code == ARRAY and count != 1):
            raise protocol.ProtocolError("malformed compact arrays")
        arrays = []
        for _ in range(count):
            if offset + _LENGTH.size > len(payload):
                raise protocol.ProtocolError("truncated compact reply")
            (length,) = _LENGTH.unpack_from(payload, offset)
            offset += _LENGTH.size
            if offset + length > len(payload):
                raise protocol.ProtocolError("truncated compact reply")
            arrays.append(protocol.load_npy(payload[offset:offset + length]))
            offset += length
        if offset != len(payload):
            raise protocol.ProtocolError("bytes after a compact reply")
        value = arrays[0] if code == ARRAY else tuple(arrays)
    else:
        raise protocol.ProtocolError("unknown compact reply")
    return value, unchanged, elapsed if 0 <= elapsed < float("inf") else None

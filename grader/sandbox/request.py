"""Requests: what the trusted parent sends the child (module code, call inputs).

Only the parent writes these and only the child reads them, so they use the
cheapest exact format there is: the frame header is marshalled (exact floats,
NaN, tuples and bools as themselves, read in one C call) and arrays cross as
raw C-ordered bytes, with their dtype and shape in the header. The other
direction, which the parent must read with suspicion, is ``protocol``'s JSON
and ``.npy``: the parent never unmarshals anything.

A frame has ``protocol``'s layout: a 4-byte big-endian length, the header's
length, the header, then the blobs it refers to.

This module is imported by the child runner: standard library and numpy only.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

_LEN = struct.Struct(">I")
# Version 2 shares no objects: two calls' equal inputs never become one object
# that the first call could modify under the second.
MARSHAL_VERSION = 2
# Bytecode crosses only between interpreters that agree on its format.
BYTECODE_MAGIC = importlib.util.MAGIC_NUMBER.hex()

# Kinds of input node: (PLAIN, value) | (ARRAY, blob, dtype, shape) | (SCALAR, dtype, bytes)
# | (TUPLE | LIST, nodes).
PLAIN, ARRAY, SCALAR, TUPLE, LIST = range(5)


@dataclass(frozen=True)
class EncodedCall:
    """A call's inputs in wire form, made once and sent to many children."""

    args: tuple
    kwargs: dict
    watch: tuple[int, ...]
    blobs: tuple


def encode_call(args: list, kwargs: dict, watch: list[int]) -> EncodedCall:
    blobs: list = []
    return EncodedCall(
        args=tuple(encode_input(value, blobs) for value in args),
        kwargs={name: encode_input(value, blobs) for name, value in kwargs.items()},
        watch=tuple(watch), blobs=tuple(blobs),
    )


def encode_input(value: Any, blobs: list) -> tuple:
    """An input (the parent's own value, from a case) as a node; array data goes to ``blobs``."""
    if isinstance(value, np.ndarray):
        array = np.asarray(value)
        blobs.append(array.tobytes(order="C"))
        return (ARRAY, len(blobs) - 1, array.dtype.str, array.shape)
    if isinstance(value, np.generic):
        return (SCALAR, value.dtype.str, value.tobytes())
    if type(value) in (tuple, list) and any(_holds_numpy(item) for item in value):
        return (TUPLE if type(value) is tuple else LIST, tuple(encode_input(item, blobs) for item in value))
    marshal.dumps(value, MARSHAL_VERSION)  # plain data only: anything else raises ValueError here
    return (PLAIN, value)


def _holds_numpy(value: Any) -> bool:
    if isinstance(value, (np.ndarray, np.generic)):
        return True
    return type(value) in (tuple, list) and any(_holds_numpy(item) for item in value)


def calls_message(calls: list[tuple[str, EncodedCall]]) -> tuple[dict, list]:
    """One ``calls`` request: (function, args, kwargs, watch, base) per call;
    each call's blob numbers count from its ``base``."""
    requests, blobs = [], []
    for function, encoded in calls:
        requests.append((function, encoded.args, encoded.kwargs, encoded.watch, len(blobs)))
        blobs.extend(encoded.blobs)
    return {"kind": "calls", "calls": requests}, blobs


_FRAMES: dict[tuple, tuple[list, list]] = {}  # calls frames already built, with the calls they pin


def calls_frame(calls: list[tuple[str, EncodedCall]]) -> list:
    """The frame of a ``calls`` request, as segments for writev. A plan sends
    the same batches to every submission: each is built once."""
    key = tuple((function, id(encoded)) for function, encoded in calls)
    cached = _FRAMES.get(key)
    if cached is None:
        # The entry keeps the calls alive, so no other object can take their ids.
        cached = (frame(*calls_message(calls)), [encoded for _, encoded in calls])
        if len(_FRAMES) >= 64:
            _FRAMES.pop(next(iter(_FRAMES)))
        _FRAMES[key] = cached
    return cached[0]


def load_request(units: list[dict], filename: str, bytecode: list | None = None) -> tuple[dict, list]:
    """The ``load`` request. Each unit is compiled here (compiling runs
    nothing) and crosses as bytecode, which a fresh fork with cold caches
    loads faster than it compiles; the child compiles the source itself when
    its interpreter reads bytecode differently. ``bytecode``: the units'
    code already compiled (under ``filename``), where the caller has it."""
    units, blobs = [dict(unit) for unit in units], []
    for index, unit in enumerate(units):
        code = (bytecode[index] if bytecode and index < len(bytecode) else None) or compiled(
            unit["source"], unit.get("line_offset", 0), filename)
        if code is not None:
            unit["code"] = len(blobs)
            blobs.append(code)
    return {"kind": "load", "units": units, "filename": filename, "magic": BYTECODE_MAGIC}, blobs


def compiled(source: str, line_offset: int, filename: str) -> bytes | None:
    """A module unit as marshalled bytecode, exactly as the child would compile
    it (line numbers kept by padding); None when it does not compile."""
    try:
        code = compile("\n" * line_offset + source, filename, "exec", dont_inherit=True, optimize=0)
        return marshal.dumps(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def frame(header: dict, blobs) -> list:
    """A request frame as segments for writev (the blobs are not copied)."""
    sizes = [len(blob) for blob in blobs]
    head = marshal.dumps(dict(header, blobs=sizes), MARSHAL_VERSION)
    total = _LEN.size + len(head) + sum(sizes)
    return [_LEN.pack(total) + _LEN.pack(len(head)), head, *blobs]


# ------------------------------------------------------------------ the child


def read(fd: int) -> tuple[dict, list[memoryview]]:
    """The next request (child side): its header and its blobs, as views of
    one buffer; EOFError when the parent is gone."""
    prefix = bytearray(_LEN.size)
    _read_into(fd, memoryview(prefix))
    (size,) = _LEN.unpack(prefix)
    payload = memoryview(bytearray(size))
    _read_into(fd, payload)
    (head_size,) = _LEN.unpack_from(payload)
    start = _LEN.size + head_size
    header = marshal.loads(payload[_LEN.size:start])
    blobs = []
    for blob_size in header["blobs"]:
        blobs.append(payload[start:start + blob_size])
        start += blob_size
    return header, blobs


def _read_into(fd: int, buffer: memoryview) -> None:
    while len(buffer):
        count = os.readv(fd, [buffer])
        if not count:
            raise EOFError("channel closed")
        buffer = buffer[count:]


_DTYPES: dict[str, np.dtype] = {}


def decode_input(node: tuple, blobs: list, base: int) -> Any:
    """An input rebuilt in the child: arrays are writable views of the request's
    own bytes (each call's inputs are its own)."""
    kind = node[0]
    if kind == PLAIN:
        return node[1]
    if kind == ARRAY:
        return np.ndarray(node[3], _dtype(node[2]), buffer=blobs[base + node[1]])
    if kind == SCALAR:
        return np.frombuffer(node[2], _dtype(node[1]))[0]
    items = [decode_input(item, blobs, base) for item in node[1]]
    return tuple(items) if kind == TUPLE else items


def _dtype(text: str) -> np.dtype:
    dtype = _DTYPES.get(text)
    if dtype is None:
        dtype = _DTYPES[text] = np.dtype(text)
    return dtype

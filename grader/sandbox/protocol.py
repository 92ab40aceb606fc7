"""The wire format of what the child that runs student code sends back (replies).

A message is one frame: a 4-byte big-endian length, then a payload made of a
JSON header and the binary blobs it refers to. Values travel as a small tagged
tree of plain data; arrays travel as ``.npy`` bytes that are always read back
with ``allow_pickle=False``. Nothing here ever unpickles, imports or calls
anything that came over the wire. (What the parent sends the child is in
``request``.)

This module is imported by the child runner, so it may import only the standard
library and numpy.
"""

from __future__ import annotations

import json
import json.scanner
import os
import struct
from typing import Any

import numpy as np

if __package__:
    from . import npy
else:  # inside the sandbox, staged beside the runner
    import npy  # type: ignore[no-redef]

ARRAY_KINDS = npy.ARRAY_KINDS
npy_header = npy.npy_header

MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 16
MAX_ITEMS = 10_000
MAX_STR = 10_000
MAX_INT_DIGITS = 4_000
PIPE_BYTES = 1 << 20
MAX_HEADER_BYTES = 1 << 20  # a reply's JSON header; values beyond it travel as blobs

_LEN = struct.Struct(">I")
# One encoder for every frame (json.dumps with options builds a new one per call),
# and the decoder's scanner, called directly: a header is one JSON object, nothing around it.
_JSON = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False)
_SCAN_JSON = json.scanner.make_scanner(json.JSONDecoder())


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


def load_npy(data) -> np.ndarray:
    """An array from ``.npy`` bytes (see :mod:`npy`); anything else is a ProtocolError."""
    try:
        return npy.load_npy(data)
    except npy.NpyError as error:
        raise ProtocolError(str(error)) from error


class HeaderTooLarge(ProtocolError):
    """A value whose plain-data tree is too large to send (a huge nested list)."""


UNCHANGED_NODE = {"t": "unchanged"}  # a watched input the call left as it was


class Unchanged:
    """A watched input the child reports it did not modify."""

    __repr__ = lambda self: "<unchanged>"  # noqa: E731


UNCHANGED = Unchanged()


class Unsupported:
    """A value the child could not express as plain data (only its type name crossed)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<unsupported {self.type_name}>"


# --------------------------------------------------------------------- encoding


def encode_value(value: Any, blobs: list[bytes], depth: int = 0) -> dict:
    """Turn a value into a JSON-able tree, appending array payloads to ``blobs``.

    Runs in the child on values produced by student code: a subclass of a
    built-in type is read as the built-in's value, with the built-in's own
    methods (none of the subclass's code runs while encoding).
    """
    kind = type(value)
    if kind is np.ndarray and depth <= MAX_DEPTH:  # the usual answer, first
        return _encode_array(value, blobs, "ndarray", kind)
    if depth > MAX_DEPTH:
        return {"t": "unsupported", "type": "nesting too deep"}
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        text = _int_text(value)
        return {"t": "int", "v": text} if text is not None else {"t": "unsupported", "type": "int (too large)"}
    if kind is float:
        return {"t": "float", "v": repr(value)}
    if kind is str:
        return {"t": "str", "v": value[:MAX_STR], "truncated": len(value) > MAX_STR}
    if kind in (tuple, list):
        if len(value) > MAX_ITEMS:
            return {"t": "unsupported", "type": f"{kind.__name__} of {len(value)} items"}
        return {"t": kind.__name__, "items": [encode_value(item, blobs, depth + 1) for item in value]}
    if isinstance(value, np.ndarray):
        return _encode_array(np.asarray(value), blobs, "ndarray", kind)
    if isinstance(value, np.generic):
        return _encode_array(np.asarray(value), blobs, "npscalar", kind)
    plain = _plain_builtin(value)
    if plain is not None:
        return encode_value(plain, blobs, depth)
    return {"t": "unsupported", "type": type_name(kind)}


def _plain_builtin(value: Any) -> Any:
    """A subclass of a plain built-in type (a namedtuple, an IntEnum) as that
    type's own value, read with the built-in's methods only (none of the
    subclass's code runs); None for anything else. The type is the object's
    real one, not what its ``__class__`` claims."""
    kind = type(value)
    try:
        for base in (tuple, list):
            if issubclass(kind, base):
                size = base.__len__(value)
                return base(base.__getitem__(value, index) for index in range(size)) if size <= MAX_ITEMS else None
        for base, read in ((int, int.__index__), (float, float.__float__), (str, str.__str__)):
            if issubclass(kind, base) and kind is not bool:
                plain = read(value)
                return plain if type(plain) is base else None
    except Exception:  # noqa: BLE001 - a type that claims a built-in base it does not have
        return None
    return None


_SENDABLE: set[np.dtype] = set()  # dtypes already found plain (numbers, fixed-width text)


def _encode_array(array: np.ndarray, blobs: list, tag: str, kind: type) -> dict:
    if not _sendable(array.dtype):
        return {"t": "unsupported", "type": f"{type_name(kind)} of dtype {array.dtype}"}
    # A plain C-ordered array: a subclass or a strided view never crosses as itself.
    if kind is np.ndarray and array.flags.c_contiguous:
        plain = array
    else:
        plain = np.array(array, copy=True, subok=False, order="C")
    blobs.append(_npy_parts(plain))
    node = {"t": tag, "blob": len(blobs) - 1}
    if kind is not np.ndarray and tag == "ndarray":
        node["subclass"] = type_name(kind)
    return node


def plain_array_parts(array: np.ndarray) -> tuple[bytes, Any] | None:
    """A plain, C-ordered ndarray of a sendable dtype as (.npy header, data),
    without copying it; None for any other array."""
    if type(array) is not np.ndarray or not array.flags.c_contiguous or not _sendable(array.dtype):
        return None
    return _npy_parts(array)


def _sendable(dtype: np.dtype) -> bool:
    if dtype not in _SENDABLE:
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in ARRAY_KINDS:
            return False
        if len(_SENDABLE) < 256:
            _SENDABLE.add(dtype)
    return True


def _npy_parts(plain: np.ndarray) -> tuple[bytes, Any]:
    try:
        data = memoryview(plain).cast("B")
    except (TypeError, ValueError):  # dtypes memoryview cannot express
        data = memoryview(plain.tobytes())
    return npy_header(plain.dtype, plain.shape), data


def _int_text(value: int) -> str | None:
    """Decimal text of an int, or None past MAX_INT_DIGITS digits (the decoder's limit)."""
    if value.bit_length() > MAX_INT_DIGITS * 3.33:
        return None
    try:
        text = str(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits allows
        return None
    return text if len(text.lstrip("-")) <= MAX_INT_DIGITS else None


def type_name(kind: type) -> str:
    try:
        module = type.__getattribute__(kind, "__module__")
        name = type.__getattribute__(kind, "__qualname__")
    except Exception:
        return "object"
    if not isinstance(module, str) or not isinstance(name, str):
        return "object"
    text = name if module == "builtins" else f"{module}.{name}"
    return text[:200]


# --------------------------------------------------------------------- decoding


def decode_value(node: Any, blobs: list[bytes], depth: int = 0) -> Any:
    """Rebuild a value from its tree. Only plain data comes out of here."""
    if type(node) is not dict or depth > MAX_DEPTH + 1:
        raise ProtocolError("malformed value")
    decoder = _DECODERS.get(node.get("t"))
    if decoder is None:
        raise ProtocolError(f"unknown value tag {str(node.get('t'))[:20]!r}")
    return decoder(node, blobs, depth)


def _decode_array(node: dict, blobs: list, depth: int) -> np.ndarray:
    index = node.get("blob")
    if type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError("blob index out of range")
    return load_npy(blobs[index])


def _decode_scalar(node: dict, blobs: list, depth: int) -> Any:
    array = _decode_array(node, blobs, depth)
    if array.ndim != 0:
        raise ProtocolError("numpy scalar with a shape")
    return array[()]


def _decode_int(node: dict, blobs: list, depth: int) -> int:
    text = _typed(node.get("v"), str)
    if len(text) > MAX_INT_DIGITS and len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ProtocolError("integer too long")
    try:
        return int(text)
    except ValueError as error:
        raise ProtocolError("malformed integer") from error


def _decode_float(node: dict, blobs: list, depth: int) -> float:
    text = _typed(node.get("v"), str)
    try:
        return float(text)
    except ValueError as error:
        raise ProtocolError("malformed float") from error


def _decode_items(node: dict, blobs: list, depth: int) -> list:
    items = _typed(node.get("items"), list)
    if len(items) > MAX_ITEMS:
        raise ProtocolError("too many items")
    return [decode_value(item, blobs, depth + 1) for item in items]


_DECODERS = {
    "ndarray": _decode_array,
    "npscalar": _decode_scalar,
    "int": _decode_int,
    "float": _decode_float,
    "tuple": lambda node, blobs, depth: tuple(_decode_items(node, blobs, depth)),
    "list": _decode_items,
    "none": lambda node, blobs, depth: None,
    "bool": lambda node, blobs, depth: _typed(node.get("v"), bool),
    "str": lambda node, blobs, depth: _typed(node.get("v"), str)[:MAX_STR],
    "unsupported": lambda node, blobs, depth: Unsupported(_typed(node.get("type", "object"), str)[:200]),
}


class SingleUse:
    """A reply's blobs, each to be read once. The child writes one blob per
    array node; a tree pointing many nodes at one large blob would make the
    parent copy it once per node (a 4 MiB reply becoming GiBs)."""

    def __init__(self, blobs: list) -> None:
        self._blobs, self._used = blobs, set()

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, index: int):
        if index in self._used:
            raise ProtocolError("a blob is referred to twice")
        self._used.add(index)
        return self._blobs[index]


def _typed(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise ProtocolError(f"expected {kind.__name__} in message")
    return value


# ----------------------------------------------------------------------- frames


def _framed(header: dict, blobs, max_header: int) -> tuple[list, int]:
    """A frame's parts (length, header, blob parts) and its size in bytes."""
    parts: list = [b"", b""]
    sizes = []
    for blob in blobs:
        size = 0
        for part in (blob if type(blob) is tuple else (blob,)):
            size += memoryview(part).nbytes
            parts.append(part)
        sizes.append(size)
    if sizes:
        header["blobs"] = sizes
    else:
        header.pop("blobs", None)  # (a header sent again without its blobs)
    head = _JSON.encode(header).encode()
    if len(head) > max_header:
        raise HeaderTooLarge("message header too large")
    total = _LEN.size + len(head) + sum(sizes)
    if total > MAX_FRAME_BYTES:
        raise ProtocolError("message too large")
    parts[0], parts[1] = _LEN.pack(total) + _LEN.pack(len(head)), head
    return parts, total + _LEN.size


def blob_bytes(blob) -> bytes:
    """A blob as one bytes object (blobs made by ``encode_value`` may be in parts)."""
    return b"".join(bytes(part) for part in blob) if isinstance(blob, tuple) else bytes(blob)


def pack(header: dict, blobs=()) -> bytes:
    """One frame as bytes: length, header length, JSON header, blobs."""
    return b"".join(bytes(part) for part in _framed(header, blobs, MAX_FRAME_BYTES)[0])


def unpack(payload, max_header: int = MAX_FRAME_BYTES) -> tuple[dict, list[memoryview]]:
    """A frame's payload (without its length) -> header and blob views (no copies).

    The parent passes ``max_header`` for what the child sends: JSON costs many
    times its size once parsed, so a reply's header is capped before parsing."""
    payload = memoryview(payload).cast("B")
    if len(payload) < _LEN.size:
        raise ProtocolError("truncated message")
    (head_len,) = _LEN.unpack_from(payload)
    head_end = _LEN.size + head_len
    if head_end > len(payload):
        raise ProtocolError("truncated header")
    if head_len > max_header:
        raise ProtocolError("message header too large")
    try:
        text = str(payload[_LEN.size:head_end], "utf-8")
        header, end = _SCAN_JSON(text, 0)
    except (ValueError, UnicodeDecodeError, StopIteration) as error:
        raise ProtocolError("header is not JSON") from error
    except RecursionError as error:  # nesting deeper than any value we send
        raise ProtocolError("header nested too deeply") from error
    if end != len(text):
        raise ProtocolError("header is not JSON")
    if type(header) is not dict:
        raise ProtocolError("header is not an object")
    sizes = header.get("blobs")
    if sizes is None:
        if head_end != len(payload):
            raise ProtocolError("blob sizes do not match the message")
        return header, []
    if type(sizes) is not list:
        raise ProtocolError("malformed blob table")
    blobs, offset = [], head_end
    for size in sizes:
        if type(size) is not int or size < 0:
            raise ProtocolError("malformed blob table")
        blobs.append(payload[offset:offset + size])
        offset += size
    if offset != len(payload):
        raise ProtocolError("blob sizes do not match the message")
    return header, blobs


def write_message(fd: int, header: dict, blobs=(), max_header: int = MAX_FRAME_BYTES) -> None:
    """Write one frame with writev: array data goes from its own memory to the pipe."""
    write_parts(fd, *_framed(header, blobs, max_header))


def write_parts(fd: int, parts: list, size: int) -> None:
    """Write ``size`` bytes made of ``parts`` (a frame), whatever writev takes at a time."""
    written = os.writev(fd, parts[:1024])
    if written == size:
        return
    pending = [part for part in (memoryview(part).cast("B") for part in parts) if len(part)]
    drop_written(pending, written)
    while pending:
        drop_written(pending, os.writev(fd, pending[:1024]))


def drop_written(pending: list[memoryview], written: int) -> None:
    """Remove what a writev of ``pending`` wrote from its front."""
    while written:
        if written >= len(pending[0]):
            written -= len(pending.pop(0))
        else:
            pending[0] = pending[0][written:]
            written = 0


def widen_pipe(fd: int) -> None:
    """A larger pipe buffer means fewer round trips through the scheduler."""
    try:
        import fcntl

        fcntl.fcntl(fd, 1031, PIPE_BYTES)  # F_SETPIPE_SZ
    except OSError:
        pass

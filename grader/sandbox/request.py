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

import __future__
import array
import fcntl
import importlib.util
import marshal
import os
import socket
import struct
import types
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

if __package__:
    from . import mapping, protocol
else:  # imported by the runner inside the sandbox, as a plain module
    import mapping  # type: ignore[no-redef]
    import protocol  # type: ignore[no-redef]

_LEN = struct.Struct(">I")
# Version 2 shares no objects: two calls' equal inputs never become one object
# that the first call could modify under the second.
MARSHAL_VERSION = 2
CHANNEL_BYTES = 1 << 20  # fewer round trips for requests sent inline
ALIGN = 64  # where each blob of a request starts, from the payload's start
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
    # The largest reply the parent reads for this call (the child never sees
    # it): a reply is allocated and read in the grader's own process.
    reply_bytes: int = protocol.MAX_FRAME_BYTES


def encode_call(args: list, kwargs: dict, watch: list[int], reply_bytes: int = protocol.MAX_FRAME_BYTES) -> EncodedCall:
    blobs: list = []
    return EncodedCall(
        args=tuple(encode_input(value, blobs) for value in args),
        kwargs={name: encode_input(value, blobs) for name, value in kwargs.items()},
        watch=tuple(watch), blobs=tuple(blobs), reply_bytes=min(reply_bytes, protocol.MAX_FRAME_BYTES),
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
        requests.append(_order(function, encoded, len(blobs)))
        blobs.extend(encoded.blobs)
    return {"kind": "calls", "calls": requests}, blobs


def _order(function: str, encoded: EncodedCall, base: int) -> tuple:
    return function, encoded.args, encoded.kwargs, encoded.watch, base


class Frame(NamedTuple):
    """A request ready to send: segments for writev, and file descriptors to
    pass with its first bytes (a sealed memory file holding its blobs)."""

    parts: list
    fds: tuple[int, ...] = ()
    owner: Any = None  # keeps ``fds`` open while the frame is in use


class _MemoryFile:
    """A file descriptor closed when nothing refers to it any more: a frame
    dropped from the cache while another thread sends it keeps its file (a
    closed number could be reused by anything, and sent into the sandbox)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __del__(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


@dataclass
class _Batch:
    """A batch's frame, kept for every submission a plan grades."""

    frame: Frame
    reader: Any
    calls: list  # pinned: no other object can take their ids
    bases: dict[int, int]  # id of each call's inputs -> its first blob number
    sizes: list[int]


_FRAMES: dict[tuple, _Batch] = {}  # calls frames already built
_HOLDERS: dict[tuple, _Batch] = {}  # (reader, id of a call's inputs) -> the cached batch whose file holds them
_CACHED_FRAMES = 64


def calls_frame(calls: list[tuple[str, EncodedCall]], reader: Any = None) -> Frame:
    """The frame of a ``calls`` request. A plan sends the same batches to every
    submission: each is built once, its inputs written once to a sealed
    memory file that every child maps privately instead of receiving a copy.
    Part of a cached batch (the cases left after a crash) is sent with that
    batch's file, not a new copy of its inputs.

    ``reader`` names who reads the file (one sandbox): each gets a file of
    its own, so children graded at the same time in different sandboxes never
    map the same pages (which pages another maps would tell them what it does)."""
    key = (reader, *((function, id(encoded)) for function, encoded in calls))
    cached = _FRAMES.get(key)
    if cached is not None:
        return cached.frame
    holder = _HOLDERS.get((reader, id(calls[0][1]))) if calls else None
    if holder is not None and holder.frame.fds and all(
            _HOLDERS.get((reader, id(encoded))) is holder for _, encoded in calls):
        header = {"kind": "calls", "calls": [_order(function, encoded, holder.bases[id(encoded)])
                                             for function, encoded in calls]}
        return _framed(header, holder.sizes, [], holder.frame.fds, holder.frame.owner)
    header, blobs = calls_message(calls)
    batch = _Batch(frame(header, blobs, shared=True), reader, [encoded for _, encoded in calls],
                   {id(encoded): order[4] for (_, encoded), order in zip(calls, header["calls"])},
                   [len(blob) for blob in blobs])
    if len(_FRAMES) >= _CACHED_FRAMES:
        dropped = _FRAMES.pop(next(iter(_FRAMES)))  # its file closes once no frame uses it
        for encoded in dropped.calls:
            if _HOLDERS.get((dropped.reader, id(encoded))) is dropped:
                del _HOLDERS[(dropped.reader, id(encoded))]
    _FRAMES[key] = batch
    for encoded in batch.calls:
        _HOLDERS[(reader, id(encoded))] = batch
    return batch.frame


# The __future__ features that still change how code compiles. Like IPython,
# a file's pieces and a notebook's cells after the one importing such a
# feature are compiled with it (a postponed annotation in a later cell stays a string).
FUTURE_FLAGS = __future__.annotations.compiler_flag | __future__.barry_as_FLUFL.compiler_flag


def future_flags(code: types.CodeType) -> int:
    """The future features in effect in ``code`` (imported there, or passed in)."""
    return code.co_flags & FUTURE_FLAGS


def load_request(units: list[dict], filename: str, bytecode: list | None = None) -> tuple[dict, list]:
    """The ``load`` request. Each unit is compiled here (compiling runs
    nothing) and crosses as bytecode, which a fresh fork with cold caches
    loads faster than it compiles; the child compiles the source itself when
    its interpreter reads bytecode differently. ``bytecode``: the units'
    code already compiled (under ``filename``), where the caller has it."""
    units, blobs = [dict(unit) for unit in units], []
    for index, unit in enumerate(units):
        code = (bytecode[index] if bytecode and index < len(bytecode) else None) or compiled(
            unit["source"], unit.get("line_offset", 0), filename, unit.get("flags", 0))
        if code is not None:
            unit["code"] = len(blobs)
            blobs.append(code)
    return {"kind": "load", "units": units, "filename": filename, "magic": BYTECODE_MAGIC}, blobs


def compiled(source: str, line_offset: int, filename: str, flags: int = 0) -> bytes | None:
    """A module unit as marshalled bytecode, its line numbers those of the
    student's file; None when it does not compile."""
    try:
        return marshal.dumps(compile_at(source, line_offset, filename, flags))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def compile_at(source: str, line_offset: int, filename: str, flags: int = 0) -> types.CodeType:
    """``source`` compiled as if it began ``line_offset`` lines into the file,
    with the future features ``flags`` (see FUTURE_FLAGS). The code is moved
    there afterwards rather than compiled behind that many blank lines: a file
    of many pieces (a syntax error splits it) would otherwise cost time in the
    square of its length."""
    code = compile(source, filename, "exec", flags=flags & FUTURE_FLAGS, dont_inherit=True, optimize=0)
    return _moved(code, line_offset) if line_offset else code


def _moved(code: types.CodeType, lines: int) -> types.CodeType:
    constants = tuple(_moved(item, lines) if isinstance(item, types.CodeType) else item for item in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=constants)


def frame(header: dict, blobs, shared: bool = False) -> Frame:
    """A request frame (the blobs are not copied). Each blob starts a multiple
    of ALIGN bytes from where blobs are kept: numpy works on misaligned arrays
    too, but slower. With ``shared``, and where the system has memory files,
    the blobs are kept in a sealed one instead of the frame."""
    sizes = [len(blob) for blob in blobs]
    memory = _sealed_memory_file(blobs) if shared and blobs and hasattr(os, "memfd_create") else None
    if memory is None:
        return _framed(header, sizes, blobs)
    return _framed(header, sizes, [], (memory,), _MemoryFile(memory))


def _framed(header: dict, sizes: list[int], inline: list, fds: tuple = (), owner: Any = None) -> Frame:
    """Header and inline blobs as a frame; with ``fds``, the blobs are in the memory file sent along."""
    head = marshal.dumps(dict(header, blobs=sizes, shared=bool(fds)), MARSHAL_VERSION)
    parts: list = [b"", head] + _aligned(inline, _LEN.size + len(head))
    size = _LEN.size + sum(len(part) for part in parts[1:])
    parts[0] = _LEN.pack(size) + _LEN.pack(len(head))
    return Frame([part for part in parts if len(part)], fds, owner)


def _aligned(blobs, offset: int) -> list:
    """The blobs with the padding that starts each at a multiple of ALIGN (counting from ``offset``)."""
    parts = []
    for blob in blobs:
        if -offset % ALIGN:
            parts.append(bytes(-offset % ALIGN))
            offset += -offset % ALIGN
        parts.append(blob)
        offset += len(blob)
    return parts


def _sealed_memory_file(blobs) -> int:
    """A memory file holding the blobs, sealed: no one, the child included,
    can change, grow or shrink it any more; a child maps it privately."""
    fd = os.memfd_create("grader-inputs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        for part in _aligned(blobs, 0):
            view = memoryview(part)
            while len(view):
                view = view[os.write(fd, view):]
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    except BaseException:
        os.close(fd)
        raise
    return fd


# ------------------------------------------------------------------ the child


def channel() -> tuple[int, int]:
    """(child's end, parent's end) of the request channel: a Unix socket, so a
    memory file can travel with a request."""
    child_end, parent_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    for end in (child_end, parent_end):
        try:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHANNEL_BYTES)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHANNEL_BYTES)
        except OSError:
            pass
    return child_end.detach(), parent_end.detach()


class Received(NamedTuple):
    """A request as the child reads it."""

    header: dict
    blobs: list  # memoryviews, writable: the inputs are the child's own copy
    pages: "mapping.WrittenPages | None" = None  # for inputs mapped from a memory file


def read(fd: int) -> Received:
    """The next request (child side): its header and its blobs, as views of
    one buffer; EOFError when the parent is gone."""
    prefix = memoryview(bytearray(_LEN.size))
    fds = _read_into(fd, prefix, with_fds=True)
    pages = None
    try:
        (size,) = _LEN.unpack(prefix)
        buffer = bytearray(size + ALIGN)
        payload = _aligned_view(buffer, size)
        _read_into(fd, payload)
        (head_size,) = _LEN.unpack_from(payload)
        start = _LEN.size + head_size
        header = marshal.loads(payload[_LEN.size:start])
        if header.get("shared") and fds:
            (payload, pages), start = mapping.map_inputs(fds[0], header["blobs"], ALIGN), 0
    finally:
        for passed in fds:
            os.close(passed)
    blobs = []
    for blob_size in header["blobs"]:
        start += -start % ALIGN
        blobs.append(payload[start:start + blob_size])
        start += blob_size
    return Received(header, blobs, pages)


def _aligned_view(buffer: bytearray, size: int) -> memoryview:
    shift = -np.frombuffer(buffer, np.uint8).ctypes.data % ALIGN
    return memoryview(buffer)[shift:shift + size]


def _read_into(fd: int, buffer: memoryview, with_fds: bool = False) -> list[int]:
    """Fill ``buffer`` from ``fd``; with ``with_fds``, also take the file
    descriptors sent with those bytes (fd must then be a socket)."""
    fds: list[int] = []
    while len(buffer):
        if with_fds and not fds:
            count, received = _receive_with_fds(fd, buffer)
            fds += received
        else:
            count = os.readv(fd, [buffer])
        if not count:
            for passed in fds:
                os.close(passed)
            raise EOFError("channel closed")
        buffer = buffer[count:]
    return fds


def _receive_with_fds(fd: int, buffer: memoryview) -> tuple[int, list[int]]:
    sock = socket.socket(fileno=fd)
    try:
        count, ancillary, _flags, _address = sock.recvmsg_into([buffer], socket.CMSG_SPACE(4 * 4))
    finally:
        sock.detach()
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += array.array("i", data[:len(data) - len(data) % 4])
    return count, fds


_DTYPES: dict[str, np.dtype] = {}


def decode_input(node: tuple, blobs: list, base: int) -> Any:
    """An input rebuilt in the child: arrays are views of the request's bytes
    (the child's own copy)."""
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

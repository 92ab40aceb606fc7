"""Talking to a child that runs student code, whatever isolates it.

The sandbox knows nothing about exercises. A session sends the child module
source and call inputs, and hands back plain-data results. Time limits are
enforced here, by the parent: a child that does not answer in time is killed
with its whole process tree.
"""

from __future__ import annotations

import os
import selectors
import signal
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import protocol

_LEN = struct.Struct(">I")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child (a whole submission's run)."""

    memory_mb: int = 512  # address space, numpy's own ~150 MiB included
    cpu_seconds: int = 120
    file_size_mb: int = 8
    open_files: int = 64
    processes: int = 16  # processes and threads, per sandbox user
    output_kb: int = 1024  # printed output per call beyond this is an output-limit error
    scratch_mb: int = 32  # the private /tmp
    load_seconds: float = 10.0

    def rlimits(self) -> dict[str, int]:
        return {
            "RLIMIT_AS": self.memory_mb * 1024 * 1024,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_FSIZE": self.file_size_mb * 1024 * 1024,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }


@dataclass
class Outcome:
    """What happened to one request: the only thing the sandbox reports."""

    kind: str  # returned | raised | missing | loaded | timeout | crashed | output_limit | protocol_error
    value: Any = None
    watched: list[Any] = field(default_factory=list)
    exception: dict | None = None
    errors: list[dict] = field(default_factory=list)
    output: str = ""
    output_truncated: bool = False
    seconds: float = 0.0
    detail: str = ""




class ChildProcess(Protocol):
    """How a backend controls the process it started for a session."""

    def kill(self) -> None:
        """Kill the child and all its descendants; idempotent."""

    def exit_status(self) -> tuple[int | None, int | None]:
        """(exit code, signal) of the child once it has stopped."""

    def cleanup(self) -> None:
        """Release what the backend holds for this child."""


class ChildSession:
    """A conversation with one child holding one loaded submission.

    Backend independent: the backend starts the child, hands over the two pipe
    ends and a :class:`ChildProcess` that can kill the child's whole tree.
    """

    def __init__(self, to_child: int, from_child: int, process: "ChildProcess", limits: Limits) -> None:
        self._to_child = to_child
        self._from_child = from_child
        self.process = process
        self.limits = limits
        self._buffer = bytearray()
        self.alive = True

    # ----------------------------------------------------------------- requests

    def load(self, units: list[dict], filename: str) -> Outcome:
        return self._request({"kind": "load", "units": units, "filename": filename}, [],
                             self.limits.load_seconds)

    def call(self, function: str, args: list, kwargs: dict, watch: list[int], seconds: float) -> Outcome:
        blobs: list[bytes] = []
        header = {
            "kind": "call",
            "function": function,
            "args": [protocol.encode_value(value, blobs) for value in args],
            "kwargs": {name: protocol.encode_value(value, blobs) for name, value in kwargs.items()},
            "watch": watch,
        }
        return self._request(header, blobs, seconds)

    def _request(self, header: dict, blobs: list[bytes], seconds: float) -> Outcome:
        if not self.alive:
            return Outcome("crashed", detail="the child had already stopped")
        started = time.perf_counter()
        try:
            protocol.write_message(self._to_child, header, blobs)
        except (BrokenPipeError, OSError):
            return self._died(started)
        try:
            payload = self._read_frame(started + seconds)
        except TimeoutError:
            self.kill()
            return Outcome("timeout", seconds=time.perf_counter() - started)
        except EOFError:
            return self._died(started)
        except protocol.ProtocolError as error:
            self.kill()
            return Outcome("protocol_error", detail=str(error), seconds=time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        try:
            return self._decode(payload, elapsed)
        except (protocol.ProtocolError, KeyError, TypeError, ValueError) as error:
            self.kill()
            return Outcome("protocol_error", detail=str(error)[:200], seconds=elapsed)

    def _decode(self, payload: bytes, elapsed: float) -> Outcome:
        header, blobs = protocol.unpack(payload)
        kind = header.get("kind")
        output = header.get("output", "")
        common = {"output": output if isinstance(output, str) else "",
                  "output_truncated": header.get("output_truncated") is True, "seconds": elapsed}
        printed = header.get("output_bytes", 0)
        if type(printed) is int and printed > self.limits.output_kb * 1024:
            return Outcome("output_limit", detail=f"printed {printed // 1024} KiB", **common)
        if kind == "returned":
            watched = header["watched"]
            if type(watched) is not list:
                raise protocol.ProtocolError("malformed watch list")
            return Outcome("returned", value=protocol.decode_value(header["value"], blobs),
                           watched=[protocol.decode_value(node, blobs) for node in watched], **common)
        if kind == "raised":
            return Outcome("raised", exception=_clean_exception(header), **common)
        if kind == "missing":
            return Outcome("missing", **common)
        if kind == "loaded":
            errors = header["errors"]
            if type(errors) is not list:
                raise protocol.ProtocolError("malformed error list")
            return Outcome("loaded", errors=[_clean_exception(error) for error in errors], **common)
        if kind == "unsendable":
            return Outcome("protocol_error", detail="the returned value is too large to send", **common)
        raise protocol.ProtocolError("unknown reply")

    def _read_frame(self, deadline: float) -> bytes:
        with selectors.DefaultSelector() as selector:
            selector.register(self._from_child, selectors.EVENT_READ)
            while True:
                if len(self._buffer) >= _LEN.size:
                    (size,) = _LEN.unpack_from(self._buffer)
                    if size > protocol.MAX_FRAME_BYTES:
                        raise protocol.ProtocolError("message too large")
                    if len(self._buffer) >= _LEN.size + size:
                        frame = bytes(self._buffer[_LEN.size:_LEN.size + size])
                        del self._buffer[:_LEN.size + size]
                        if self._buffer:  # bytes nobody asked for
                            raise protocol.ProtocolError("unexpected extra bytes from the child")
                        return frame
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise TimeoutError
                if not selector.select(remaining):
                    continue
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise EOFError
                self._buffer += chunk

    def _died(self, started: float) -> Outcome:
        elapsed = time.perf_counter() - started
        self.kill()
        code, signal_number = self.process.exit_status()
        if signal_number is not None:
            if signal_number == signal.SIGXCPU:
                return Outcome("timeout", detail="CPU time limit", seconds=elapsed)
            if signal_number == signal.SIGXFSZ:
                return Outcome("output_limit", detail="file size limit", seconds=elapsed)
            try:
                name = signal.Signals(signal_number).name
            except ValueError:
                name = str(signal_number)
            return Outcome("crashed", detail=f"killed by signal {name}", seconds=elapsed)
        return Outcome("crashed", detail=f"exited with status {code}", seconds=elapsed)

    # ------------------------------------------------------------------ cleanup

    def kill(self) -> None:
        """Kill the child and everything it started (idempotent)."""
        self.alive = False
        self.process.kill()

    def close(self) -> None:
        self.kill()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process.cleanup()

    def __enter__(self) -> "ChildSession":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _clean_exception(node: Any) -> dict:
    """Keep only the plain fields we know, with their types checked."""
    if not isinstance(node, dict):
        raise protocol.ProtocolError("malformed exception")
    frames = [
        {"line": frame["line"], "function": str(frame.get("function", ""))[:100]}
        for frame in node.get("frames", [])[:16]
        if isinstance(frame, dict) and type(frame.get("line")) is int
    ]
    mro = node.get("mro", [])
    return {
        "exc_type": str(node.get("exc_type", "Exception"))[:200],
        "mro": [str(name)[:100] for name in mro[:32]] if isinstance(mro, list) else [],
        "category": str(node.get("category", "exception"))[:20],
        "message": str(node.get("message", ""))[:500],
        "frames": frames,
    }



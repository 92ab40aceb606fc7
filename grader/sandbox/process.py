"""Parent side of a child run: start the child, talk to it, enforce time from outside.

The sandbox knows nothing about exercises. It starts a child running
``runner.py`` under resource limits, sends it module source and call inputs,
and hands back plain-data results. Time limits are enforced here, by the
parent, by killing the child's whole process group.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import protocol

RUNNER = Path(__file__).with_name("runner.py")
_LEN = struct.Struct(">I")

# Variables a child may see: enough for numpy to behave, nothing of the grader's.
_PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 512
    cpu_seconds: int = 60
    file_size_mb: int = 16
    open_files: int = 64
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

    kind: str  # returned | raised | missing | loaded | timeout | crashed | protocol_error
    value: Any = None
    watched: list[Any] = field(default_factory=list)
    exception: dict | None = None
    errors: list[dict] = field(default_factory=list)
    output: str = ""
    output_truncated: bool = False
    seconds: float = 0.0
    detail: str = ""


class ChildSession:
    """One live child process holding one loaded submission."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.workdir = tempfile.mkdtemp(prefix="grader-run-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "HOME": self.workdir, "TMPDIR": self.workdir}
        env.update({name: os.environ[name] for name in _PASSED_ENV if name in os.environ})
        self.process = subprocess.Popen(
            [sys.executable, "-E", "-s", "-B", str(RUNNER), str(to_child_r), str(from_child_w),
             json.dumps(limits.rlimits())],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.workdir, env=env, start_new_session=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
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
        self.alive = False
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            if -code == signal.SIGXCPU:
                return Outcome("timeout", detail="CPU time limit", seconds=elapsed)
            return Outcome("crashed", detail=f"killed by signal {name}", seconds=elapsed)
        return Outcome("crashed", detail=f"exited with status {code}", seconds=elapsed)

    # ------------------------------------------------------------------ cleanup

    def kill(self) -> None:
        self.alive = False
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        self.kill()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

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


class ProcessSandbox:
    """Plain process isolation: a fresh child per submission, rlimits, outside timeouts.

    It is the portable backend (a student's laptop). Stronger backends offer the
    same ``session()`` method.
    """

    name = "process"

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def session(self) -> ChildSession:
        return ChildSession(self.limits)

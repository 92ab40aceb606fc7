"""Reading a student's file in a worker process of its own.

Decoding a file, parsing a notebook's JSON and compiling the code run none of
the student's code, yet a crafted file makes them take minutes or gigabytes
(a file of a million one-letter lines took 1.4 GiB to compile, 32 MiB of
``{}`` in a notebook's metadata 5.5 GiB to parse, 2 MiB of ``lambda:0`` half an
hour). So the grader reads students' files in separate, single-threaded
workers, one per file read at once, under an address-space limit, and waits
for each with a deadline: a file that breaks either is unreadable, and the
grader, with every submission in flight beside it, goes on. Workers are kept
for the next files; one that failed is replaced. Its answer is plain JSON (our
own code wrote it, from data the student chose).
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from .sandbox import procfs
from .sandbox.deadlines import starved_until
from .submission import Submission, SubmissionError, from_plain, read_bytes, submission_bytes, to_plain

READ_SECONDS = 10.0
READ_MEMORY_MB = 1024  # address space (about 100 MiB of it taken by the worker itself)
MAX_IDLE_WORKERS = 4
MAX_REPLY_BYTES = 64 << 20
# Bytecode over this is not sent (the sandbox compiles the source itself): 143 KB
# of distinct long string constants compile to 125 MiB of it.
MAX_BYTECODE_BYTES = 16 << 20
START_SECONDS = 30.0
_READY = b"ready\n"
_LEN = struct.Struct(">I")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


class ReaderUnavailable(RuntimeError):
    """No reading worker could be started here (not the file's fault)."""


class Reader:
    """Reading workers, one per file being read at once (a file that takes its
    whole deadline delays only its own grading), kept for the next files."""

    def __init__(self, seconds: float = READ_SECONDS, memory_mb: int = READ_MEMORY_MB,
                 command: list[str] | None = None) -> None:
        self.seconds, self.memory_mb = seconds, memory_mb
        self.command = command or [sys.executable, "-m", "grader.reader", str(memory_mb)]
        self._lock = threading.Lock()
        self._idle: list[subprocess.Popen] = []

    def read(self, path: Path) -> Submission:
        return self.read_bytes(submission_bytes(path), path.name)

    def read_bytes(self, data: bytes, name: str) -> Submission:
        request = json.dumps({"name": name}).encode()
        for fresh in (False, True):
            worker = self._take(fresh)
            try:
                try:
                    _write_all(worker.stdin.fileno(), _LEN.pack(len(request)) + request + _LEN.pack(len(data)))
                    _write_all(worker.stdin.fileno(), data)
                except OSError:  # an idle worker that died since its last file: one fresh start
                    _discard(worker)
                    if fresh:
                        raise ReaderUnavailable("the reading worker stopped before reading a file") from None
                    continue
                answer = self._answer(worker)
            except BaseException:
                _discard(worker)  # its answer, if any, must never be taken for the next file's
                raise
            if answer is None:
                _discard(worker)
                raise SubmissionError(
                    f"{name}: reading it needed more than {self.seconds:g} s or {self.memory_mb} MiB",
                    "read_limits", name=name, seconds=f"{self.seconds:g}", memory_mb=self.memory_mb)
            self._give_back(worker)
            break
        if "error" in answer:
            error = answer["error"]
            raise SubmissionError(error["text"], error.get("key", ""), **error.get("facts", {}))
        return from_plain(answer["submission"])

    def _take(self, fresh: bool) -> subprocess.Popen:
        with self._lock:
            while self._idle and not fresh:
                worker = self._idle.pop()
                if worker.poll() is None:
                    return worker
                _discard(worker)
        worker = subprocess.Popen(self.command, cwd=_PACKAGE_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        try:
            ready = _read_exactly(worker.stdout.fileno(), len(_READY), time.monotonic() + START_SECONDS) == _READY
        except (EOFError, TimeoutError, OSError):
            ready = False
        if not ready:  # the grader's own failure: no student's file is blamed for it
            _discard(worker)
            detail = worker.stderr.read(2000).decode(errors="replace").strip()
            worker.stderr.close()
            raise ReaderUnavailable(f"the reading worker did not start: {detail}")
        worker.stderr.close()
        return worker

    def _give_back(self, worker: subprocess.Popen) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_WORKERS:
                self._idle.append(worker)
                return
        _discard(worker)

    def _answer(self, worker: subprocess.Popen) -> dict | None:
        """The worker's reply, or None if it died, ran out of time or answered too much.
        On a machine busier than its cores, the time the worker waited for a CPU
        is added to its time, as for the sandbox's calls (see deadlines.starved_until)."""
        waits = procfs.WaitForOthers()  # (the worker runs none of the file's code: its wait is others')
        started, waited_before = time.monotonic(), waits.seconds(worker.pid, worker.pid)

        def later() -> float | None:
            now = waits.seconds(worker.pid, worker.pid)
            if now is None or waited_before is None:
                return None
            return starved_until(started, self.seconds, now - waited_before)

        try:
            return json.loads(_read_framed(worker.stdout.fileno(), started + self.seconds, MAX_REPLY_BYTES, later))
        except (EOFError, TimeoutError, OSError, ValueError):  # (ValueError: too long, or not JSON)
            return None

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            _discard(worker)


def _discard(worker: subprocess.Popen) -> None:
    worker.kill()
    worker.wait()
    for stream in (worker.stdin, worker.stdout):
        stream.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_framed(fd: int, deadline: float | None = None, limit: int | None = None, later=None) -> bytes:
    """One length-prefixed message; ValueError past ``limit`` bytes. ``later()``,
    asked at the deadline, may give a later one."""
    (size,) = _LEN.unpack(_read_exactly(fd, _LEN.size, deadline, later))
    if limit is not None and size > limit:
        raise ValueError("message too long")
    return _read_exactly(fd, size, deadline, later)


def _read_exactly(fd: int, size: int, deadline: float | None = None, later=None) -> bytes:
    parts, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                extended = later() if later is not None else None
                if extended is None or extended <= deadline + 0.001:
                    raise TimeoutError
                deadline = extended
                continue
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


_SHARED: Reader | None = None
_SHARED_LOCK = threading.Lock()


def read_untrusted(path: Path) -> Submission:
    """A student's file, read by the shared worker."""
    return _shared().read(path)


def read_untrusted_bytes(data: bytes, name: str) -> Submission:
    return _shared().read_bytes(data, name)


def _shared() -> Reader:
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Reader()
            atexit.register(_SHARED.close)
        return _SHARED


# ---------------------------------------------------------------- the worker


def _serve(memory_mb: int) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    except (OSError, ValueError):  # (macOS does not enforce it: the deadline still holds there)
        pass
    source, sink = sys.stdin.fileno(), sys.stdout.fileno()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # (what went wrong before this, the grader has read)
    _write_all(sink, _READY)
    while True:
        try:
            request = json.loads(_read_framed(source))
            data = _read_framed(source)
        except EOFError:
            return
        try:
            submission = read_bytes(data, request["name"])
            if sum(len(unit.bytecode or b"") for unit in submission.units) > MAX_BYTECODE_BYTES:
                for unit in submission.units:
                    unit.bytecode = None
            answer = {"submission": to_plain(submission)}
        except SubmissionError as error:
            answer = {"error": {"text": str(error), "key": error.key, "facts": error.facts}}
        except MemoryError:
            return  # (no answer: the grader reports the limit, and starts a fresh worker)
        except Exception as error:  # noqa: BLE001 - whatever else a crafted file trips over: that file is unreadable
            answer = {"error": {"text": f"{request['name']}: cannot be read ({type(error).__name__})"}}
        del data
        reply = json.dumps(answer).encode()
        _write_all(sink, _LEN.pack(len(reply)) + reply)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))

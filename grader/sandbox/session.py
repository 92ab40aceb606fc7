"""Talking to a child that runs student code, whatever isolates it.

The sandbox knows nothing about exercises. A session sends the child module
source and call inputs, and hands back plain-data results. Time limits are
enforced here, by the parent (what may be added to them: see deadlines): a
child that does not answer in time is killed with its whole process tree.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import time
from dataclasses import dataclass
from typing import Iterator, Protocol

from . import protocol, reply, request
from .deadlines import Allowance
from .reply import Outcome

_LEN = struct.Struct(">I")
_PAUSES = (0.0002, 0.0005, 0.001, 0.002, 0.002)  # before falling back to a blocking wait
_INBOX_BYTES = 1 << 16
SEND_SECONDS = 5.0  # to hand a batch of inputs over; the child reads them before running anything
_QUEUED_BYTES = 1 << 16  # a request this small waits in the channel while the child is busy


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child (a whole submission's run)."""

    memory_mb: int = 512  # address space, numpy's own ~150 MiB included
    cpu_seconds: int = 120
    file_size_mb: int = 8
    open_files: int = 64
    processes: int = 16  # processes and threads, per sandbox user
    # Printed output per call beyond this is an output-limit error: a flood (a debug
    # print per window of a large hidden input stays well under it).
    output_kb: int = 8192
    scratch_mb: int = 32  # the private /tmp
    load_seconds: float = 10.0
    # A load past its time is interrupted, as Jupyter interrupts a cell: the
    # statement running stops and the rest of the module gets this much more
    # time, up to ``load_interrupts`` times; after that the child is killed.
    load_grace_seconds: float = 2.0
    load_interrupts: int = 3

    def rlimits(self) -> dict[str, int]:
        return {
            "RLIMIT_AS": self.memory_mb * 1024 * 1024,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_FSIZE": self.file_size_mb * 1024 * 1024,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }


class ChildProcess(Protocol):
    """How a backend controls the process it started for a session."""

    def kill(self, ended: bool = False) -> None:
        """Kill the child and all its descendants; idempotent. ``ended``: the
        child ended by itself (its status must survive the killing)."""

    def exit_status(self) -> tuple[int | None, int | None]:
        """(exit code, signal) of the child once it has stopped."""

    def cleanup(self) -> None:
        """Release what the backend holds for this child."""

    def waited_for_others(self) -> float | None:
        """Seconds the child's main thread has spent runnable but waiting for a
        CPU, less the CPU its own other threads and processes used (None if
        unknown); only its growth over a span counts."""

    def interrupt(self) -> None:
        """Send the process running the student's code SIGINT (nothing if it is gone)."""


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
        self._poll = select.poll()
        self._poll.register(from_child, select.POLLIN)
        self._inbox, self._inbox_at = b"", 0  # bytes read ahead of the frame being parsed
        os.set_blocking(to_child, False)
        self._write_poll = select.poll()
        self._write_poll.register(to_child, select.POLLOUT)
        self.alive = True
        self._closed = False
        self._allowance = Allowance(process, limits)  # the time of the reply awaited

    # ----------------------------------------------------------------- requests

    def load(self, load_request: tuple[dict, list]) -> Outcome:
        """Run a module in the child: ``load_request`` is made by :func:`request.load_request`."""
        return next(self._exchange(request.frame(*load_request), [self.limits.load_seconds], loading=True))

    def load_then_call(self, load_request: tuple[dict, list],
                       calls: list[tuple[str, request.EncodedCall, float]]) -> tuple[Outcome, Iterator[Outcome]]:
        """Load a module and send a batch of calls right behind it: the child
        starts them as soon as it has loaded, without waiting for a round trip.
        The first call's time starts when the load has answered. The calls'
        outcomes are empty when the load failed (the child is gone)."""
        frame = self._calls_frame(calls)
        if not frame.fds and sum(len(part) for part in frame.parts) > _QUEUED_BYTES:
            # Inputs this large could fill the channel while the child loads.
            loaded = self.load(load_request)
            return loaded, self.call_many(calls) if loaded.kind == "loaded" else iter(())
        loading = self._exchange(request.frame(*load_request), [self.limits.load_seconds], more_to_come=True,
                                 loading=True)
        if self.alive:
            try:
                self._send(frame, time.perf_counter() + SEND_SECONDS)
            except (TimeoutError, OSError):
                pass  # the load's own outcome tells what happened to the child
        loaded = next(loading)
        if loaded.kind != "loaded" or not self.alive:
            self.kill()
            return loaded, iter(())
        return loaded, self._replies([seconds for _, _, seconds in calls], time.perf_counter(),
                                     reply_bytes=[encoded.reply_bytes for _, encoded, _ in calls])

    def call(self, function: str, args: list, kwargs: dict, watch: list[int], seconds: float) -> Outcome:
        return next(self.call_many([(function, request.encode_call(args, kwargs, watch), seconds)]))

    def call_many(self, calls: list[tuple[str, request.EncodedCall, float]]) -> Iterator[Outcome]:
        """Send every (function, inputs, seconds) call at once; yield each
        outcome as the child finishes it.

        Each call gets its ``seconds`` from the moment the previous one
        answered. After a timeout, a crash or a protocol error the child is
        gone and nothing more is yielded.
        """
        return self._exchange(self._calls_frame(calls), [seconds for _, _, seconds in calls],
                              reply_bytes=[encoded.reply_bytes for _, encoded, _ in calls])

    def _calls_frame(self, calls: list[tuple[str, request.EncodedCall, float]]) -> request.Frame:
        # A backend whose children share a sandbox names it, so each sandbox reads inputs files of its own.
        return request.calls_frame([(function, encoded) for function, encoded, _ in calls],
                                   getattr(self.process, "sandbox_key", None))

    def _exchange(self, frame: request.Frame, seconds: list[float], more_to_come: bool = False,
                  loading: bool = False, reply_bytes: list[int] | None = None) -> Iterator[Outcome]:
        """Send the request now; the replies are read as the iterator is consumed
        (so the caller can do other work while the child runs). With
        ``more_to_come``, another request follows, so replies beyond this
        request's are not out of turn; with ``loading``, the request is a load
        (past its time, it is interrupted before it is killed). ``reply_bytes``:
        the largest reply read for each call (a larger one is a protocol error)."""
        if not self.alive:
            return iter([Outcome("crashed", detail="the child had already stopped")])
        started = time.perf_counter()
        try:
            self._send(frame, started + max(seconds[0], SEND_SECONDS))
        except TimeoutError:
            self.kill()
            return iter([Outcome("timeout", seconds=time.perf_counter() - started)])
        except OSError:
            return iter([self._died(started)])
        # The first call's time starts once it has its inputs.
        return self._replies(seconds, time.perf_counter(), more_to_come, loading, reply_bytes)

    def _replies(self, seconds: list[float], started: float, more_to_come: bool = False,
                 loading: bool = False, reply_bytes: list[int] | None = None) -> Iterator[Outcome]:
        # Read while the child starts on the batch (the grader would only wait).
        self._allowance.start_batch()
        for number, allowed in enumerate(seconds):
            self._allowance.start_reply(started, allowed, loading)
            try:
                payload = self._read_frame(started + allowed, last=number == len(seconds) - 1,
                                           limit=reply_bytes[number] if reply_bytes else protocol.MAX_FRAME_BYTES)
            except TimeoutError:
                self.kill()
                yield Outcome("timeout", seconds=time.perf_counter() - started)
                return
            except EOFError:
                yield self._died(started)
                return
            except protocol.ProtocolError as error:
                self.kill()
                yield Outcome("protocol_error", detail=str(error), seconds=time.perf_counter() - started)
                return
            answered = time.perf_counter()
            interrupted = self._allowance.answered()
            try:
                outcome = self._decode(payload, answered - started, interrupted)
            except Exception as error:  # noqa: BLE001 - whatever a malformed reply makes fail
                self.kill()
                yield Outcome("protocol_error", detail=str(error)[:200], seconds=answered - started)
                return
            started = answered
            if number == len(seconds) - 1 and not more_to_come and self._spoke_out_of_turn():
                # Bytes nobody asked for: the last answer is not trusted either.
                self.kill()
                yield Outcome("protocol_error", detail="unexpected extra bytes from the child", seconds=outcome.seconds)
                return
            yield outcome
            if outcome.kind == "protocol_error":
                self.kill()
                return

    def _send(self, frame: request.Frame, deadline: float) -> None:
        """Write a whole frame, its file descriptors with its first bytes, never
        blocking past ``deadline`` (a child that stops reading must not hang the grader)."""
        pending = [view for view in (memoryview(part).cast("B") for part in frame.parts) if len(view)]
        fds = frame.fds
        while pending:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError
            if not self._write_poll.poll(max(1, int(remaining * 1000))):
                continue
            try:
                if fds:
                    with socket.socket(fileno=self._to_child) as channel:
                        try:
                            written = socket.send_fds(channel, pending[:1024], fds)
                        finally:
                            channel.detach()
                    fds = ()
                else:
                    written = os.writev(self._to_child, pending[:1024])
            except BlockingIOError:
                continue
            protocol.drop_written(pending, written)

    def _decode(self, payload: bytes, elapsed: float, interrupted: int = 0) -> Outcome:
        outcome = reply.decode(payload, elapsed, self.limits.output_kb * 1024)
        outcome.frame_bytes = len(payload)
        if interrupted and outcome.kind == "loaded":
            # The grader's own word (not the child's) for which errors its interruptions made.
            outcome.interrupted = interrupted
            for error in outcome.errors:
                error["interrupted"] = error["exc_type"] == "KeyboardInterrupt"
        return outcome

    def _read_frame(self, deadline: float, last: bool = False, limit: int = protocol.MAX_FRAME_BYTES) -> memoryview:
        """One whole frame of at most ``limit`` bytes from the child, or
        TimeoutError at the deadline.

        Both lengths are checked before the payload is allocated."""
        ready = self._frame_in_inbox(limit)
        if ready is not None:
            return ready
        prefix = bytearray(_LEN.size)
        self._fill(memoryview(prefix), deadline, last)
        (size,) = _LEN.unpack(prefix)
        _check_lengths(size, limit=limit)
        self._fill(memoryview(prefix), deadline)
        _check_lengths(size, _LEN.unpack(prefix)[0], limit)
        payload = bytearray(size)
        payload[:_LEN.size] = prefix
        self._fill(memoryview(payload)[_LEN.size:], deadline)
        return memoryview(payload)

    def _frame_in_inbox(self, limit: int) -> memoryview | None:
        """A whole, well-sized frame already read ahead, as a view (no copy);
        None otherwise (the careful path then reads, or rejects, it)."""
        start = self._inbox_at
        if len(self._inbox) - start < 2 * _LEN.size:
            return None
        (size,) = _LEN.unpack_from(self._inbox, start)
        (head_size,) = _LEN.unpack_from(self._inbox, start + _LEN.size)
        try:
            _check_lengths(size, head_size, limit)
        except protocol.ProtocolError:
            return None
        end = start + _LEN.size + size
        if end > len(self._inbox):
            return None
        self._inbox_at = end
        return memoryview(self._inbox)[start + _LEN.size:end]

    def _spoke_out_of_turn(self) -> bool:
        """Bytes beyond the reply already waiting (not just end-of-file)."""
        if len(self._inbox) > self._inbox_at:
            return True
        if not self._poll.poll(0):
            return False
        try:
            return len(os.read(self._from_child, 1)) > 0
        except OSError:
            return False

    def _fill(self, buffer: memoryview, deadline: float, last: bool = False) -> None:
        """Fill ``buffer`` from the child: small replies are read many at a
        time into an inbox (one system call for several), large ones straight
        into their buffer."""
        waiting = len(self._inbox) - self._inbox_at
        if waiting:
            count = min(waiting, len(buffer))
            buffer[:count] = self._inbox[self._inbox_at:self._inbox_at + count]
            self._inbox_at += count
            buffer = buffer[count:]
        while len(buffer):
            if time.perf_counter() >= deadline:
                if not self._poll.poll(0):
                    deadline = self._allowance.later(deadline)  # (what arrived in time counts, even when read late)
                    if deadline is None:
                        raise TimeoutError
                    continue
            elif not self._wait_readable(deadline, last):
                continue
            if len(buffer) >= _INBOX_BYTES:
                count = os.readv(self._from_child, [buffer])
                if not count:
                    raise EOFError
                buffer = buffer[count:]
                continue
            data = os.read(self._from_child, _INBOX_BYTES)
            if not data:
                raise EOFError
            count = min(len(data), len(buffer))
            buffer[:count] = data[:count]
            buffer = buffer[count:]
            self._inbox, self._inbox_at = data, count

    def waited(self) -> float:
        """Seconds the child has waited for a CPU because of others since its current batch began (0 if unknown)."""
        return self._allowance.waited()

    def _wait_readable(self, deadline: float, last: bool = False) -> bool:
        """Whether the child's pipe has data, waiting at most until ``deadline``.

        A few short sleeps come first, and only then a blocking poll: a reader
        asleep in poll costs the child a wakeup (tens of microseconds here) for
        every reply, while replies that pile up during a sleep are read in one go.
        For the ``last`` reply of a request nothing can pile up, and a sleep
        would only make the grader notice it late: it polls at once.
        """
        for pause in () if last else _PAUSES:
            if self._poll.poll(0):
                return True
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            time.sleep(min(pause, remaining))
        remaining = deadline - time.perf_counter()
        return remaining > 0 and bool(self._poll.poll(max(1, int(remaining * 1000))))

    def _died(self, started: float) -> Outcome:
        elapsed = time.perf_counter() - started
        self.kill(ended=True)
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

    def kill(self, ended: bool = False) -> None:
        """Kill the child and everything it started (idempotent); ``ended``:
        it ended by itself, and how is still to be read."""
        self.alive = False
        self.process.kill(ended)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
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


def _check_lengths(size: int, head_size: int = 0, limit: int = protocol.MAX_FRAME_BYTES) -> None:
    """A reply frame's declared lengths, checked before anything is allocated for them."""
    if size > min(limit, protocol.MAX_FRAME_BYTES):
        raise protocol.ProtocolError(f"the reply is too large (over {_in_mib(limit)})")
    if size < _LEN.size:
        raise protocol.ProtocolError("truncated message")
    if head_size > protocol.MAX_HEADER_BYTES:
        raise protocol.ProtocolError("message header too large")


def _in_mib(size: int) -> str:
    return f"{size / (1 << 20):.3g} MiB"

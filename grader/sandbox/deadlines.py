"""When a reply the session waits for is really late: a call's or a load's
time, and what may be added to it.

A call's time runs on the wall clock. The time its child waited for a CPU
because of others (see procfs.WaitForOthers) is added at its deadline, up to
STARVED_FACTOR times its allowance: a loaded machine must not fail a correct
submission, while one that sleeps, or waits behind work of its own, gets
nothing more. A load past its time is interrupted, as Jupyter interrupts a
cell, a few times before it is killed (see Limits.load_interrupts).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import ChildProcess, Limits

# (RLIMIT_CPU still bounds the child's CPU time as a whole.)
STARVED_FACTOR = 3.0


def starved_until(started: float, allowed: float, waited: float) -> float:
    """The deadline of something ``allowed`` seconds from ``started`` that has
    waited ``waited`` seconds for a CPU because of others: later by that wait,
    up to STARVED_FACTOR times its allowance."""
    return started + min(allowed + waited, allowed * STARVED_FACTOR)


class Allowance:
    """The time of the reply being awaited, for one child."""

    def __init__(self, process: "ChildProcess", limits: "Limits") -> None:
        self.process = process
        self.limits = limits
        self._call = (time.perf_counter(), 0.0)  # (started, allowed) of the reply awaited
        self._before: float | None = None  # the child's wait for others when its batch began
        self._loading = False  # whether the reply awaited is a load's
        self._interrupts_left = 0  # of the load being waited for
        self._grace_until = 0.0  # the end of the time given after the last interruption

    def start_batch(self) -> None:
        self._before = self.process.waited_for_others()

    def start_reply(self, started: float, allowed: float, loading: bool) -> None:
        self._call, self._loading = (started, allowed), loading
        self._interrupts_left, self._grace_until = (self.limits.load_interrupts if loading else 0), 0.0

    def answered(self) -> int:
        """The reply came: how many times it was interrupted on the way."""
        interrupted = self.limits.load_interrupts - self._interrupts_left if self._loading else 0
        self._interrupts_left, self._grace_until = 0, 0.0
        return interrupted

    def later(self, deadline: float) -> float | None:
        """Past ``deadline``: more time for the reply awaited, or None."""
        if self._grace_until > time.perf_counter():
            return self._grace_until
        return self._starved(deadline) or self._interrupted()

    def waited(self) -> float:
        """Seconds the child has waited for a CPU because of others since its batch began (0 if unknown)."""
        now = self.process.waited_for_others()
        return max(0.0, now - (self._before or 0.0)) if now is not None else 0.0

    def _interrupted(self) -> float | None:
        """A load past its time (and past what starving allows) is interrupted:
        the student's top-level statement running stops, and the rest of the
        module gets ``load_grace_seconds`` more. Not for calls, nor more than
        ``load_interrupts`` times (a module that ignores them is killed)."""
        if self._interrupts_left <= 0:
            return None
        self._interrupts_left -= 1
        self.process.interrupt()
        self._grace_until = time.perf_counter() + self.limits.load_grace_seconds
        return self._grace_until

    def _starved(self, deadline: float) -> float | None:
        """A later deadline when the child waited for a CPU because of others,
        up to STARVED_FACTOR times the allowance; None when the time is really
        up. Asked only at a deadline."""
        started, allowed = self._call
        now = self.process.waited_for_others()
        # (A child still starting when its batch began had no reading then: its
        # count starts at its own beginning, so all its waiting is this batch's.)
        before = self._before if self._before is not None else 0.0
        if now is None or now <= before:
            return None
        # (Waited since the batch began: earlier calls' waits count too.)
        later = starved_until(started, allowed, now - before)
        return later if later > deadline + 0.001 else None

"""What the host's /proc says of sandboxed processes (read by the trusted
parent, never by the child): their children, and how long they waited for a
CPU. Every reader returns an empty answer rather than fail: the process may
have exited in between."""

from __future__ import annotations

import os


def children(pid: int) -> list[int]:
    """The children of every thread of ``pid``."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            pass
    return found


def started(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot."""
    fields = _stat(pid)
    return fields[19] if fields else None


def namespace_pid(pid: int) -> int | None:
    """``pid``'s number in its own (innermost) PID namespace."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def oldest(pids: list[int]) -> int | None:
    return min(pids, key=lambda pid: started(pid) or 1 << 62) if pids else None


def run_delay(pid: int) -> float | None:
    """Seconds the main thread of ``pid`` (the one that runs the graded calls)
    has spent runnable, waiting for a CPU. Its other threads' waits do not
    count: a call that sleeps beside busy threads of its own waits for nothing."""
    times = _schedstat(pid)
    return times[1] if times else None


def _tree_seconds(root: int) -> float:
    """CPU seconds used by the process tree under ``root`` (the child's
    namespace init, or the child itself). Threads and children that ended and
    were waited for count too (the process totals keep them); ones nobody
    waits for (SIGCHLD ignored) leave no trace here, which only a cgroup's
    accounting sees."""
    total, seen, pending = 0.0, set(), [root]
    while pending and len(seen) < 256:  # (a process tree is bounded by the pids cgroup; this too)
        process = pending.pop()
        if process in seen:
            continue
        seen.add(process)
        total += _process_seconds(process) or 0.0
        pending.extend(children(process))
    return total


class WaitForOthers:
    """How long a child's main thread has waited for a CPU because of others:
    its run-queue wait less the CPU its own other threads and processes used.
    Their count never goes down (work that leaves the count, a child
    released without a wait, must not turn into waiting)."""

    def __init__(self, sandbox_cpu_before: float | None = None) -> None:
        """``sandbox_cpu_before``: the sandbox's CPU when the child was asked for
        (what it used before belongs to no part of this child's life)."""
        self._own = 0.0
        self._before = sandbox_cpu_before

    def seconds(self, main: int, root: int, sandbox_cpu: float | None = None) -> float | None:
        """Over the main thread's whole life, so the growth from any reading
        on, the first included. ``sandbox_cpu``: all the CPU the child's
        sandbox used, where a cgroup accounts it."""
        times = _schedstat(main)  # (ran, waited)
        if times is None:
            return None
        ran, waited = times
        if sandbox_cpu is not None and self._before is not None:
            own = sandbox_cpu - self._before - ran
        else:
            own = _tree_seconds(root) - ran
        self._own = max(self._own, own)
        return waited - self._own


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float | None:
    """CPU seconds of all of ``pid``'s threads, ended ones included, and of the children it reaped."""
    fields = _stat(pid)
    return sum(fields[11:15]) / _TICKS if fields else None  # utime stime cutime cstime


def _stat(pid: int) -> list[int] | None:
    """The numeric fields of /proc/<pid>/stat after the command name (field 3 on)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            # (the command name, in parentheses, may hold spaces and parentheses itself)
            _state, *numbers = handle.read().rsplit(")", 1)[1].split()
        return [0] + [int(value) for value in numbers]  # (index 0, the state, is a letter)
    except (OSError, ValueError, IndexError):
        return None


def _schedstat(pid: int) -> tuple[float, float] | None:
    """(seconds on a CPU, seconds runnable but waiting for one) of ``pid``'s main thread."""
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as handle:
            ran, waited = handle.read().split()[:2]
        return int(ran) / 1e9, int(waited) / 1e9
    except (OSError, ValueError):
        return None

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
    try:
        with open(f"/proc/{pid}/stat") as handle:
            # (the command name, in parentheses, may hold spaces and parentheses itself)
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


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
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def own_work(root: int, main: int) -> float | None:
    """CPU seconds used by the process tree under ``root`` (``main``'s
    namespace init, or ``main`` itself), less ``main``'s main thread: work of
    the child's own that its main thread may have waited behind. Threads and
    children that ended and were waited for count too (the process totals keep
    them); ones nobody waits for (SIGCHLD ignored) leave no trace here, which
    only a cgroup's accounting sees."""
    ran = _exec_seconds(main, main)
    if ran is None:
        return None
    total, seen, pending = 0.0, set(), [root]
    while pending and len(seen) < 256:  # (a process tree is bounded by the pids cgroup; this too)
        process = pending.pop()
        if process in seen:
            continue
        seen.add(process)
        total += _process_seconds(process) or 0.0
        pending.extend(children(process))
    return max(total - ran, 0.0)


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
        waited = run_delay(main)
        if waited is None:
            return None
        if sandbox_cpu is not None and self._before is not None:
            ran = _exec_seconds(main, main)
            own = None if ran is None else sandbox_cpu - self._before - ran
        else:
            own = own_work(root, main)
        if own is None:
            return None
        self._own = max(self._own, own)
        return waited - self._own


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float | None:
    """CPU seconds of all of ``pid``'s threads, ended ones included, and of the children it reaped."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / _TICKS  # utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return None


def _exec_seconds(pid: int, tid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/task/{tid}/schedstat") as handle:
            return int(handle.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None

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


def own_work(pid: int) -> float | None:
    """CPU seconds used by every thread of ``pid`` but its main one, and by
    its descendants: work of its own that its main thread may have waited
    behind (which earns it no more time), unlike another submission's. Threads
    and children that have ended count too (the process's own totals keep
    them), so none can take its work away by exiting."""
    main = _exec_seconds(pid, pid)
    whole = _process_seconds(pid)
    if main is None or whole is None:
        return None
    total, seen, pending = whole - main, {pid}, children(pid)
    while pending and len(seen) < 256:  # (a process tree is bounded by the pids cgroup; this too)
        process = pending.pop()
        if process in seen:
            continue
        seen.add(process)
        total += _process_seconds(process) or 0.0
        pending.extend(children(process))
    return max(total, 0.0)


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


def waited_for_others(pid: int) -> float | None:
    """Seconds ``pid``'s main thread has waited for a CPU, less the CPU its own
    other threads and processes used (see own_work): what another
    submission, or the machine, took from it. It may go down; only its
    growth over a span means anything."""
    waited, own = run_delay(pid), own_work(pid)
    return None if waited is None or own is None else waited - own

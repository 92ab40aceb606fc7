"""Per-sandbox cgroups (v1 memory and pids, and cpu where writable), where the machine lets us make them.

rlimits are per process; a cgroup bounds the whole tree: total memory and the
number of tasks (a fork or thread bomb stops at ``pids.max``). A cpu cgroup
makes the whole sandbox one scheduling unit: however many processes (each in
a session, so a scheduler group, of its own) a submission runs, a submission
graded beside it keeps its share, and its correct answers their time limits.
They are a second wall, used when available (root with writable v1
hierarchies) and reported by ``grader sandbox check``.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from . import procfs

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids")
# Used where writable: cpu (its default shares are equal for every sandbox),
# and cpuacct (the CPU the whole sandbox used, dead and orphaned processes too).
OPTIONAL = ("cpu", "cpuacct")


def available() -> bool:
    return os.geteuid() == 0 and all(os.access(ROOT / name, os.W_OK) for name in CONTROLLERS)


def cpu_available() -> bool:
    """Whether each sandbox gets a cpu cgroup too (one scheduling unit)."""
    return available() and os.access(ROOT / "cpu", os.W_OK)


def cpuacct_available() -> bool:
    """Whether each sandbox's CPU is accounted as a whole (see CgroupSet.cpu_seconds)."""
    return "cpuacct" in _optional()


def _optional() -> list[str]:
    return [name for name in OPTIONAL if available() and os.access(ROOT / name, os.W_OK)]


class CgroupSet:
    """One cgroup in each controller, holding one sandbox's process tree."""

    def __init__(self, memory_bytes: int, max_tasks: int) -> None:
        name = f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.paths = {controller: ROOT / controller / name for controller in CONTROLLERS}
        self.paths.update({controller: ROOT / controller / name for controller in _optional()})
        for path in self.paths.values():
            path.mkdir()
        (self.paths["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
        swap = self.paths["memory"] / "memory.memsw.limit_in_bytes"
        if swap.exists():
            try:
                swap.write_text(str(memory_bytes))
            except OSError:
                pass
        (self.paths["pids"] / "pids.max").write_text(str(max_tasks))

    def add_tree(self, root_pid: int) -> None:
        """Move a process and all its descendants in (they must not be forking yet)."""
        for pid in _tree(root_pid):
            for path in self.paths.values():
                try:
                    (path / "cgroup.procs").write_text(str(pid))
                except (ProcessLookupError, OSError):
                    pass

    def cpu_seconds(self) -> float | None:
        """CPU the whole sandbox has used (every process that was ever in it), if accounted."""
        if "cpuacct" not in self.paths:
            return None
        try:
            return int((self.paths["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in (self.paths["pids"] / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def stats(self) -> dict[str, int]:
        def read(controller: str, file: str) -> int:
            try:
                return int((self.paths[controller] / file).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                return -1

        return {"memory_limit": read("memory", "memory.limit_in_bytes"), "pids_max": read("pids", "pids.max"),
                "memory_peak": read("memory", "memory.max_usage_in_bytes")}

    def remove(self, patience: float = 2.0) -> None:
        """Remove the cgroups once their processes have gone (killed ones may
        still be exiting for a moment: a cgroup left behind each time would
        add up over a service's life)."""
        deadline = time.monotonic() + patience
        for path in self.paths.values():
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)


_SWEPT = False


def remove_stale_once() -> None:
    """remove_stale(), the first time a process asks."""
    global _SWEPT
    if not _SWEPT:
        _SWEPT = True
        remove_stale()


def remove_stale() -> int:
    """Remove the empty cgroups of grader processes that are gone (left by a
    crash); how many."""
    removed = 0
    for controller in CONTROLLERS + OPTIONAL:
        try:
            entries = list((ROOT / controller).glob("grader-*-*"))
        except OSError:
            continue
        for path in entries:
            owner = path.name.split("-")[1]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                try:
                    path.rmdir()
                    removed += 1
                except OSError:
                    pass
    return removed


def _tree(root_pid: int) -> list[int]:
    found, queue = [], [root_pid]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(procfs.children(pid))
    return found

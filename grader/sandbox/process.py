"""The portable backend: a fresh interpreter per submission under rlimits.

No namespaces, no seccomp: it is what a student's laptop (or a machine without
bubblewrap) gets for ``grader check`` on public cases. Hidden cases need the
isolated backend (see ``bwrap``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import procfs, protocol, request
from .session import ChildSession, Limits

RUNNER = Path(__file__).with_name("runner.py")
# Where this process found numpy (a user site or PYTHONPATH on a student's
# machine, say): the child looks there too. Its environment is made here, not
# inherited, so nothing else of the caller's PYTHON* settings reaches it.
NUMPY_HOME = str(Path(np.__file__).resolve().parent.parent)

# Variables a child may see: enough for numpy to behave, nothing of the grader's.
PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")
CHILD_ENV = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
             "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class PopenChild:
    def __init__(self, process: subprocess.Popen, workdir: str) -> None:
        self.popen = process
        self.workdir = workdir
        self._waits = procfs.WaitForOthers()

    def kill(self, ended: bool = False) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def exit_status(self) -> tuple[int | None, int | None]:
        code = self.popen.returncode
        if code is not None and code < 0:
            return None, -code
        return code, None

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def waited_for_others(self) -> float | None:
        return self._waits.seconds(self.popen.pid, self.popen.pid)

    def interrupt(self) -> None:
        if self.popen.returncode is None:  # (not reaped: its number is still its own)
            try:
                os.kill(self.popen.pid, signal.SIGINT)
            except (ProcessLookupError, PermissionError):
                pass


class ProcessSandbox:
    """Plain process isolation: a fresh child per submission, rlimits, outside timeouts."""

    name = "process"
    isolated = False

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def session(self) -> ChildSession:
        workdir = tempfile.mkdtemp(prefix="grader-run-")
        to_child_r, to_child = request.channel()
        from_child, from_child_w = os.pipe()
        protocol.widen_pipe(from_child)
        env = dict(CHILD_ENV, HOME=workdir, TMPDIR=workdir, PYTHONPATH=NUMPY_HOME)
        env.update({name: os.environ[name] for name in PASSED_ENV if name in os.environ})
        try:
            process = subprocess.Popen(
                [sys.executable, "-s", "-B", str(RUNNER), str(to_child_r), str(from_child_w),
                 json.dumps(self.limits.rlimits())],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                cwd=workdir, env=env, start_new_session=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        return ChildSession(to_child, from_child, PopenChild(process, workdir), self.limits)

    def close(self) -> None:
        pass

    def __enter__(self) -> "ProcessSandbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

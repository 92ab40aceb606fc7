"""Running untrusted code: isolation backends, the child runner and its wire protocol.

This package knows nothing about exercises: it runs functions of a submitted
module on given inputs and returns what came back, as plain data.

Backends: ``BwrapSandbox`` (namespaces, seccomp, cgroups, a warm fork server)
and ``ProcessSandbox`` (a fresh interpreter under rlimits, for machines where
the isolated backend cannot run, such as a student's laptop).
"""

from __future__ import annotations

import warnings

from .bwrap import BwrapSandbox, SandboxUnavailable, unavailable_reason
from .process import ProcessSandbox
from .session import ChildSession, Limits, Outcome

__all__ = ["BwrapSandbox", "ChildSession", "IsolationRequired", "Limits", "Outcome", "ProcessSandbox",
           "SandboxUnavailable", "open_sandbox", "unavailable_reason"]


class IsolationRequired(RuntimeError):
    """Hidden cases would run without isolation; refused unless explicitly allowed."""


def open_sandbox(limits: Limits | None = None, *, require_isolation: bool = False,
                 allow_unisolated: bool = False, slots: int = 1) -> BwrapSandbox | ProcessSandbox:
    """The isolated backend when it can run here; otherwise plain processes,
    which is refused when isolation is required and not explicitly waived."""
    try:
        return BwrapSandbox(limits, slots=slots)
    except SandboxUnavailable as error:
        if require_isolation and not allow_unisolated:
            raise IsolationRequired(
                f"refusing to run hidden cases without isolation: {error}. "
                "Install the sandbox (scripts/setup.sh) or pass --allow-unisolated to accept the risk."
            ) from error
        if require_isolation:
            warnings.warn(f"GRADING HIDDEN CASES WITHOUT ISOLATION ({error})", RuntimeWarning, stacklevel=2)
        return ProcessSandbox(limits)

"""Running untrusted code: isolation backends, the child runner and its wire protocol.

This package knows nothing about exercises: it runs functions of a submitted
module on given inputs and returns what came back, as plain data.
"""

from .process import ChildSession, Limits, Outcome, ProcessSandbox

__all__ = ["ChildSession", "Limits", "Outcome", "ProcessSandbox"]

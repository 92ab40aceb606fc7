"""The child-side runner, called directly (no sandbox): what the waiting child rehearses."""

from __future__ import annotations

from grader.sandbox import runner


def test_the_rehearsal_of_a_waiting_child_runs_cleanly():
    """A waiting child rehearses before its request comes; if the rehearsal
    raised, every child would die before serving (the zygote catches all)."""
    runner.rehearse()
    assert not runner.FILE_CODE  # the made-up code is not taken for the student's

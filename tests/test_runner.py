"""The child-side runner, called directly (no sandbox): what the waiting child rehearses."""

from __future__ import annotations

from grader.sandbox import runner


def test_the_rehearsal_of_a_waiting_child_runs_cleanly():
    """A waiting child rehearses before its request comes; if the rehearsal
    raised, every child would die before serving (the zygote catches all)."""
    runner.rehearse()
    assert not runner.FILE_CODE  # the made-up code is not taken for the student's


def test_the_submission_is_a_module_that_dataclasses_with_postponed_annotations_can_find():
    source = ("from __future__ import annotations\nfrom dataclasses import dataclass\n\n\n"
              "@dataclass(frozen=True)\nclass Geometry:\n    height: int\n    width: int\n\n\n"
              "def area(height, width):\n    return Geometry(height, width).height * width\n")
    namespace, errors = runner.load_module([{"source": source}], "submission.py")
    assert errors == []
    assert namespace["area"](3, 4) == 12


def test_a_definition_whose_decorator_fails_is_not_run_again_without_it():
    source = "@undefined_decorator\n@staticmethod\nclass Layer:\n    pass\n\n\nafter = 1\n"
    namespace, errors = runner.load_module([{"source": source}], "submission.py")
    assert [error["exc_type"] for error in errors] == ["NameError"]
    assert "Layer" not in namespace and namespace["after"] == 1

"""The child-side runner, called directly (no sandbox): what the waiting child rehearses."""

from __future__ import annotations

import numpy as np
import pytest

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


def _loaded(submission, parent_compiled: bool) -> tuple[dict, list[dict]]:
    """The submission loaded as the child loads it: from the parent's bytecode,
    or compiled by the child itself (when its interpreter reads bytecode otherwise)."""
    from grader.sandbox import request
    from grader.submission import FILENAME

    header, blobs = request.load_request(submission.wire_units(), FILENAME,
                                         [unit.bytecode for unit in submission.units])
    return runner.load_module(header["units"], FILENAME, [bytes(blob) for blob in blobs] if parent_compiled else None)


FUTURE = "from __future__ import annotations\nimport numpy as np\n"
ANNOTATED = "def shape_of(x: NDArray) -> Shape:\n    return np.shape(x)\n"


@pytest.mark.parametrize("parent_compiled", [True, False])
@pytest.mark.parametrize("layout", ["after an error at load", "after a syntax error", "in a later notebook cell"])
def test_a_future_import_holds_for_the_whole_file_as_in_python_and_ipython(layout, parent_compiled):
    """``from __future__ import annotations`` at the top postpones every later
    annotation: after a statement that raised, in pieces kept around a syntax
    error, and (as IPython does) in the cells after the one that imports it."""
    from grader.submission import from_notebook, from_python
    from test_submission import notebook

    if layout == "after an error at load":
        submission = from_python(FUTURE + "import matplotlib.pyplot as plt\n\n" + ANNOTATED)
    elif layout == "after a syntax error":
        submission = from_python(FUTURE + "def broken(:\n    pass\n\n" + ANNOTATED)
        assert submission.syntax_errors
    else:
        submission = from_notebook(notebook(FUTURE, "md:# 풀이", "print(undefined)", ANNOTATED))
    namespace, errors = _loaded(submission, parent_compiled)
    assert namespace["shape_of"](np.zeros((2, 3))) == (2, 3)
    assert namespace["shape_of"].__annotations__ == {"x": "NDArray", "return": "Shape"}
    assert all(error["exc_type"] != "NameError" or "NDArray" not in error["message"] for error in errors)


def test_without_a_future_import_annotations_are_evaluated_as_python_does():
    from grader.submission import from_python

    namespace, errors = _loaded(from_python("import numpy as np\n" + ANNOTATED), True)
    assert "shape_of" not in namespace and [error["exc_type"] for error in errors] == ["NameError"]

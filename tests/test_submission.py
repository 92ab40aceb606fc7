"""Unit tests for reading student files (.py and .ipynb) into compilable units."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.submission import (
    MAX_SUBMISSION_BYTES,
    SubmissionError,
    from_notebook,
    from_python,
    read_submission,
    strip_magics,
)


def notebook(*cells) -> str:
    book = new_notebook()
    book.cells = [new_markdown_cell(cell[3:]) if cell.startswith("md:") else new_code_cell(cell) for cell in cells]
    return nbformat.writes(book)


def namespace_of(submission) -> dict:
    """Run the units the way the child would (this is test code, not student code)."""
    namespace: dict = {}
    for unit in submission.units:
        exec(compile(unit.source, "submission.py", "exec"), namespace)
    return namespace


# ------------------------------------------------------------------ python


def test_valid_python_is_one_unit():
    source = "import math\n\ndef f(x):\n    return math.sqrt(x)\n"
    submission = from_python(source, "hw.py")
    assert submission.kind == "py"
    assert submission.name == "hw.py"
    assert [(unit.source, unit.line_offset, unit.cell) for unit in submission.units] == [(source, 0, None)]
    assert submission.syntax_errors == []


def test_python_crlf_and_nul_are_normalised():
    submission = from_python("x = 1\r\ny = 2\x00\r\n")
    assert submission.units[0].source == "x = 1\ny = 2\n"


BROKEN_PY = """\
import numpy as np


def good_one(x):
    return x + 1


def broken(x):
    return (x +


@staticmethod
def decorated(x):
    return x * 2


def good_two(x):
    return x - 1
"""


def test_syntax_error_in_one_function_keeps_the_others():
    submission = from_python(BROKEN_PY)
    namespace = namespace_of(submission)
    assert namespace["good_one"](1) == 2
    assert namespace["good_two"](1) == 0
    assert "broken" not in namespace
    for unit in submission.units:
        compile(unit.source, "unit", "exec")


def test_syntax_error_reports_the_file_line():
    submission = from_python(BROKEN_PY)
    assert len(submission.syntax_errors) == 1
    problem = submission.syntax_errors[0]
    assert problem.line == 9
    assert problem.cell is None
    assert problem.where() == "line 9"
    assert "never closed" in problem.message


def test_decorated_function_survives_salvage():
    submission = from_python(BROKEN_PY)
    decorated = [unit for unit in submission.units if "def decorated" in unit.source]
    assert len(decorated) == 1
    assert decorated[0].source.startswith("@staticmethod\ndef decorated")
    assert isinstance(namespace_of(submission)["decorated"], staticmethod)


def test_salvaged_units_keep_their_line_offsets():
    lines = BROKEN_PY.split("\n")
    for unit in from_python(BROKEN_PY).units:
        first = unit.source.split("\n")[0]
        assert lines[unit.line_offset] == first


def test_multiline_expression_stays_with_its_statement():
    source = "x = [\n1,\n2]\n\ndef bad(:\n    pass\n\ny = len(x)\n"
    submission = from_python(source)
    assert namespace_of(submission)["y"] == 2
    assert [problem.line for problem in submission.syntax_errors] == [5]


# ------------------------------------------------------------- strip_magics


@pytest.mark.parametrize("line", ["%timeit x", "%matplotlib inline", "!pip install foo", "files = !ls",
                                  "x = %env", "a, b = !echo 1 2", "np.zeros?", "np.zeros??", "?np.einsum", "??len"])
def test_ipython_lines_become_pass(line):
    assert strip_magics(line) == "pass"


def test_magic_replacement_keeps_indentation_and_line_count():
    source = "def f():\n    %timeit g()\n    np.zeros?\n    return 1\n"
    stripped = strip_magics(source)
    assert stripped == "def f():\n    pass\n    pass\n    return 1\n"
    assert stripped.count("\n") == source.count("\n")
    compile(stripped, "cell", "exec")


@pytest.mark.parametrize("line", ["x = 1", "y = x % 2", "ok = a != b", "print('!hi')", "s = '%d' % 3",
                                  "# %timeit in a comment", "d = {'a': 1}"])
def test_ordinary_python_lines_are_kept(line):
    assert strip_magics(line) == line


def test_continuation_lines_starting_with_an_operator_are_kept():
    source = "same = (a\n        != b)\nrest = (7\n        % 3)"
    assert strip_magics(source) == source


def test_bash_cell_magic_drops_the_whole_cell():
    source = "%%bash\necho hi\nrm -rf build"
    stripped = strip_magics(source)
    assert stripped.strip() == ""
    assert stripped.count("\n") == source.count("\n")


def test_time_cell_magic_keeps_the_python_body():
    assert strip_magics("%%time\ny = 2\nz = 3") == "pass\ny = 2\nz = 3"


# ---------------------------------------------------------------- notebooks


def test_notebook_code_cells_become_units_and_markdown_is_ignored():
    text = notebook("md:# Title\n%timeit not code", "import numpy as np\nx = 1", "md:text", "def f(a):\n    return a * 2")
    submission = from_notebook(text, "hw.ipynb")
    assert submission.kind == "ipynb"
    assert submission.name == "hw.ipynb"
    assert [unit.cell for unit in submission.units] == [1, 2]
    assert all("Title" not in unit.source for unit in submission.units)
    assert submission.cell_starts == [0, 2]
    assert [unit.line_offset for unit in submission.units] == [0, 2]
    assert namespace_of(submission)["f"](3) == 6


def test_notebook_magics_are_not_executed():
    text = notebook("%matplotlib inline\nimport math", "files = !ls\nx = %env\n!pip install foo\nmath.floor?\ny = 4")
    submission = from_notebook(text)
    assert submission.syntax_errors == []
    assert submission.units[1].source == "pass\npass\npass\npass\ny = 4"
    assert namespace_of(submission)["y"] == 4


def test_notebook_bash_cell_is_dropped_and_time_cell_kept():
    text = notebook("x = 1", "%%bash\necho hacked > /tmp/x", "%%time\ny = x + 1", "z = y + 1")
    submission = from_notebook(text)
    assert submission.syntax_errors == []
    assert all("echo" not in unit.source for unit in submission.units)
    assert namespace_of(submission)["z"] == 3
    assert submission.cell_starts == [0, 1, 3, 5]


def test_notebook_syntax_error_is_located_by_cell_and_line():
    text = notebook("x = 1", "y = 2\n\ndef g(:\n    return 1", "z = 3")
    submission = from_notebook(text)
    assert len(submission.syntax_errors) == 1
    problem = submission.syntax_errors[0]
    assert (problem.cell, problem.cell_line) == (2, 3)
    assert problem.line == 4
    assert problem.where() == "cell 2, line 3"
    namespace = namespace_of(submission)
    assert (namespace["x"], namespace["y"], namespace["z"]) == (1, 2, 3)
    assert "g" not in namespace


def test_notebook_wire_units():
    submission = from_notebook(notebook("a = 1", "b = 2"))
    assert submission.wire_units() == [{"source": "a = 1", "line_offset": 0, "flags": 0},
                                       {"source": "b = 2", "line_offset": 1, "flags": 0}]


def test_locate_maps_joined_lines_back_to_cells():
    submission = from_notebook(notebook("a = 1\nb = 2", "c = 3", "d = 4\ne = 5\nf = 6"))
    assert submission.cell_starts == [0, 2, 3]
    assert submission.locate(1) == (1, 1)
    assert submission.locate(2) == (1, 2)
    assert submission.locate(3) == (2, 1)
    assert submission.locate(4) == (3, 1)
    assert submission.locate(6) == (3, 3)


def test_locate_for_python_is_the_line_itself():
    assert from_python("a = 1\nb = 2\n").locate(2) == (None, 2)


def test_notebook_from_bytes_with_bom():
    data = b"\xef\xbb\xbf" + notebook("x = 1").encode()
    assert from_notebook(data).units[0].source == "x = 1"


@pytest.mark.parametrize("text", ["{not json", "", json.dumps([1, 2])])
def test_broken_notebook_raises_submission_error(text):
    with pytest.raises(SubmissionError, match="hw.ipynb is not a readable Jupyter notebook"):
        from_notebook(text, "hw.ipynb")


def test_notebook_with_malformed_cell_source_raises_submission_error():
    text = json.dumps({"cells": [{"cell_type": "code", "source": 5, "metadata": {}, "outputs": [],
                                  "execution_count": None, "id": "abc"}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    with pytest.raises(SubmissionError):
        from_notebook(text, "hw.ipynb")


# ---------------------------------------------------------- read_submission


def test_read_python_file(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text("def f():\n    return 1\n", encoding="utf-8")
    submission = read_submission(path)
    assert (submission.kind, submission.name) == ("py", "hw.py")
    assert namespace_of(submission)["f"]() == 1


def test_read_notebook_file(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text(notebook("md:intro", "def f():\n    return 2"), encoding="utf-8")
    submission = read_submission(path)
    assert submission.kind == "ipynb"
    assert namespace_of(submission)["f"]() == 2


def test_read_broken_notebook_file(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(SubmissionError, match="not a readable Jupyter notebook"):
        read_submission(path)


def test_read_too_large_file(tmp_path):
    path = tmp_path / "big.py"
    path.write_bytes(b"#" * (MAX_SUBMISSION_BYTES + 1))
    with pytest.raises(SubmissionError, match="limited to"):
        read_submission(path)


def test_read_file_at_the_size_limit(tmp_path):
    path = tmp_path / "edge.py"
    path.write_bytes(b"#" * MAX_SUBMISSION_BYTES)
    assert read_submission(path).syntax_errors == []


def test_read_non_utf8_file(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = 'caf\xe9'\n")
    with pytest.raises(SubmissionError, match="not UTF-8"):
        read_submission(path)


def test_read_non_utf8_notebook(tmp_path):
    path = tmp_path / "latin.ipynb"
    path.write_bytes(notebook("x = 'cafe'").encode().replace(b"cafe", b"caf\xe9"))
    with pytest.raises(SubmissionError):
        read_submission(path)


def test_read_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfname = '\xed\x95\x9c'\n")
    submission = read_submission(path)
    assert submission.syntax_errors == []
    assert namespace_of(submission)["name"] == "\ud55c"


def test_read_missing_file(tmp_path):
    with pytest.raises(SubmissionError, match="cannot read"):
        read_submission(tmp_path / "absent.py")

"""The portable backend (a student's own machine): the child finds numpy where the grader did."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")

CHECK = textwrap.dedent('''
    import numpy as np
    from grader.sandbox import ProcessSandbox, request
    from grader.submission import from_python

    session = ProcessSandbox().session()
    source = "import numpy as np\\ndef total(x):\\n    return float(np.sum(x))\\n"
    loaded = session.load(request.load_request(from_python(source).wire_units(), "submission.py"))
    print(loaded.kind, session.call("total", [np.ones(3)], {}, [0], 5.0).value if loaded.kind == "loaded" else "")
    session.close()
''')


def _same_python(path: str | None) -> bool:
    if path is None:
        return False
    version = subprocess.run([path, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    return version.stdout.strip() == str(tuple(sys.version_info[:2]))


@pytest.mark.skipif(not _same_python(SYSTEM_PYTHON), reason="needs a system python3 of this version (numpy's build)")
def test_numpy_found_only_through_pythonpath_is_found_by_the_child_too():
    """As after `pip install --user` or with PYTHONPATH: the interpreter's own
    paths lack numpy. The child ran with -E -s and crashed at its first import,
    so every case of a student's check failed."""
    numpy_home = str(Path(np.__file__).resolve().parent.parent)
    result = subprocess.run([SYSTEM_PYTHON, "-c", CHECK], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{numpy_home}:{ROOT}"})
    assert result.stdout.split() == ["loaded", "3.0"], (result.stdout, result.stderr[-2000:])

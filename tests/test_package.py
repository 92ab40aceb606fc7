"""What importing the package does to the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHOW = "import grader, os; print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"


def _env(**values: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_NUM_THREADS")}
    return {**env, **values}


def test_blas_runs_one_thread_in_the_grader_unless_the_operator_says_otherwise():
    default = subprocess.run([sys.executable, "-c", SHOW], env=_env(), capture_output=True, text=True, check=True)
    assert default.stdout.split() == ["1", "1"]
    chosen = subprocess.run([sys.executable, "-c", SHOW], env=_env(OPENBLAS_NUM_THREADS="4"),
                            capture_output=True, text=True, check=True)
    assert chosen.stdout.split() == ["4", "1"]


BLAS_THREADS = """
import ctypes
libraries = sorted({part for part in open("/proc/self/maps").read().split() if "openblas" in part and ".so" in part})
library = ctypes.CDLL(libraries[0]) if libraries else None
get = library and (getattr(library, "scipy_openblas_get_num_threads64_", None)
                   or getattr(library, "openblas_get_num_threads", None))
print(get() if get else "unknown")
"""


def _blas_threads(first: str) -> str:
    code = f"import {first}, {'numpy' if first == 'grader' else 'grader'}\n" + BLAS_THREADS
    return subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True,
                          check=True).stdout.strip()


def test_numpy_imported_after_the_package_really_has_one_blas_thread():
    if _blas_threads("numpy") == "unknown":
        pytest.skip("this numpy's BLAS does not say how many threads it runs")
    assert _blas_threads("grader") == "1"
    if (os.cpu_count() or 1) > 1:
        assert _blas_threads("numpy") != "1"  # numpy first: too late, as documented

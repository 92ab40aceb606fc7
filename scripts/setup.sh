#!/usr/bin/env bash
# Set up grader on a fresh machine: a virtual environment in .venv with the
# package and its test dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
echo "grader installed in .venv (run .venv/bin/grader --help)"

#!/usr/bin/env bash
# Set up grader on a fresh machine. Safe to run again.
#  1. .venv: the grader itself, with its test dependencies.
#  2. The sandbox: bubblewrap (Debian package) and a world-readable Python
#     runtime with numpy and pyseccomp for student code (as root:
#     /opt/grader/runtime; otherwise ~/.local/share/grader/runtime).
# Without root or apt, step 2 is skipped with a message: `grader check`
# still works with plain process limits, and `grader grade` refuses hidden
# cases until the sandbox exists.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quiet() { "$@" >"$log" 2>&1 || { cat "$log"; exit 1; }; }  # show pip's noise only when it fails

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
quiet .venv/bin/python -m pip install --quiet --upgrade pip
quiet .venv/bin/python -m pip install --quiet -e '.[test]'

if [ "$(id -u)" = 0 ]; then
    RUNTIME=${GRADER_RUNTIME_DIR:-/opt/grader/runtime}
    need=()
    command -v bwrap >/dev/null || need+=(bubblewrap)
    command -v setpriv >/dev/null || need+=(util-linux)  # drops to nobody before bwrap starts
    [ -x /usr/bin/python3 ] || need+=(python3)
    /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
    dpkg -s libseccomp2 >/dev/null 2>&1 || need+=(libseccomp2)
    if [ ${#need[@]} -gt 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
    fi
else
    RUNTIME=${GRADER_RUNTIME_DIR:-$HOME/.local/share/grader/runtime}
    command -v bwrap >/dev/null || echo "note: bubblewrap is not installed; hidden cases cannot be graded in isolation here"
fi

if [ -x /usr/bin/python3 ]; then
    numpy_version=$(.venv/bin/python -c 'import numpy; print(numpy.__version__)')
    [ -x "$RUNTIME/bin/python" ] || /usr/bin/python3 -m venv "$RUNTIME"
    quiet "$RUNTIME/bin/python" -m pip install --quiet "numpy==$numpy_version" pyseccomp
    chmod -R a+rX "$RUNTIME"
    [ "$(id -u)" = 0 ] && chmod a+rx "$(dirname "$RUNTIME")"
    echo "sandbox runtime: $RUNTIME"
fi
echo "grader installed in .venv (run .venv/bin/grader --help; .venv/bin/grader sandbox check)"

#!/usr/bin/env bash
# The official openai Python SDK against engram-prompt and a fake upstream (Tests/python).
#
# Usage: scripts/test-python.sh [pytest arguments]   (make test-python)
#
# Creates the venv $PY_TEST_VENV (default .cache/python-tests-venv) with the system python3
# (installing Debian's python3-venv when `python3 -m venv` cannot work), installs the pinned
# Tests/python/requirements.txt when what is installed does not match it, and runs pytest -q.
# When the install fails because PyPI cannot be reached, the suite is skipped (exit 0) with a
# message saying so; any other failure fails. Needs .build/debug/engramd and engram-prompt (or
# $ENGRAMD_BIN, $ENGRAM_PROMPT_BIN) and the model (make model).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly VENV="${PY_TEST_VENV:-.cache/python-tests-venv}"
readonly REQUIREMENTS="Tests/python/requirements.txt"
PYTHON=/usr/bin/python3
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"

note() { echo "test-python: $*" >&2; }

make_venv() {
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        note "installing python3-venv"
        local sudo=""; [[ "$(id -u)" == 0 ]] || sudo=sudo
        $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >&2
    fi
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
}

# Exit 0 when every `name==version` line of the requirements is installed in the venv.
satisfied() {
    "$VENV/bin/python" - "$REQUIREMENTS" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, wanted = line.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

# Prints why the package index cannot be reached and exits 0 when it cannot; exits 1 when it
# answers (then a failed install is a real failure).
index_unreachable() {
    "$VENV/bin/python" - <<'EOF'
import os, subprocess, sys, urllib.error, urllib.request
index = os.environ.get("PIP_INDEX_URL") or subprocess.run(
    [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True).stdout.strip()
url = (index or "https://pypi.org/simple").rstrip("/") + "/openai/"
try:
    urllib.request.urlopen(url, timeout=30).close()
except urllib.error.HTTPError:
    sys.exit(1)  # it answered: reachable
except (urllib.error.URLError, OSError) as error:
    print(f"{url}: {getattr(error, 'reason', error)}")
    sys.exit(0)
sys.exit(1)
EOF
}

[[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import pip' 2>/dev/null || make_venv
if ! satisfied; then
    note "installing $REQUIREMENTS into $VENV"
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS" >&2; then
        if why="$(index_unreachable)"; then
            echo "test-python: SKIPPED: PyPI unreachable ($why)"
            exit 0
        fi
        note "pip install failed while PyPI is reachable"
        exit 1
    fi
fi
exec "$VENV/bin/python" -m pytest -q Tests/python "$@"

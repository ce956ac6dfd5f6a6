#!/usr/bin/env bash
# The official openai Python SDK against engram-prompt and a fake upstream (Tests/python), and the
# Python client of engramd (clients/python: mypy --strict, then its tests in clients/python/tests).
#
# Usage: scripts/test-python.sh [pytest arguments, given to both suites]   (make test-python)
#
# Creates the venv $PY_TEST_VENV (default .cache/python-tests-venv) with the system python3
# (installing Debian's python3-venv when `python3 -m venv` cannot work), installs the pinned
# Tests/python/requirements.txt and clients/python/requirements-test.txt when what is installed
# does not match them, installs the client (non-editable, built from a clean copy of
# clients/python) when its sources changed since the last install (a hash kept in the venv),
# type-checks it (mypy --strict) and runs pytest -q on each suite. When an install fails because
# PyPI cannot be reached, the suites are skipped (exit 0) with a message saying so; any other
# failure fails. Needs .build/debug/engramd, engram-prompt and engram (or $ENGRAMD_BIN,
# $ENGRAM_PROMPT_BIN, $ENGRAM_BIN) and the model (make model).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly VENV="${PY_TEST_VENV:-.cache/python-tests-venv}"
readonly REQUIREMENTS="Tests/python/requirements.txt"
readonly CLIENT="clients/python"
readonly CLIENT_REQUIREMENTS="$CLIENT/requirements-test.txt"
readonly CLIENT_STAMP="$VENV/engramd-client.sha256"
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

# Exit 0 when every `name==version` line of the requirements file $1 is installed in the venv.
satisfied() {
    "$VENV/bin/python" - "$1" <<'EOF'
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
# answers (then a failed install is a real failure). Asks pip itself, so its configuration
# (index, extra indexes, proxy, certificates) is the one the failed install used.
index_unreachable() {
    local answer
    if answer="$(timeout 120 "$VENV/bin/python" -m pip index versions --disable-pip-version-check openai 2>&1)"; then
        return 1
    fi
    echo "pip index versions openai: $(tail -n 1 <<<"$answer")"
}

# Installs with pip (arguments: what to install); when that fails, skips the run (exit 0) if the
# index is unreachable, else fails.
pip_install() {
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2; then
        if why="$(index_unreachable)"; then
            echo "test-python: SKIPPED: PyPI unreachable ($why)"
            exit 0
        fi
        note "pip install failed while PyPI is reachable"
        exit 1
    fi
}

# A hash of the files the client is built from (names and contents).
client_hash() {
    find "$CLIENT/pyproject.toml" "$CLIENT/README.md" "$CLIENT/src" -type f \
        ! -path '*/__pycache__/*' ! -path '*.egg-info/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
}

[[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import pip' 2>/dev/null || make_venv
for requirements in "$REQUIREMENTS" "$CLIENT_REQUIREMENTS"; do
    if ! satisfied "$requirements"; then
        note "installing $requirements into $VENV"
        pip_install -r "$requirements"
    fi
done

# The client, installed as a user would (not editable), from a copy without build leftovers, with
# the pinned setuptools already in the venv (no build isolation: no index needed to rebuild).
hash="$(client_hash)"
if [[ "$(cat "$CLIENT_STAMP" 2>/dev/null)" != "$hash" ]] || ! "$VENV/bin/python" -c 'import engramd_client' 2>/dev/null; then
    note "installing $CLIENT into $VENV"
    copy="$(mktemp -d)"
    trap 'rm -rf "$copy"' EXIT
    cp -R "$CLIENT/pyproject.toml" "$CLIENT/README.md" "$CLIENT/src" "$copy/"
    find "$copy" \( -name '__pycache__' -o -name '*.egg-info' \) -prune -exec rm -rf {} +
    rm -f "$CLIENT_STAMP"
    "$VENV/bin/python" -m pip uninstall -q -y engramd-client >&2 2>/dev/null || true
    # Needs nothing from the index (setuptools and httpx are installed above): a failure here is
    # the client's own, never a reason to skip.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation "$copy" >&2
    rm -rf "$copy"
    echo "$hash" > "$CLIENT_STAMP"
fi

# mypy --strict on the package's sources, then on its tests, which see the installed package
# (so its py.typed and exported types are checked as a user's code sees them).
status=0
note "mypy --strict $CLIENT"
venv="$(cd "$VENV" && pwd)"
(cd "$CLIENT" && "$venv/bin/python" -m mypy --strict --cache-dir "$venv/mypy-cache/src" src/engramd_client &&
    "$venv/bin/python" -m mypy --strict --cache-dir "$venv/mypy-cache/tests" tests) >&2 || status=1

# Two pytest sessions (Tests/python's modules import its conftest by name, so the suites cannot
# share one), each with its own engramd, each with the same arguments; a session that they leave
# without tests (exit 5, e.g. -k naming the other suite's tests) does not fail the run.
run_pytest() {
    local code=0
    "$VENV/bin/python" -m pytest -q "$@" || code=$?
    if (( code == 5 )); then
        empty=$((empty + 1))
    elif (( code != 0 )); then
        status=$code
    fi
}
empty=0
run_pytest Tests/python "$@"
run_pytest "$CLIENT/tests" "$@"
(( empty < 2 )) || status=5
exit "$status"

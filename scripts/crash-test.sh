#!/usr/bin/env bash
# Crash test of the memory store: a child process writes entries (inserts, batches, deletes)
# in a loop and reports each acknowledged write; it is killed with SIGKILL at a random moment,
# and the store is reopened and checked: every acknowledged write present, no acknowledged
# delete undone, `verify()` clean, and searches find the entries. The test suite runs a few
# trials (MemoryStoreTests.CrashTests); this runs many.
#
#   scripts/crash-test.sh [TRIALS]     default 200 (about two minutes in debug; 100 took 51 s)
#   environment: SCRATCH (build directory, default .build), CONFIGURATION (debug|release)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS="${1:-${ENGRAM_CRASH_TRIALS:-200}}"
SCRATCH="${SCRATCH:-.build}"
CONFIGURATION="${CONFIGURATION:-debug}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

swift build --build-tests -c "$CONFIGURATION" --scratch-path "$SCRATCH" >&2
start=$(date +%s)
status=0
ENGRAM_CRASH_TRIALS="$TRIALS" swift test --skip-build -c "$CONFIGURATION" --scratch-path "$SCRATCH" \
    --filter 'MemoryStoreTests.CrashTests' >"$log" 2>&1 || status=$?
grep -E '^crash test:|✘' "$log" >&2 || true
if [ "$status" -ne 0 ] || ! grep -q '^crash test: .*all found$' "$log"; then
    echo "crash test FAILED (exit $status); full log:" >&2
    cat "$log" >&2
    exit 1
fi
echo "crash test passed: $TRIALS trials in $(( $(date +%s) - start )) s" >&2

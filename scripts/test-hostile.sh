#!/usr/bin/env bash
# Hostile-input test of engramd (`make test-hostile`): starts a daemon on a throw-away store,
# runs scripts/hostile/fuzz.py against its Unix socket, stops it with SIGTERM, then requires
# `engram verify --data` to find the store consistent.
#
# Binaries come from ${BIN:-.build/debug} (`make test-hostile` builds them first; this script
# never builds). Arguments go to the fuzzer, e.g.
#   scripts/test-hostile.sh --seed 7 --categories json,names
#   scripts/test-hostile.sh --report-only     # violations printed, not counted as failures
#
# The last line is always `N passed, N failed`: the fuzzer's checks (one per request and per
# liveness check) plus this script's own (daemon start, clean stop, verify). The exit status
# is non-zero when anything failed. The temp dir and the daemon are removed on every path.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=$(cd "${BIN:-.build/debug}" 2>/dev/null && pwd || echo "${BIN:-.build/debug}")
MODEL_DIR=${ENGRAM_MODEL_DIR:-$ROOT/.cache/models/all-MiniLM-L6-v2}
FUZZ="scripts/hostile/fuzz.py"
MAX_BODY=1048576
PASSED=0
FAILED=0
WORK=""
DAEMON_PID=""
CHILD_PID=""

pass() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

finish() {
    local status=$?
    [[ -n "$CHILD_PID" ]] && kill "$CHILD_PID" 2>/dev/null
    if [[ -n "$DAEMON_PID" ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    echo "$PASSED passed, $FAILED failed"
    if ((FAILED > 0 && status == 0)); then status=1; fi
    exit "$status"
}
trap finish EXIT
trap 'fail "interrupted"; exit 130' INT TERM

# Runs a command in the background and waits for it, so that a signal to this script is
# handled at once rather than after the command ends.
interruptible() {
    "$@" &
    CHILD_PID=$!
    wait "$CHILD_PID"
    local status=$?
    CHILD_PID=""
    return "$status"
}

require_binaries() {
    if [[ ! -x "$BIN/engramd" || ! -x "$BIN/engram" ]]; then
        fail "no $BIN/engramd and $BIN/engram (build them first: swift build, or make test-hostile)"
        exit 1
    fi
}

write_config() {
    [[ -d "$MODEL_DIR" ]] || echo "warning: no model in $MODEL_DIR (make model); engramd will refuse to start"
    cat >"$WORK/engramd.toml" <<TOML
[server]
socket = "$WORK/engram.sock"
max_body_bytes = $MAX_BODY
log_level = "warning"

[storage]
data_dir = "$WORK/data"
durability = "relaxed"

[embedding]
model_dir = "$MODEL_DIR"
TOML
}

# Starts engramd in the temp dir (relative paths a probe sends land there) and waits up to
# 60 s for GET /v1/health to answer 200.
start_daemon() {
    (cd "$WORK" && OPENBLAS_NUM_THREADS=1 ENGRAM_MODEL_DIR="$MODEL_DIR" \
        exec "$BIN/engramd" --config "$WORK/engramd.toml") 2>"$WORK/engramd.log" &
    DAEMON_PID=$!
    local tries
    for ((tries = 0; tries < 120; tries++)); do
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            wait "$DAEMON_PID"
            fail "engramd exited with status $? before answering; its log:"
            tail -n 20 "$WORK/engramd.log"
            exit 1
        fi
        if [[ -S "$WORK/engram.sock" ]] && python3 "$FUZZ" --socket "$WORK/engram.sock" --health; then
            pass "engramd (pid $DAEMON_PID) answers GET /v1/health"
            return
        fi
        sleep 0.5
    done
    fail "engramd did not answer GET /v1/health within 60s"
    exit 1
}

# The fuzzer's checks count one by one (from its summary); with --report-only its
# violations are printed but not counted.
run_fuzzer() {
    interruptible timeout 300 python3 "$FUZZ" --socket "$WORK/engram.sock" --pid "$DAEMON_PID" \
        --max-body "$MAX_BODY" --workdir "$WORK" --summary-json "$WORK/summary.json" "$@"
    local status=$?
    if [[ ! -f "$WORK/summary.json" ]]; then
        fail "the fuzzer stopped without a summary (status $status)"
        return
    fi
    local counts
    counts=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["passed"], 0 if s["report_only"] else s["failed"])' "$WORK/summary.json")
    PASSED=$((PASSED + ${counts% *}))
    FAILED=$((FAILED + ${counts#* }))
}

# SIGTERM must drain and exit 0 within 30 s; a daemon that already died fails here too.
stop_daemon() {
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
        wait "$DAEMON_PID"
        fail "engramd was already dead (exit status $?) before SIGTERM"
        DAEMON_PID=""
        return
    fi
    kill -TERM "$DAEMON_PID"
    local tries
    for ((tries = 0; tries < 60; tries++)); do
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        fail "engramd still running 30s after SIGTERM"
        kill -KILL "$DAEMON_PID"
    fi
    wait "$DAEMON_PID"
    local status=$?
    DAEMON_PID=""
    if ((status == 0)); then
        pass "engramd stopped cleanly on SIGTERM"
    else
        fail "engramd exited with status $status on SIGTERM"
    fi
}

verify_store() {
    local output status
    output=$("$BIN/engram" verify --data "$WORK/data" --json 2>&1)
    status=$?
    if ((status == 0)) && grep -q '"consistent":true' <<<"$output"; then
        pass "engram verify --data: consistent"
    else
        fail "engram verify --data (status $status): $output"
    fi
}

# What the daemon logged (a crash report, the errors behind 5xx), so a failure comes with
# its cause: the crash report's head, then each distinct log line with its count.
show_daemon_log() {
    local log="$WORK/engramd.log"
    [[ -s "$log" ]] || return
    echo "--- engramd log ---"
    grep -m1 -A30 "Program crashed" "$log"
    grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$log" | cut -d' ' -f2- | sort | uniq -c | sort -rn | head -n 20
}

require_binaries
WORK=$(mktemp -d "${TMPDIR:-/tmp}/engram-hostile.XXXXXX")
write_config
start_daemon
run_fuzzer "$@"
stop_daemon
verify_store
((FAILED > 0)) && show_daemon_log
exit 0

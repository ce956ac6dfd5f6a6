#!/usr/bin/env bash
# Crash test of the whole daemon: engramd is killed with SIGKILL while concurrent clients
# write to it over its Unix socket, restarted on the same data directory, and checked: every
# write it acknowledged (2xx) survived in the acknowledged state or the in-flight successor,
# no acknowledged delete came back, every batch write (POST …/memories/batch) is stored whole
# or not at all (an acknowledged one whole, its invalid items answered failed and absent),
# a search by vector finds each surviving entry written in the trial (batch items: a sample;
# and a seeded sample of older ones), the audit log holds every acknowledged event,
# and after a clean SIGTERM `engram verify --data DIR` reports the store consistent.
#
# One trial:
#   start engramd (sync durability) -> wait for health -> K writers (scripts/crash-daemon/
#   writers.py: creates with vectors, PATCH edits, feedback, soft and hard deletes, import
#   batches; beside them BATCH_WRITERS writers of POST …/memories/batch, 1-300 items with
#   vectors, some items invalid; each acknowledged write fsynced to a log after its answer)
#   -> kill -9 a seeded 0.3-2.5 s after the first acknowledged write -> restart -> check
#   over the socket -> SIGTERM -> engram verify --data.
# Consecutive trials reuse the data directory (recovery after recovery; every earlier
# trial's state must survive too); a fresh one every --fresh-every trials and after a failure.
#
#   scripts/crash-test-daemon.sh [TRIALS] [--seed N] [--writers K] [--fresh-every M] [--keep]
#   environment: BIN (default .build/debug: engramd and engram), SEED, WRITERS, FRESH_EVERY,
#                BATCH_WRITERS (default 1; 0 leaves the batch route out),
#                TMPDIR (where the temporary directories go)
#
# Prints one line per trial, then `N passed, N failed`; exits 1 when any trial failed,
# 2 on a usage or set-up error. Daemons and temporary directories are cleaned up on every
# path (--keep leaves the directories for inspection). Binaries are never built here.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
HELPER="$REPO/scripts/crash-daemon/writers.py"

TRIALS=10
SEED="${SEED:-}"
WRITERS="${WRITERS:-4}"
BATCH_WRITERS="${BATCH_WRITERS:-1}"
FRESH_EVERY="${FRESH_EVERY:-4}"
KEEP=0
BIN="${BIN:-.build/debug}"
NAMESPACE="crash"
DIMENSION=16
HEALTH_TIMEOUT=60      # seconds for engramd to answer /v1/health after a start
STOP_TIMEOUT=30        # seconds for engramd to exit after SIGTERM
STEP_TIMEOUT=300       # seconds for any one helper or CLI step (check, verify)

WORKROOT=""
DAEMON_PID=""
WRITERS_PID=""

usage() {
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

die() {
    echo "crash-test-daemon: $*" >&2
    exit 2
}

# Every exit path: stop what this script started (by pid only), then remove the temporaries.
cleanup() {
    if [ -n "$WRITERS_PID" ]; then kill -TERM "$WRITERS_PID" 2>/dev/null; wait "$WRITERS_PID" 2>/dev/null; fi
    if [ -n "$DAEMON_PID" ]; then kill -KILL "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; fi
    WRITERS_PID=""
    DAEMON_PID=""
    if [ -n "$WORKROOT" ] && [ -d "$WORKROOT" ]; then
        if [ "$KEEP" = 1 ]; then echo "kept $WORKROOT" >&2; else rm -rf "$WORKROOT"; fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

parse_arguments() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
            --seed=*) SEED="${1#*=}"; shift ;;
            --writers) WRITERS="${2:?--writers needs a value}"; shift 2 ;;
            --fresh-every) FRESH_EVERY="${2:?--fresh-every needs a value}"; shift 2 ;;
            --keep) KEEP=1; shift ;;
            -h|--help) usage ;;
            [0-9]*) TRIALS="$1"; shift ;;
            *) echo "unknown argument: $1" >&2; usage ;;
        esac
    done
    [ -n "$TRIALS" ] || TRIALS=10
    for value in "$TRIALS" "$WRITERS" "$FRESH_EVERY"; do
        [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] || die "trials, writers and fresh-every must be positive integers"
    done
    [[ "$BATCH_WRITERS" =~ ^[0-9]+$ ]] || die "BATCH_WRITERS must be a non-negative integer"
    if [ -z "$SEED" ]; then SEED=$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 )); fi
    [[ "$SEED" =~ ^[0-9]+$ ]] || die "the seed must be a non-negative integer"
}

# The binaries come from someone else's build; this script only checks they are there.
check_prerequisites() {
    [ -x "$BIN/engramd" ] || die "$BIN/engramd not found (build first, e.g. swift build; or set BIN)"
    [ -x "$BIN/engram" ] || die "$BIN/engram not found (build first, or set BIN)"
    [ -d "$REPO/.cache/models/all-MiniLM-L6-v2" ] || die "no model in .cache/models/all-MiniLM-L6-v2 (make model)"
    command -v python3 >/dev/null || die "python3 is needed"
    BIN="$(cd "$BIN" && pwd)"
}

# Copies engramd and engram into the work root: every trial runs the same build even when
# someone rebuilds .build/debug meanwhile (a rebuild mid-run made a start fail with ETXTBSY).
snapshot_binaries() {
    mkdir -p "$WORKROOT/bin"
    cp "$BIN/engramd" "$BIN/engram" "$WORKROOT/bin/" || die "cannot copy the binaries from $BIN"
    BIN_SOURCE="$BIN"
    BIN="$WORKROOT/bin"
    "$BIN/engramd" --version >/dev/null 2>&1 && "$BIN/engram" --version >/dev/null 2>&1 \
        || die "the binaries in $BIN_SOURCE do not run (a build in progress?)"
}

helper() {
    timeout --kill-after=10 "$STEP_TIMEOUT" python3 "$HELPER" "$@"
}

now() {
    date +%s.%N
}

elapsed() {  # elapsed START -> seconds since START, one decimal
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# A fresh set: data directory, socket, configuration, the writers' logs and the known state.
new_set() {
    local set="$1"
    mkdir -p "$set/data" "$set/logs"
    SOCKET="$set/engramd.sock"
    [ "${#SOCKET}" -le 107 ] || die "socket path too long (${#SOCKET} bytes): set TMPDIR to a shorter directory"
    cat >"$set/engramd.toml" <<EOF
[server]
socket = "$SOCKET"
log_level = "warning"

[storage]
data_dir = "$set/data"
durability = "sync"

[embedding]
model_dir = "$REPO/.cache/models/all-MiniLM-L6-v2"
EOF
}

process_alive() {  # alive (not exited, not a zombie awaiting `wait`)
    local state
    state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

start_daemon() {
    OPENBLAS_NUM_THREADS=1 "$BIN/engramd" --config "$SET/engramd.toml" >>"$SET/engramd.log" 2>&1 &
    DAEMON_PID=$!
    helper wait-health --socket "$SOCKET" --timeout "$HEALTH_TIMEOUT" --pid "$DAEMON_PID" 2>>"$SET/trial.err"
}

kill_daemon() {
    local pid="$DAEMON_PID"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    DAEMON_PID=""
}

# SIGTERM, then up to STOP_TIMEOUT s for a clean exit (status 0); SIGKILL and fail otherwise.
stop_daemon() {
    local pid="$DAEMON_PID" deadline status
    kill -TERM "$pid" 2>/dev/null
    deadline=$(( SECONDS + STOP_TIMEOUT ))
    while process_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
    if process_alive "$pid"; then
        echo "engramd did not exit within $STOP_TIMEOUT s of SIGTERM" >>"$SET/trial.err"
        kill_daemon
        return 1
    fi
    wait "$pid"
    status=$?
    DAEMON_PID=""
    if [ "$status" -ne 0 ]; then
        echo "engramd exited with status $status after SIGTERM" >>"$SET/trial.err"
        return 1
    fi
}

# The writers run in the background until the kill. The seeded delay counts from their first
# acknowledged write (waited for at most 60 s), so a slow start never makes a trial write nothing.
write_and_kill() {
    local trial="$1" delay="$2" started="$SET/writers.started" deadline
    rm -f "$started"
    timeout --kill-after=10 "$STEP_TIMEOUT" python3 "$HELPER" write --socket "$SOCKET" \
        --namespace "$NAMESPACE" --dimension "$DIMENSION" --workdir "$SET" --trial "$trial" \
        --writers "$WRITERS" --batch-writers "$BATCH_WRITERS" --seed "$SEED" --max-seconds 60 --started-file "$started" \
        >"$SET/writers.out" 2>>"$SET/trial.err" &
    WRITERS_PID=$!
    deadline=$(( SECONDS + 60 ))
    while [ ! -e "$started" ] && process_alive "$WRITERS_PID" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.02; done
    sleep "$delay"
    if ! process_alive "$DAEMON_PID"; then
        echo "engramd exited on its own during the writes" >>"$SET/trial.err"
        wait "$DAEMON_PID" 2>/dev/null
        DAEMON_PID=""
        wait "$WRITERS_PID" 2>/dev/null
        WRITERS_PID=""
        return 1
    fi
    kill_daemon
    wait "$WRITERS_PID"
    local status=$?
    WRITERS_PID=""
    [ "$status" -eq 0 ] || { echo "writers failed (status $status)" >>"$SET/trial.err"; return 1; }
}

# `engram verify --data DIR --json` (exit 0, 7 on problems) must say consistent.
verify_offline() {
    local out status
    out=$(timeout --kill-after=10 "$STEP_TIMEOUT" "$BIN/engram" verify --data "$SET/data" --json 2>>"$SET/trial.err")
    status=$?
    if [ "$status" -ne 0 ] || ! printf '%s' "$out" | python3 -c \
        'import json, sys; sys.exit(0 if json.load(sys.stdin).get("consistent") is True else 1)' 2>/dev/null; then
        echo "engram verify --data $SET/data: status $status: $out" >>"$SET/trial.err"
        return 1
    fi
}

# key=value from the helper's summary line (0 when absent).
field() {
    local key="$1" line="$2" pair
    for pair in $line; do
        if [ "${pair%%=*}" = "$key" ]; then echo "${pair#*=}"; return; fi
    done
    echo 0
}

# One trial on the current set; sets CHECK_LINE and STAGE (where it failed).
run_trial() {
    local trial="$1" first_run="$2" delay
    CHECK_LINE=""
    KILL_DELAY="-"
    delay=$(python3 "$HELPER" kill-delay --seed "$SEED" --trial "$trial") || { STAGE="kill-delay"; return 1; }
    KILL_DELAY="$delay"
    STAGE="start"; start_daemon || return 1
    if [ "$first_run" = 1 ]; then
        STAGE="setup"
        helper setup --socket "$SOCKET" --namespace "$NAMESPACE" --dimension "$DIMENSION" 2>>"$SET/trial.err" || return 1
    fi
    STAGE="write+kill"; write_and_kill "$trial" "$delay" || return 1
    STAGE="restart"; start_daemon || return 1
    STAGE="check"
    CHECK_LINE=$(helper check --socket "$SOCKET" --namespace "$NAMESPACE" --workdir "$SET" \
        --trial "$trial" --seed "$SEED" 2>>"$SET/trial.err") || return 1
    STAGE="stop"; stop_daemon || return 1
    STAGE="verify"; verify_offline || return 1
    STAGE=""
}

report_failure() {
    echo "    failed at: $STAGE; reproduce with: SEED=$SEED WRITERS=$WRITERS BATCH_WRITERS=$BATCH_WRITERS FRESH_EVERY=$FRESH_EVERY" \
         "scripts/crash-test-daemon.sh $TRIALS  (trial $1, run $2 on its data directory)" >&2
    sed 's/^/    /' "$SET/trial.err" | tail -n 40 >&2
    if [ -s "$SET/engramd.log" ]; then
        echo "    engramd log (last lines):" >&2
        tail -n 15 "$SET/engramd.log" | sed 's/^/    /' >&2
    fi
}

main() {
    parse_arguments "$@"
    check_prerequisites
    WORKROOT="$(mktemp -d "${TMPDIR:-/tmp}/engram-crash.XXXXXX")" || die "mktemp failed"
    snapshot_binaries
    echo "crash-test-daemon: $TRIALS trials, seed $SEED, $WRITERS writers + $BATCH_WRITERS batch writers, fresh data directory every $FRESH_EVERY trials, binaries from $BIN_SOURCE"

    local started passed=0 failed=0 acknowledged=0 lost=0 applied=0 sets=0 run=0 trial t0 line status
    local batches=0 batch_items=0 batch_refused=0 batch_lost=0 half_written=0 batch_inflight=0 batch_committed=0
    started=$(now)
    for (( trial = 1; trial <= TRIALS; trial++ )); do
        if [ "$run" -eq 0 ] || [ "$run" -ge "$FRESH_EVERY" ]; then
            sets=$(( sets + 1 )); run=0
            [ "$KEEP" = 1 ] || [ -z "${SET:-}" ] || rm -rf "$SET"
            SET="$WORKROOT/set-$sets"
            new_set "$SET"
        fi
        run=$(( run + 1 ))
        : >"$SET/trial.err"
        t0=$(now)
        run_trial "$trial" "$([ "$run" -eq 1 ] && echo 1 || echo 0)"
        status=$?
        line="$CHECK_LINE"
        acknowledged=$(( acknowledged + $(field acknowledged "$line") ))
        lost=$(( lost + $(field lost "$line") ))
        applied=$(( applied + $(field applied "$line") ))
        batches=$(( batches + $(field batches "$line") ))
        batch_items=$(( batch_items + $(field batch_items "$line") ))
        batch_refused=$(( batch_refused + $(field batch_refused "$line") ))
        batch_lost=$(( batch_lost + $(field batch_lost "$line") ))
        half_written=$(( half_written + $(field half_written "$line") ))
        batch_inflight=$(( batch_inflight + $(field batch_inflight "$line") ))
        batch_committed=$(( batch_committed + $(field batch_committed "$line") ))
        printf 'trial %3d/%d %-6s set %d run %d  kill at %5s s  acknowledged %4s  known ids %4s  lost %s  in flight %s (committed %s: %s)  batches %s / %s items (refused %s, half-written %s)  searched %s  %s s\n' \
            "$trial" "$TRIALS" "$([ $status -eq 0 ] && echo ok || echo "FAIL:$STAGE")" "$sets" "$run" "$KILL_DELAY" \
            "$(field acknowledged "$line")" "$(field checked "$line")" "$(field lost "$line")" \
            "$(field inflight "$line")" "$(field applied "$line")" "$(field applied_kinds "$line")" \
            "$(field batches "$line")" "$(field batch_items "$line")" "$(field batch_refused "$line")" \
            "$(field half_written "$line")" "$(field searched "$line")" "$(elapsed "$t0")"
        if [ "$status" -eq 0 ]; then
            passed=$(( passed + 1 ))
        else
            failed=$(( failed + 1 ))
            report_failure "$trial" "$run"
            [ -n "$WRITERS_PID" ] && { kill -TERM "$WRITERS_PID" 2>/dev/null; wait "$WRITERS_PID" 2>/dev/null; WRITERS_PID=""; }
            [ -n "$DAEMON_PID" ] && kill_daemon
            run=0   # a failed set's state is unreliable: the next trial starts a fresh one
        fi
    done
    echo "crash-test-daemon: seed $SEED: $acknowledged acknowledged writes checked, $lost lost," \
         "$applied in-flight writes found committed, $sets data directories, $(elapsed "$started") s"
    echo "crash-test-daemon: batch route: $batches batches / $batch_items items acknowledged (in the writes above)," \
         "$batch_lost lost, $half_written half-written, $batch_refused invalid items refused," \
         "$batch_committed of $batch_inflight unanswered batches found committed whole"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

main "$@"

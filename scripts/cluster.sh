#!/usr/bin/env bash
# A local replicated deployment: three nats-servers clustered with JetStream and three engramd
# nodes joined to it, each with its own socket and data directory.
#
#   scripts/cluster.sh start    # sockets run/node1.sock, run/node2.sock, run/node3.sock
#   scripts/cluster.sh stop     # SIGTERM everything it started, wait for it to exit
#   scripts/cluster.sh status
#
#   environment: BIN (directory holding engramd; default .build/release),
#                CLUSTER_DIR (state, logs and pid files; default run/cluster),
#                NATS_PORT (first client port, default 4222: 4222-4224; cluster routes 6222-6224),
#                LEASE_SECONDS (default 10), ENGRAM_MODEL_DIR (default .cache/models/all-MiniLM-L6-v2)
#
# Stopping keeps the data: start again and each node resumes where it stopped. Remove
# CLUSTER_DIR for a fresh deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.build/release}"
DIR="${CLUSTER_DIR:-run/cluster}"
NATS_PORT="${NATS_PORT:-4222}"
LEASE_SECONDS="${LEASE_SECONDS:-10}"
MODEL_DIR="${ENGRAM_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}"
NODES=(1 2 3)

die() { echo "cluster: $*" >&2; exit 1; }

nats_binary() {
    for candidate in /usr/sbin/nats-server /usr/bin/nats-server /usr/local/bin/nats-server; do
        [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
    command -v nats-server || die "nats-server is not installed (make deps installs it)"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    [ -x "$BIN/engramd" ] || die "$BIN/engramd is missing: build it first (make cluster does)"
    local nats; nats="$(nats_binary)"
    mkdir -p "$DIR" run
    local routes=""
    for n in "${NODES[@]}"; do routes+="${routes:+,}nats://127.0.0.1:$((NATS_PORT + 2000 + n - 1))"; done
    for n in "${NODES[@]}"; do
        alive "$DIR/nats$n.pid" && continue
        mkdir -p "$DIR/nats$n"
        cat > "$DIR/nats$n.conf" <<CONF
server_name: nats$n
listen: 127.0.0.1:$((NATS_PORT + n - 1))
max_payload: 8MB
jetstream { store_dir: "$DIR/nats$n" }
cluster { name: engram, listen: 127.0.0.1:$((NATS_PORT + 2000 + n - 1)), routes: [$(echo "$routes" | sed 's/,/, /g')] }
CONF
        "$nats" -c "$DIR/nats$n.conf" >> "$DIR/nats$n.log" 2>&1 &
        echo $! > "$DIR/nats$n.pid"
    done
    local servers
    for n in "${NODES[@]}"; do
        alive "$DIR/node$n.pid" && continue
        # Each node names its own NATS server first, then the others.
        servers="nats://127.0.0.1:$((NATS_PORT + n - 1))"
        for m in "${NODES[@]}"; do [ "$m" = "$n" ] || servers+=",nats://127.0.0.1:$((NATS_PORT + m - 1))"; done
        mkdir -p "$DIR/node$n"
        ENGRAM_SOCKET="run/node$n.sock" ENGRAM_DATA_DIR="$DIR/node$n/data" ENGRAM_MODEL_DIR="$MODEL_DIR" \
            ENGRAM_CLUSTER_NODE_ID="node$n" ENGRAM_CLUSTER_SERVERS="$servers" ENGRAM_CLUSTER_REPLICAS=3 \
            ENGRAM_CLUSTER_LEASE_SECONDS="$LEASE_SECONDS" OPENBLAS_NUM_THREADS=1 \
            "$BIN/engramd" >> "$DIR/node$n.log" 2>&1 &
        echo $! > "$DIR/node$n.pid"
    done
    for n in "${NODES[@]}"; do
        local ok=0
        for _ in $(seq 1 600); do
            if curl -sf --unix-socket "run/node$n.sock" http://engram/v1/cluster 2>/dev/null | grep -q '"connected":true'; then ok=1; break; fi
            alive "$DIR/node$n.pid" || break
            sleep 0.1
        done
        [ "$ok" = 1 ] || { tail -20 "$DIR/node$n.log" >&2; die "node$n did not join (log: $DIR/node$n.log)"; }
    done
    cat >&2 <<MSG
cluster: 3 NATS servers (127.0.0.1:$NATS_PORT-$((NATS_PORT + 2))) and 3 engramd nodes are up.
  write on any node:   curl --unix-socket run/node2.sock -X POST http://engram/v1/namespaces/demo/memories \\
                         -H 'content-type: application/json' -d '{"text":"the build server is ci-7"}' -i
  read on another:     curl --unix-socket run/node3.sock -H 'Engram-Min-Sequence: <Engram-Log-Sequence of the write>' \\
                         'http://engram/v1/namespaces/demo/memories'
  each node's view:    curl --unix-socket run/node1.sock http://engram/v1/cluster
  logs: $DIR/*.log     stop: make cluster-stop
MSG
}

stop() {
    for kind in node nats; do
        for n in "${NODES[@]}"; do
            local pidfile="$DIR/$kind$n.pid"
            alive "$pidfile" && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        done
        for n in "${NODES[@]}"; do
            local pidfile="$DIR/$kind$n.pid"
            for _ in $(seq 1 300); do alive "$pidfile" || break; sleep 0.1; done
            alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
            rm -f "$pidfile"
        done
    done
    echo "cluster: stopped (data kept in $DIR)" >&2
}

status() {
    for n in "${NODES[@]}"; do
        printf 'nats%s: %s  node%s: %s\n' "$n" "$(alive "$DIR/nats$n.pid" && echo up || echo down)" \
            "$n" "$(curl -sf --unix-socket "run/node$n.sock" http://engram/v1/cluster 2>/dev/null || echo down)"
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# One command for Engram's benchmark suite (issue 8): the ANN sweep of Engram and its peers
# (hnswlib, faiss-cpu, usearch), the socket benchmark (latency, concurrency, mixed load, text
# path, cold start, online rebuild), and a Markdown report with plots in results/<UTC time>/.
#
# Usage: scripts/bench-report.sh [options]
#   --dataset DIR        a folder with base.fvecs, queries.fvecs, gt.ivecs and optionally
#                        base.jsonl / queries.jsonl (default: ../shared/datasets/pypi-20k)
#   --base F --queries F --truth F [--base-texts F] [--query-texts F]
#                        TEXMEX files given one by one instead of --dataset
#   --corpus F.jsonl [--corpus-queries F.jsonl]
#                        a JSON Lines text corpus ({"text": ...} per line): embedded once with the
#                        built-in MiniLM into ~/.cache/engram-bench/datasets/ (cached) and used as
#                        the dataset; without --corpus-queries its last 500 lines are the queries
#   --M N --efc N --ef LIST   HNSW parameters and the ef sweep (16, 200, 10,16,32,64,128,256)
#   --engines LIST       peers to run (hnswlib,faiss,usearch; "none" skips them)
#   --socket-flags "…"   extra flags for engram-socket-bench (e.g. "--write-rate 100 --prompt-socket P")
#   --quick              fewer samples and a shorter mixed phase (a smoke run, not for figures)
#   --no-prompt          do not build and start engram-prompt (no /v1/prompt figure)
#   --locomo DIR         LoCoMo conversations for the retrieval-quality section (recall@k of
#                        vector, lexical and hybrid search; default ../shared/datasets/locomo-dev,
#                        skipped when absent; "none" skips it)
#   --out DIR            results root (default: results)
# Environment: SCRATCH (swift build scratch path, default .build), PYTHON (for the venv, default
# python3), ENGRAM_BENCH_VENV (default ~/.cache/engram-bench-venv), ENGRAM_MODEL_DIR.
#
# Prints the report's path on stdout; progress and each tool's log go to stderr and to logs in
# the results folder.
set -euo pipefail

die() { echo "bench-report: error: $*" >&2; exit 1; }
note() { echo "bench-report: $*" >&2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

dataset="" base="" queries="" truth="" base_texts="" query_texts="" corpus="" corpus_queries=""
m=16 efc=200 ef="10,16,32,64,128,256" engines="hnswlib,faiss,usearch" socket_flags="" quick=0 out_root="results"
with_prompt=1 locomo="../shared/datasets/locomo-dev"
while (($#)); do
    case "$1" in
        --dataset) dataset="$2"; shift 2 ;;
        --base) base="$2"; shift 2 ;;
        --queries) queries="$2"; shift 2 ;;
        --truth) truth="$2"; shift 2 ;;
        --base-texts) base_texts="$2"; shift 2 ;;
        --query-texts) query_texts="$2"; shift 2 ;;
        --corpus) corpus="$2"; shift 2 ;;
        --corpus-queries) corpus_queries="$2"; shift 2 ;;
        --M) m="$2"; shift 2 ;;
        --efc) efc="$2"; shift 2 ;;
        --ef) ef="$2"; shift 2 ;;
        --engines) engines="$2"; shift 2 ;;
        --socket-flags) socket_flags="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-prompt) with_prompt=0; shift ;;
        --locomo) locomo="$2"; shift 2 ;;
        --out) out_root="$2"; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done

scratch="${SCRATCH:-.build}"
python="${PYTHON:-python3}"
venv="${ENGRAM_BENCH_VENV:-$HOME/.cache/engram-bench-venv}"
export OPENBLAS_NUM_THREADS=1

# --- build (release) -------------------------------------------------------------------------
note "building engram-ann and engram-socket-bench (release, scratch path $scratch)"
swift build -c release --scratch-path "$scratch" --product engram-ann >&2
swift build -c release --scratch-path "$scratch" --product engram-socket-bench >&2
swift build -c release --scratch-path "$scratch" --product engramd >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
# engram-prompt, for the /v1/prompt figure; the suite still runs without it.
prompt_binary=""
if ((with_prompt)); then
    if swift build -c release --scratch-path "$scratch" --product engram-prompt >&2; then
        prompt_binary="$bin/engram-prompt"
    else
        note "engram-prompt does not build: /v1/prompt is not measured"
    fi
fi

# --- dataset -----------------------------------------------------------------------------------
if [[ -n "$corpus" ]]; then
    [[ -f "$corpus" ]] || die "no corpus file $corpus"
    key="$(printf '%s\n%s\n' "$(realpath "$corpus")" "${corpus_queries:+$(realpath "$corpus_queries")}" | sha256sum | cut -c1-12)"
    dataset="$HOME/.cache/engram-bench/datasets/$(basename "$corpus" .jsonl)-$key"
    note "embedding $corpus into $dataset (cached when unchanged)"
    "$bin/engram-socket-bench" prepare --base-jsonl "$corpus" ${corpus_queries:+--queries-jsonl "$corpus_queries"} \
        --out "$dataset" ${ENGRAM_MODEL_DIR:+--model "$ENGRAM_MODEL_DIR"}
fi
if [[ -z "$base" ]]; then
    dataset="${dataset:-../shared/datasets/pypi-20k}"
    [[ -d "$dataset" ]] || die "no dataset folder $dataset (give --dataset, --base/--queries/--truth or --corpus)"
    base="$dataset/base.fvecs" queries="$dataset/queries.fvecs" truth="$dataset/gt.ivecs"
    [[ -z "$base_texts" && -f "$dataset/base.jsonl" ]] && base_texts="$dataset/base.jsonl"
    [[ -z "$query_texts" && -f "$dataset/queries.jsonl" ]] && query_texts="$dataset/queries.jsonl"
fi
for f in "$base" "$queries" "$truth"; do [[ -f "$f" ]] || die "missing $f"; done

# --- Python venv for the peers and the plots ----------------------------------------------------
# Same packages as the Makefile's peers-deps, but in a venv of their own so the pins hold.
stamp="$venv/.engram-requirements"
want="$(cat Benchmarks/peers/requirements.txt Benchmarks/report/requirements.txt | sha256sum | cut -c1-16)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    note "installing the Python packages into $venv (hnswlib builds from source: about a minute)"
    "$python" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install -q -r Benchmarks/peers/requirements.txt -r Benchmarks/report/requirements.txt >&2
    echo "$want" > "$stamp"
fi

# --- run --------------------------------------------------------------------------------------
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
out="$out_root/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
note "results in $out"

metric=cosine peer_metric=ip
note "ANN sweep: Engram, int8 traversal (the default) and float traversal"
"$bin/engram-ann" --base "$base" --queries "$queries" --truth "$truth" --M "$m" --efc "$efc" --ef "$ef" \
    --metric "$metric" --quant int8 > "$out/ann.csv" 2> >(tee "$out/ann.log" >&2)
"$bin/engram-ann" --base "$base" --queries "$queries" --truth "$truth" --M "$m" --efc "$efc" --ef "$ef" \
    --metric "$metric" --quant none --no-header >> "$out/ann.csv" 2> >(tee -a "$out/ann.log" >&2)
if [[ "$engines" != "none" ]]; then
    note "ANN sweep: $engines"
    "$venv/bin/python" Benchmarks/peers/ann_peers.py --base "$base" --queries "$queries" --truth "$truth" \
        --M "$m" --efc "$efc" --ef "$ef" --metric "$peer_metric" --engines "$engines" --no-header \
        >> "$out/ann.csv" 2> >(tee "$out/peers.log" >&2)
fi

socket_args=(--base "$base" --queries "$queries" --truth "$truth" --M "$m" --efc "$efc" --json "$out/socket.json")
[[ -n "$base_texts" ]] && socket_args+=(--base-texts "$base_texts")
[[ -n "$query_texts" ]] && socket_args+=(--query-texts "$query_texts")
[[ -n "${ENGRAM_MODEL_DIR:-}" ]] && socket_args+=(--model "$ENGRAM_MODEL_DIR")
[[ -n "$prompt_binary" ]] && socket_args+=(--prompt-binary "$prompt_binary")
((quick)) && socket_args+=(--samples 500 --warm-up 50 --mixed-seconds 3)
note "socket benchmark"
# shellcheck disable=SC2086  # socket_flags is a list of flags on purpose
"$bin/engram-socket-bench" "${socket_args[@]}" $socket_flags 2> >(tee "$out/socket.log" >&2)

if [[ "$locomo" != "none" && -d "$locomo" ]]; then
    note "retrieval quality on $locomo"
    "$python" Benchmarks/retrieval/locomo.py --engramd "$bin/engramd" --data "$locomo" \
        --model "${ENGRAM_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}" --json "$out/retrieval.json" \
        > "$out/retrieval.txt" 2> >(tee "$out/retrieval.log" >&2)
elif [[ "$locomo" != "none" ]]; then
    note "no LoCoMo data in $locomo: the retrieval-quality section is skipped"
fi

# --- machine facts and the report ----------------------------------------------------------------
command="scripts/bench-report.sh --base $base --queries $queries --truth $truth --M $m --efc $efc --ef $ef --engines $engines"
[[ -n "$socket_flags" ]] && command+=" --socket-flags '$socket_flags'"
((quick)) && command+=" --quick"
BR_STARTED="$started" BR_DATASET="$base" BR_COMMAND="$command" BR_REPO="$repo_root" \
BR_PARAMETERS="M=$m efConstruction=$efc ef=$ef metric=$metric; every engine single-threaded" \
    "$venv/bin/python" - "$out/machine.json" <<'EOF'
import json, os, platform, subprocess, sys
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e:
        return f"unavailable ({e})"
def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"
env = os.environ
repo = env["BR_REPO"]
swift = run("swift", "--version").splitlines()
facts = {
    "started_at": env["BR_STARTED"],
    "dataset": env["BR_DATASET"],
    "command": env["BR_COMMAND"],
    "cpu": cpu_model(),
    "cores (nproc)": os.cpu_count(),
    "kernel": platform.release(),
    "os": run("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
    "swift": swift[0] if swift else "?",
    "engram commit": run("git", "-C", repo, "rev-parse", "--short", "HEAD")
        + (" (with local changes)" if run("git", "-C", repo, "status", "--porcelain") else ""),
    "python (peers, plots)": platform.python_version(),
    "peers": ", ".join(l.split("#")[0].strip() for l in open(os.path.join(repo, "Benchmarks/peers/requirements.txt"))
                       if l.split("#")[0].strip()),
    "parameters": env["BR_PARAMETERS"],
}
json.dump(facts, open(sys.argv[1], "w"), indent=2)
EOF
"$venv/bin/python" Benchmarks/report/report.py "$out"

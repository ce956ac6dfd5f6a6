#!/usr/bin/env python3
"""Bulk ingestion: `engram import-texts` (the batch route) against the embedder's own batched
throughput and against one remember per request, and vector-search latency while it runs.

For each corpus (pypi-20k's base texts; LoCoMo dev's dialog turns, one memory per turn as
"<speaker>: <text>"), side by side in one run, every daemon over a fresh store in a temporary
directory with the default configuration (lexical index on) and ENGRAM_DURABILITY=sync:
1. embedder: `engram-embed-bench --scenarios batch --threads T --batch-size 32` over the same
   texts (T = the cores by default): the texts/s the model itself reaches on T threads;
2. single: a fresh daemon, POST /v1/namespaces/single/memories for the first --single texts,
   one after another over one connection (the bodies are encoded beforehand);
3. bulk: a fresh daemon, `engram import-texts FILE --namespace bulk` over every text, timed end
   to end as a subprocess; then the namespace's entry_count must be the texts plus the one seed
   entry (the run fails otherwise);
4. search: on the bulk daemon, vector searches (k 10, pypi-20k's queries.fvecs) at a steady
   --search-rate (50/s) for --idle-seconds before the import (the namespace then holds the
   seed entry alone), then from a thread during the import (only those issued while it runs
   count), then idle again over the full store; p50/p99 of each.
Prints a table with the ratios and their targets: bulk/embedder >= 0.8, bulk/single >= 5,
p99 during load / p99 idle <= 3 (idle before the load; the ratio to idle over the full store
is printed too).

Standard library only. Usage:
  bulk_ingest.py [--engramd .build/release/engramd] [--engram .build/release/engram]
                 [--embed-bench .build/release/engram-embed-bench] [--model DIR]
                 [--pypi ../shared/datasets/pypi-20k] [--locomo ../shared/datasets/locomo-dev]
                 [--single 1000] [--limit N] [--threads T] [--batch-size 256] [--json FILE]
"""
import argparse
import glob
import json
import os
import platform
import random
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from locomo import Daemon, UnixHTTPConnection, percentile, turns  # noqa: E402

BULK_NAMESPACE = "bulk"
SINGLE_NAMESPACE = "single"
SEED_TEXT = "bulk ingestion benchmark: the entry that makes the namespace searchable before the load"
DAEMON_ENVIRONMENT = {"ENGRAM_DURABILITY": "sync"}
TARGETS = {"bulk_per_embedder": 0.8, "bulk_per_single": 5.0, "p99_load_per_idle": 3.0}


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- corpora -----------------------------------------------------------------------------------

def pypi_texts(directory):
    with open(os.path.join(directory, "base.jsonl")) as lines:
        return [json.loads(line)["text"] for line in lines if line.strip()]


def locomo_texts(directory):
    texts = []
    for path in sorted(glob.glob(os.path.join(directory, "conv-*.json"))):
        with open(path) as file:
            sample = json.load(file)
        conversation = sample["conversation"] if "conversation" in sample else sample
        texts += [text for _, text, _, _, _ in turns(conversation)]
    return texts


def corpora(args):
    """(name, texts) of each corpus whose directory is present; a message for each absent one."""
    found = []
    if os.path.isfile(os.path.join(args.pypi, "base.jsonl")):
        found.append(("pypi-20k", pypi_texts(args.pypi)))
    else:
        log(f"pypi-20k: no {os.path.join(args.pypi, 'base.jsonl')}: skipped")
    if glob.glob(os.path.join(args.locomo, "conv-*.json")):
        found.append(("locomo-dev", locomo_texts(args.locomo)))
    else:
        log(f"locomo-dev: no conversations (conv-*.json) in {args.locomo}: skipped")
    result = []
    for name, texts in found:
        texts = [text for text in texts if text.strip()]  # an empty text is no memory
        if args.limit:
            texts = texts[:args.limit]
        if texts:
            result.append((name, texts))
    return result


def write_jsonl(texts, path):
    """One {"text": ...} a line: what both import-texts and engram-embed-bench read."""
    with open(path, "w") as out:
        for text in texts:
            out.write(json.dumps({"text": text}) + "\n")


def query_vectors(path, dimension=384, fallback=200):
    """TEXMEX fvecs (int32 dimension, then that many float32, per vector); seeded random unit
    vectors of `dimension` when the file is absent."""
    if not os.path.isfile(path):
        log(f"no {path}: searching with {fallback} seeded random unit vectors of dimension {dimension}")
        generator = random.Random(7)
        vectors = []
        for _ in range(fallback):
            vector = [generator.gauss(0, 1) for _ in range(dimension)]
            norm = sum(x * x for x in vector) ** 0.5
            vectors.append([x / norm for x in vector])
        return vectors, "random"
    raw = open(path, "rb").read()
    vectors, offset = [], 0
    while offset < len(raw):
        (count,) = struct.unpack_from("<i", raw, offset)
        vectors.append(list(struct.unpack_from(f"<{count}f", raw, offset + 4)))
        offset += 4 + 4 * count
    return vectors, path


# --- measurements ------------------------------------------------------------------------------

def run_command(command, env=None, capture=True):
    """Runs `command`; (seconds, stdout). Fails loudly on a non-zero status."""
    log("$ " + shlex.join(command))
    start = time.perf_counter()
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE if capture else None, text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"{shlex.join(command)}: exit status {completed.returncode}\n{completed.stdout or ''}")
    return seconds, completed.stdout or ""


def embedder_throughput(args, corpus_file, count):
    """The batch scenario of engram-embed-bench over the same texts on --threads threads."""
    command = [args.embed_bench, "--model-dir", args.model, "--corpus", corpus_file,
               "--batch-texts", str(count), "--batch-size", str(args.embed_batch_size),
               "--threads", str(args.threads), "--scenarios", "batch", "--no-repeat", "--warmup", "0", "--json"]
    _, output = run_command(command, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    try:
        report = json.loads(output.strip().splitlines()[-1])
        batch = report["batch"]
        return {"texts_per_s": batch["texts_per_second"], "seconds": batch["seconds"], "texts": batch["texts"],
                "threads": report.get("threads", args.threads), "blas": report.get("blas"),
                "command": shlex.join(command)}
    except (ValueError, KeyError, IndexError) as error:
        raise SystemExit(f"cannot read engram-embed-bench's JSON ({error}): {output[-500:]!r}")


def post_all(connection, path, bodies, expected_status):
    for body in bodies:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        if response.status != expected_status:
            raise SystemExit(f"POST {path}: HTTP {response.status} {payload[:300]!r}")


def single_throughput(args, texts):
    """One POST /memories per text, sequentially over one connection, on a fresh daemon."""
    work = tempfile.mkdtemp(prefix="engram-bulk-single-")
    daemon = Daemon(args.engramd, args.model, work, environment=args.environment)
    try:
        daemon.call("PUT", f"/v1/namespaces/{SINGLE_NAMESPACE}")
        bodies = [json.dumps({"text": text}).encode() for text in texts]
        connection = UnixHTTPConnection(daemon.socket, timeout=120)
        start = time.perf_counter()
        post_all(connection, f"/v1/namespaces/{SINGLE_NAMESPACE}/memories", bodies, 201)
        seconds = time.perf_counter() - start
        connection.close()
        stored = daemon.call("GET", f"/v1/namespaces/{SINGLE_NAMESPACE}")["entry_count"]
        if stored != len(texts):
            raise SystemExit(f"single: {stored} entries stored, {len(texts)} expected")
        return {"texts": len(texts), "seconds": seconds, "texts_per_s": len(texts) / seconds}
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


def search_once(connection, path, body):
    """Latency (s) of one search; fails loudly on an error status."""
    start = time.perf_counter()
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"search: HTTP {response.status} {payload[:300]!r}")
    return start, elapsed


# Searches are paced (a steady query stream, as an application sends while a load runs), so
# that the searcher's own CPU does not take the cores the load is measured on.
SEARCH_RATE = 50.0  # searches per second, set by --search-rate


def set_search_rate(rate):
    global SEARCH_RATE
    SEARCH_RATE = max(0.1, rate)


def pace(next_start):
    """Sleeps until `next_start` (perf_counter seconds); the next slot."""
    delay = next_start - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    return max(next_start, time.perf_counter() - 1.0 / SEARCH_RATE) + 1.0 / SEARCH_RATE


def search_for(daemon, bodies, seconds):
    """Paced searches for `seconds`; their latencies (s)."""
    path = f"/v1/namespaces/{BULK_NAMESPACE}/search"
    connection = UnixHTTPConnection(daemon.socket, timeout=60)
    latencies, index = [], 0
    try:
        deadline = time.perf_counter() + seconds
        slot = time.perf_counter()
        while time.perf_counter() < deadline:
            slot = pace(slot)
            latencies.append(search_once(connection, path, bodies[index % len(bodies)])[1])
            index += 1
    finally:
        connection.close()
    return latencies


class LoadSearcher(threading.Thread):
    """Searches continuously until stopped; keeps (start, latency) of every search."""

    def __init__(self, daemon, bodies):
        super().__init__(daemon=True)
        self.socket, self.bodies = daemon.socket, bodies
        self.samples, self.error = [], None
        self.stopping = threading.Event()

    def run(self):
        path = f"/v1/namespaces/{BULK_NAMESPACE}/search"
        connection = UnixHTTPConnection(self.socket, timeout=120)
        index = 0
        try:
            slot = time.perf_counter()
            while not self.stopping.is_set():
                slot = pace(slot)
                self.samples.append(search_once(connection, path, self.bodies[index % len(self.bodies)]))
                index += 1
        except Exception as error:  # reported by the main thread
            self.error = error
        finally:
            connection.close()


def latency_figures(latencies):
    return {"n": len(latencies), "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000}


def bulk_load(args, texts, corpus_file, search_bodies):
    """import-texts over every text on a fresh daemon, with searches before, during and after."""
    work = tempfile.mkdtemp(prefix="engram-bulk-")
    daemon = Daemon(args.engramd, args.model, work, environment=args.environment)
    try:
        daemon.call("PUT", f"/v1/namespaces/{BULK_NAMESPACE}")
        daemon.call("POST", f"/v1/namespaces/{BULK_NAMESPACE}/memories", {"text": SEED_TEXT})
        search_for(daemon, search_bodies, 0.5)  # warm-up, not counted
        idle = search_for(daemon, search_bodies, args.idle_seconds)

        command = [args.engram, "import-texts", corpus_file, "--namespace", BULK_NAMESPACE,
                   "--batch-size", str(args.batch_size), *args.import_args, "--socket", daemon.socket]
        searcher = LoadSearcher(daemon, search_bodies)
        searcher.start()
        time.sleep(0.2)  # the searcher is under way when the import starts
        log("$ " + shlex.join(command))
        began = time.perf_counter()
        # stderr (the progress bar) goes to the terminal; stdout (the summary) is kept.
        completed = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        ended = time.perf_counter()
        searcher.stopping.set()
        searcher.join()
        if completed.returncode != 0:
            raise SystemExit(f"{shlex.join(command)}: exit status {completed.returncode}\n{completed.stdout}")
        if searcher.error is not None:
            raise SystemExit(f"searches during the load failed: {searcher.error}")
        during = [latency for start, latency in searcher.samples if began <= start < ended]

        # A fresh connection: the daemon closes one left idle through a long load.
        status, document = daemon.request("GET", f"/v1/namespaces/{BULK_NAMESPACE}")
        if status != 200:
            raise SystemExit(f"GET /v1/namespaces/{BULK_NAMESPACE}: {status} {document}")
        stored = document["entry_count"]
        if stored != len(texts) + 1:
            raise SystemExit(f"bulk: the namespace holds {stored} entries after import-texts, "
                             f"{len(texts) + 1} expected ({len(texts)} texts + 1 seed entry)\n"
                             f"import-texts printed:\n{completed.stdout}")
        idle_after = search_for(daemon, search_bodies, args.idle_seconds)
        seconds = ended - began
        return {"texts": len(texts), "seconds": seconds, "texts_per_s": len(texts) / seconds,
                "entry_count": stored, "command": shlex.join(command), "summary": completed.stdout.strip(),
                "search": {"idle": latency_figures(idle), "load": latency_figures(during),
                           "idle_after": latency_figures(idle_after)}}
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


def measure(args, name, texts, search_bodies):
    work = tempfile.mkdtemp(prefix="engram-bulk-texts-")
    try:
        corpus_file = os.path.join(work, f"{name}.jsonl")
        write_jsonl(texts, corpus_file)
        log(f"{name}: {len(texts)} texts")
        embedder = embedder_throughput(args, corpus_file, len(texts))
        log(f"{name}: embedder {embedder['texts_per_s']:.1f} texts/s on {embedder['threads']} threads")
        single = single_throughput(args, texts[:args.single])
        log(f"{name}: single {single['texts_per_s']:.1f} texts/s ({single['texts']} remembers)")
        bulk = bulk_load(args, texts, corpus_file, search_bodies)
        log(f"{name}: bulk {bulk['texts_per_s']:.1f} texts/s ({bulk['seconds']:.1f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    search = bulk["search"]
    return {"corpus": name, "texts": len(texts), "embedder": embedder, "single": single, "bulk": bulk,
            "ratios": {"bulk_per_embedder": bulk["texts_per_s"] / embedder["texts_per_s"],
                       "bulk_per_single": bulk["texts_per_s"] / single["texts_per_s"],
                       "p99_load_per_idle": search["load"]["p99_ms"] / search["idle"]["p99_ms"],
                       "p99_load_per_idle_after": search["load"]["p99_ms"] / search["idle_after"]["p99_ms"]}}


# --- report ------------------------------------------------------------------------------------

def version(binary):
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout.strip() or "?"
    except OSError:
        return "?"


def mark(value, target, at_least):
    if value != value:  # NaN: nothing measured
        return "  n/a"
    return " ok " if (value >= target if at_least else value <= target) else " MISS"


def report(args, results, queries_source):
    print(f"bulk ingestion: engramd {version(args.engramd)} ({args.engramd}), {version(args.engram)} ({args.engram}), "
          f"{args.embed_bench}; model {args.model}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
          f"daemon environment {' '.join(f'{k}={v}' for k, v in sorted(args.environment.items()))}, "
          f"otherwise the default configuration")
    print(f"search: vector, k 10, queries from {queries_source}, sequential; idle {args.idle_seconds:g} s before the load "
          f"(the seed entry alone) and after it (full store)")
    for result in results:
        print(f"{result['corpus']}:")
        print(f"  embedder: {result['embedder']['command']}")
        print(f"  bulk:     {result['bulk']['command']}")
        if result["bulk"]["summary"]:
            for line in result["bulk"]["summary"].splitlines():
                print(f"            | {line}")
    print()
    threads = results[0]["embedder"]["threads"] if results else args.threads
    header = (f"{'corpus':12} {'texts':>6} {f'embed/s T={threads}':>13} {'bulk/s':>8} {'bulk/emb':>9} {'single/s':>9} "
              f"{'bulk/single':>12} {'p99 idle ms':>12} {'p99 load ms':>12} {'load/idle':>10}")
    print(header)
    print("-" * len(header))
    for r in results:
        ratios, search = r["ratios"], r["bulk"]["search"]
        print(f"{r['corpus']:12} {r['texts']:6d} {r['embedder']['texts_per_s']:13.1f} {r['bulk']['texts_per_s']:8.1f} "
              f"{ratios['bulk_per_embedder']:5.2f}{mark(ratios['bulk_per_embedder'], TARGETS['bulk_per_embedder'], True)} "
              f"{r['single']['texts_per_s']:9.1f} "
              f"{ratios['bulk_per_single']:7.2f}{mark(ratios['bulk_per_single'], TARGETS['bulk_per_single'], True)} "
              f"{search['idle']['p99_ms']:12.2f} {search['load']['p99_ms']:12.2f} "
              f"{ratios['p99_load_per_idle']:5.2f}{mark(ratios['p99_load_per_idle'], TARGETS['p99_load_per_idle'], False)}")
    print(f"targets: bulk/embedder >= {TARGETS['bulk_per_embedder']}, bulk/single >= {TARGETS['bulk_per_single']}, "
          f"p99 load/idle <= {TARGETS['p99_load_per_idle']}")
    print()
    for r in results:
        search, bulk = r["bulk"]["search"], r["bulk"]
        print(f"{r['corpus']}: bulk {bulk['texts']} texts in {bulk['seconds']:.2f} s (entry_count {bulk['entry_count']}, "
              f"seed included); single {r['single']['texts']} remembers in {r['single']['seconds']:.2f} s; "
              f"embedder {r['embedder']['texts']} texts in {r['embedder']['seconds']:.2f} s")
        for kind, label in (("idle", "idle before"), ("load", "during load"), ("idle_after", "idle after")):
            figures = search[kind]
            print(f"  search {label:12} p50 {figures['p50_ms']:8.2f} ms  p99 {figures['p99_ms']:8.2f} ms  "
                  f"({figures['n']} searches)")
        print(f"  p99 during load / idle after (full store): {r['ratios']['p99_load_per_idle_after']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engramd", default=".build/release/engramd")
    parser.add_argument("--engram", default=".build/release/engram")
    parser.add_argument("--embed-bench", default=".build/release/engram-embed-bench")
    parser.add_argument("--model", default=os.environ.get("ENGRAM_MODEL_DIR", ".cache/models/all-MiniLM-L6-v2"))
    parser.add_argument("--pypi", default="../shared/datasets/pypi-20k",
                        help="a folder with base.jsonl (and queries.fvecs, the search queries for every corpus)")
    parser.add_argument("--locomo", default="../shared/datasets/locomo-dev", help="a folder of conv-*.json")
    parser.add_argument("--single", type=int, default=1000, help="texts remembered one per request")
    parser.add_argument("--limit", type=int, help="at most this many texts per corpus (a quick run)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="engram-embed-bench's threads (default: the cores)")
    parser.add_argument("--embed-batch-size", type=int, default=32, help="texts per embed call in engram-embed-bench")
    parser.add_argument("--batch-size", type=int, default=256, help="import-texts --batch-size")
    parser.add_argument("--import-args", default="",
                        help="more import-texts flags, one shell-quoted string (e.g. '--in-flight 2 --dedupe learn')")
    parser.add_argument("--daemon-env", action="append", default=[], metavar="KEY=VALUE",
                        help="more daemon configuration variables (e.g. ENGRAM_BATCH_EMBEDDING_THREADS=1)")
    parser.add_argument("--search-rate", type=float, default=SEARCH_RATE,
                        help="searches per second, before, during and after the load")
    parser.add_argument("--idle-seconds", type=float, default=15.0,
                        help="length of each idle search window (750 searches at 50/s: a p99 that is not one outlier)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    set_search_rate(args.search_rate)
    if args.single < 1 or args.threads < 1 or args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--single, --threads, --batch-size and --limit must be positive")
    args.import_args = shlex.split(args.import_args)
    args.environment = dict(DAEMON_ENVIRONMENT)
    for item in args.daemon_env:
        key, separator, value = item.partition("=")
        if not separator:
            parser.error(f"--daemon-env {item}: KEY=VALUE expected")
        args.environment[key] = value
    for binary in (args.engramd, args.engram, args.embed_bench):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"{binary} is not an executable (make bench-bulk builds it)")

    selected = corpora(args)
    if not selected:
        log("no corpus: nothing measured")
        return 0
    vectors, queries_source = query_vectors(os.path.join(args.pypi, "queries.fvecs"))
    search_bodies = [json.dumps({"vector": vector, "k": 10}).encode() for vector in vectors]
    results = [measure(args, name, texts, search_bodies) for name, texts in selected]
    report(args, results, queries_source)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"threads": args.threads, "batch_size": args.batch_size, "environment": args.environment,
                       "queries": queries_source, "targets": TARGETS, "corpora": results}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

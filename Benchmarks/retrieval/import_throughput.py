#!/usr/bin/env python3
"""Import throughput and store size of engramd, optionally side by side with a baseline build.

Each round starts the daemon over a fresh store in a temporary directory, creates one namespace,
imports a TEXMEX-style dataset's base rows (base.jsonl texts + base.fvecs vectors, ids row + 1)
through POST /v1/admin/import in batches, timing only the import calls (the bodies are built
beforehand), then reads the data file's size and the per-database page bytes from /metrics
(the lexical index's share). With --baseline, rounds alternate baseline / engramd so machine
noise falls on both alike; the ratio of the median throughputs is printed.

Standard library only. Usage:
  import_throughput.py --engramd .build/release/engramd [--baseline OTHER_ENGRAMD]
                       --data ../shared/datasets/pypi-20k [--rounds 3] [--batch 1000]
"""
import argparse
import base64
import json
import os
import shutil
import statistics
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from locomo import Daemon, UnixHTTPConnection, database_bytes  # noqa: E402

NAMESPACE = "imported"


def bodies(data, batch):
    """The import request bodies: every base row with its text and vector (as stored, base64)."""
    texts = [json.loads(line)["text"] for line in open(os.path.join(data, "base.jsonl"))]
    raw = open(os.path.join(data, "base.fvecs"), "rb").read()
    vectors, offset = [], 0
    while offset < len(raw):
        (dimension,) = struct.unpack_from("<i", raw, offset)
        vectors.append(raw[offset + 4:offset + 4 + 4 * dimension])
        offset += 4 + 4 * dimension
    if len(texts) != len(vectors):
        raise SystemExit(f"{len(texts)} texts but {len(vectors)} vectors")
    entries = [{"id": row + 1, "text": text, "vector_b64": base64.b64encode(vector).decode()}
               for row, (text, vector) in enumerate(zip(texts, vectors))]
    return dimension, len(entries), [json.dumps({"namespace": NAMESPACE, "entries": entries[i:i + batch]}).encode()
                                     for i in range(0, len(entries), batch)]


def round_trip(binary, model, dimension, count, requests):
    work = tempfile.mkdtemp(prefix="engram-import-")
    daemon = Daemon(binary, model, work)
    try:
        daemon.call("PUT", f"/v1/namespaces/{NAMESPACE}", {"dimension": dimension})
        connection = UnixHTTPConnection(daemon.socket, timeout=600)
        start = time.perf_counter()
        for body in requests:
            connection.request("POST", "/v1/admin/import", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            if response.status >= 300:
                raise SystemExit(f"import: HTTP {response.status} {payload[:300]!r}")
            if any(item["status"] != "created" for item in json.loads(payload)["results"]):
                raise SystemExit("import: not every entry was created")
        seconds = time.perf_counter() - start
        connection.close()
        return {"seconds": seconds, "entries_per_s": count / seconds,
                "data_file": os.path.getsize(os.path.join(daemon.data, "data.mdb")), "databases": database_bytes(daemon)}
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engramd", required=True)
    parser.add_argument("--baseline", help="another engramd to measure in alternating rounds")
    parser.add_argument("--model", default=os.environ.get("ENGRAM_MODEL_DIR", ".cache/models/all-MiniLM-L6-v2"))
    parser.add_argument("--data", required=True, help="a folder with base.jsonl and base.fvecs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.data, "base.jsonl")):
        print(f"no base.jsonl in {args.data}: skipped", file=sys.stderr)
        return 0
    dimension, count, requests = bodies(args.data, args.batch)
    builds = ([("baseline", args.baseline)] if args.baseline else []) + [("engramd", args.engramd)]
    runs = {name: [] for name, _ in builds}
    for number in range(args.rounds):
        for name, binary in builds:
            result = round_trip(binary, args.model, dimension, count, requests)
            runs[name].append(result)
            print(f"round {number + 1} {name}: {result['seconds']:.2f} s, {result['entries_per_s']:.0f} entries/s, "
                  f"data file {result['data_file'] / 1e6:.1f} MB", file=sys.stderr, flush=True)
    median = {name: statistics.median(r["entries_per_s"] for r in rounds) for name, rounds in runs.items()}
    print(f"import of {count} entries ({dimension}-d) in batches of {args.batch}, {args.rounds} rounds")
    for name, rounds in runs.items():
        each = ", ".join(f"{r['entries_per_s']:.0f}" for r in rounds)
        print(f"{name:9} median {median[name]:6.0f} entries/s  (rounds: {each})")
    if args.baseline:
        print(f"ratio engramd / baseline: {median['engramd'] / median['baseline']:.3f}")
    sizes = runs["engramd"][-1]["databases"]
    if sizes:
        used = sum(sizes.values())
        lexical = sizes.get("lexical_documents", 0) + sizes.get("lexical_stats", 0)
        print(f"store: {used / 1e6:.1f} MB of pages in use, of which the lexical index {lexical / 1e6:.2f} MB "
              f"({100 * lexical / max(used, 1):.1f}%); data file {runs['engramd'][-1]['data_file'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The PyTorch side of Engram's embedding benchmark: sentence-transformers all-MiniLM-L6-v2 on
PyTorch CPU, one thread, on the same texts as `engram-embed-bench`.

Usage:
  python pytorch_bench.py --model-dir DIR --single FILE --batch FILE [--batch-size 32]
                          [--warmup 20] [--repeat 1] [--json] [--dump-embeddings N]

FILE: JSON lines with a "text" field (the pypi-20k dataset format), or plain text lines.
  --single: each text is embedded alone (model.encode(text)), one call per text.
  --batch:  texts are embedded in consecutive groups of --batch-size (one encode call each),
            then all at once ("bulk": one encode call, which sorts by length and batches).
Prints texts/s and per-call latency percentiles (ms); with --json one JSON object, which
`engram-embed-bench --pytorch PYTHON` reads to print both sides together.

The model is loaded from the local directory only (HF_HUB_OFFLINE=1, no hub access).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402


def read_texts(path):
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("{"):
                texts.append(json.loads(line)["text"])
            else:
                texts.append(line)
    return texts


def percentile(sorted_values, fraction):
    """Nearest-rank percentile, the same definition engram-embed-bench uses."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-fraction * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def measure(calls, texts_per_call):
    latencies = []
    start = time.perf_counter()
    for call in calls:
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    latencies.sort()
    return {
        "calls": len(latencies),
        "texts": texts_per_call,
        "seconds": total,
        "texts_per_second": texts_per_call / total if total > 0 else float("nan"),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": sum(latencies) / len(latencies) * 1000 if latencies else float("nan"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--single", required=True, help="texts embedded one per call")
    parser.add_argument("--batch", required=True, help="texts embedded in groups of --batch-size")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dump-embeddings", type=int, default=0,
                        help="include the embeddings of the first N single texts in the JSON")
    args = parser.parse_args()

    torch.set_num_threads(1)
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.eval()
    single = read_texts(args.single)
    batch = read_texts(args.batch)
    if not single or not batch:
        sys.exit("pytorch_bench: no texts to embed")

    with torch.inference_mode():
        for text in single[: args.warmup]:
            model.encode(text)
        model.encode(batch[: args.batch_size], batch_size=args.batch_size)

        single_result = measure([lambda t=t: model.encode(t) for t in single], len(single))
        groups = [batch[i:i + args.batch_size] for i in range(0, len(batch), args.batch_size)]
        batch_result = measure(
            [lambda g=g: model.encode(g, batch_size=args.batch_size) for g in groups], len(batch))
        bulk_result = measure([lambda: model.encode(batch, batch_size=args.batch_size)], len(batch))
        dumped = []
        if args.dump_embeddings:
            dumped = model.encode(single[: args.dump_embeddings]).tolist()

    result = {
        "implementation": "sentence-transformers on PyTorch",
        "versions": {
            "torch": torch.__version__,
            "sentence_transformers": __import__("sentence_transformers").__version__,
            "transformers": __import__("transformers").__version__,
        },
        "threads": torch.get_num_threads(),
        "batch_size": args.batch_size,
        "single": single_result,
        "batch": batch_result,
        "bulk": bulk_result,
        "embeddings": dumped,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['implementation']} (torch {torch.__version__}, {result['threads']} thread)")
        for name in ("single", "batch", "bulk"):
            r = result[name]
            print(f"  {name:6}: {r['texts_per_second']:9.1f} texts/s   p50 {r['p50_ms']:8.2f} ms   "
                  f"p99 {r['p99_ms']:8.2f} ms   ({r['calls']} calls, {r['texts']} texts)")


if __name__ == "__main__":
    main()

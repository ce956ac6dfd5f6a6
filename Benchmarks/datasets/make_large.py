#!/usr/bin/env python3
"""A development dataset at scale from a file of real texts: the texts are cleaned, made
unique, kept apart from the development dataset's texts, shuffled (fixed seed) and embedded
by Engram's own embedder into TEXMEX datasets like pypi-20k (base.fvecs, queries.fvecs,
gt.ivecs with the exact top 100, base.jsonl, queries.jsonl), one per requested size, each in
OUT/<name>-<size>/. `engram-socket-bench prepare` does the embedding and the ground truth
(cached: a dataset whose inputs did not change is not embedded again).

Input: JSON Lines with a "text" string per line, or plain text, one text a line (chosen per
line: a line that parses as a JSON object with "text" is one). A text is kept when, with its
whitespace collapsed, it holds at least --min-words words and at most --max-chars characters;
the first of texts equal ignoring case is kept. Texts of the --exclude files (default:
pypi-20k's base.jsonl and queries.jsonl, when present) are dropped, so the sets stay disjoint
from the development dataset. The queries are the last --queries texts of the shuffled order,
so every size's queries are a sample of the same texts as its base.

Usage (make dataset-large TEXTS=... OUT=... [SIZES=200000,all]):
  make_large.py --texts FILE --out DIR [--sizes 200000,all] [--queries 1000] [--name NAME]
                [--bench .build/release/engram-socket-bench] [--threads N] [--model DIR]
Standard library only.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys

DEFAULT_EXCLUDE = ["../shared/datasets/pypi-20k/base.jsonl", "../shared/datasets/pypi-20k/queries.jsonl"]
SEED = 20261205


def log(message):
    print(message, file=sys.stderr, flush=True)


def text_of(line):
    """The text a line holds: a JSON object's "text", else the line itself."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(document, dict) and isinstance(document.get("text"), str):
            return document["text"]
    return stripped


def clean(text):
    return " ".join(text.split())


def read_texts(path):
    with open(path, encoding="utf-8", errors="replace") as source:
        for line in source:
            yield clean(text_of(line))


def key(text):
    return hashlib.blake2b(text.casefold().encode(), digest_size=16).digest()


def select(path, excluded, min_words, max_chars):
    """The usable texts of `path`, unique ignoring case, none of them in `excluded` (keys)."""
    seen = set(excluded)
    kept, counts = [], {"read": 0, "short": 0, "long": 0, "duplicate_or_excluded": 0}
    for text in read_texts(path):
        counts["read"] += 1
        if len(text.split()) < min_words:
            counts["short"] += 1
            continue
        if len(text) > max_chars:
            counts["long"] += 1
            continue
        k = key(text)
        if k in seen:
            counts["duplicate_or_excluded"] += 1
            continue
        seen.add(k)
        kept.append(text)
    return kept, counts


def parse_sizes(value):
    sizes = []
    for item in value.split(","):
        item = item.strip()
        if item == "all":
            sizes.append(None)
        elif item.isdigit() and int(item) > 0:
            sizes.append(int(item))
        else:
            raise argparse.ArgumentTypeError(f"--sizes: {item!r} is neither a positive count nor 'all'")
    return sizes


def write_jsonl(texts, path):
    """Writes one {"text": ...} a line, leaving a file that already holds exactly that alone
    (prepare's cache goes by the file's size and modification time)."""
    content = "".join(json.dumps({"text": text}, ensure_ascii=False) + "\n" for text in texts).encode()
    if os.path.isfile(path):
        with open(path, "rb") as existing:
            if existing.read() == content:
                return
    with open(path, "wb") as out:
        out.write(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", required=True, help="JSON Lines with \"text\", or plain text, one per line")
    parser.add_argument("--out", required=True, help="folder for the datasets (outside the repository)")
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("200000,all"),
                        help="base sizes, comma-separated; 'all': every text left (default 200000,all)")
    parser.add_argument("--queries", type=int, default=1000, help="held-out query texts (default 1000)")
    parser.add_argument("--name", help="dataset name prefix (default: the texts file's name)")
    parser.add_argument("--exclude", action="append", help="texts to leave out (JSON Lines or plain); "
                        "default: pypi-20k's base.jsonl and queries.jsonl when present")
    parser.add_argument("--min-words", type=int, default=4)
    parser.add_argument("--max-chars", type=int, default=2000)
    parser.add_argument("--bench", default=".build/release/engram-socket-bench")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="embedding threads")
    parser.add_argument("--model", default=os.environ.get("ENGRAM_MODEL_DIR"))
    args = parser.parse_args()
    if args.queries < 1 or args.min_words < 1 or args.max_chars < 1 or args.threads < 1:
        parser.error("--queries, --min-words, --max-chars and --threads must be positive")
    if not os.access(args.bench, os.X_OK):
        parser.error(f"{args.bench} is not an executable (make dataset-large builds it)")

    exclude_files = args.exclude if args.exclude is not None else [p for p in DEFAULT_EXCLUDE if os.path.isfile(p)]
    excluded = {key(text) for path in exclude_files for text in read_texts(path) if text}
    log(f"excluding {len(excluded)} texts of {', '.join(exclude_files) or 'no file'}")
    texts, counts = select(args.texts, excluded, args.min_words, args.max_chars)
    log(f"{args.texts}: {counts['read']} lines, {len(texts)} texts kept ({counts['short']} under "
        f"{args.min_words} words, {counts['long']} over {args.max_chars} characters, "
        f"{counts['duplicate_or_excluded']} repeated or excluded)")
    if len(texts) <= args.queries:
        raise SystemExit(f"{len(texts)} usable texts: not more than --queries {args.queries}")
    random.Random(SEED).shuffle(texts)
    queries, pool = texts[-args.queries:], texts[:-args.queries]
    name = args.name or os.path.splitext(os.path.basename(args.texts))[0]
    os.makedirs(args.out, exist_ok=True)
    queries_path = os.path.join(args.out, f"{name}-queries.jsonl")
    write_jsonl(queries, queries_path)
    made = []
    for size in dict.fromkeys(min(size or len(pool), len(pool)) for size in args.sizes):
        corpus_path = os.path.join(args.out, f"{name}-{size}.jsonl")
        write_jsonl(pool[:size], corpus_path)
        folder = os.path.join(args.out, f"{name}-{size}")
        command = [args.bench, "prepare", "--base-jsonl", corpus_path, "--queries-jsonl", queries_path,
                   "--out", folder, "--threads", str(args.threads)]
        if args.model:
            command += ["--model", args.model]
        log("$ " + " ".join(command))
        subprocess.run(command, check=True)
        made.append((size, folder))
    for size, folder in made:
        print(f"{folder}: {size} base vectors, {args.queries} queries "
              f"(make ann BASE={folder}/base.fvecs QUERIES={folder}/queries.fvecs TRUTH={folder}/gt.ivecs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Conversational-memory retrieval on LoCoMo (the protocol of the dataset's README).

Starts engramd over a fresh store in a temporary directory, stores every dialog turn of every
conversation as one memory ("<speaker>: <text>", with its dia_id, session and session date as
metadata; one namespace per conversation), asks every question of categories 1-4 as a text
search in its conversation's namespace, and reports recall@k (the fraction of a question's
evidence turns among the top k, averaged over questions) and hit@k (at least one), per
conversation and overall, with the search latency seen by the client and the store's size.

Standard library only. Usage:
  locomo.py --engramd .build/release/engramd --model DIR --data ../shared/datasets/locomo-dev
            [--modes vector] [--k 1,5,10,20] [--json results.json]
A mode other than "vector" is sent as the search's "mode" member.
"""
import argparse
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("engram", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Daemon:
    """engramd on a socket in `work`, its store in `work/data`."""

    def __init__(self, binary, model, work):
        self.socket = os.path.join(work, "d.sock")
        self.data = os.path.join(work, "data")
        env = dict(os.environ, ENGRAM_SOCKET=self.socket, ENGRAM_DATA_DIR=self.data, ENGRAM_MODEL_DIR=model,
                   ENGRAM_BACKUP_DIRS=os.path.join(work, "backups"), ENGRAM_LOG_LEVEL="warning",
                   OPENBLAS_NUM_THREADS="1")
        config = os.path.join(work, "engramd.toml")  # empty: the defaults, then the environment above
        open(config, "w").close()
        self.process = subprocess.Popen([binary, "--config", config], env=env)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.request("GET", "/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"engramd exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit("engramd did not start within 120 s")
            time.sleep(0.1)
        self.connection = UnixHTTPConnection(self.socket)

    def request(self, method, path, body=None, connection=None):
        own = connection is None
        connection = connection or UnixHTTPConnection(self.socket, timeout=5)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if data is not None else {}
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, (json.loads(payload) if payload else None)
        finally:
            if own:
                connection.close()

    def call(self, method, path, body=None):
        status, document = self.request(method, path, body, connection=self.connection)
        if status >= 300:
            raise SystemExit(f"{method} {path}: {status} {document}")
        return document

    def stop(self):
        self.connection.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def turns(conversation):
    """(dia_id, text, session number, session date) of every turn, in order."""
    sessions = sorted((int(m.group(1)), key) for key in conversation
                      if (m := re.fullmatch(r"session_(\d+)", key)) and isinstance(conversation[key], list))
    for number, key in sessions:
        date = conversation.get(f"{key}_date_time", "")
        for turn in conversation[key]:
            yield turn["dia_id"], f'{turn["speaker"]}: {turn["text"]}', number, date


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engramd", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="a folder of LoCoMo conversation files (conv-*.json)")
    parser.add_argument("--modes", default="vector")
    parser.add_argument("--k", default="1,5,10,20")
    parser.add_argument("--json")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.data, "conv-*.json")))
    if not files:
        print(f"no conversations in {args.data}: skipped", file=sys.stderr)
        return 0
    ks = [int(k) for k in args.k.split(",")]
    modes = args.modes.split(",")
    work = tempfile.mkdtemp(prefix="engram-locomo-")
    daemon = Daemon(args.engramd, args.model, work)
    results = {"k": ks, "modes": {}, "conversations": {}}
    try:
        questions = {}
        for path in files:
            sample = json.load(open(path))
            name = os.path.splitext(os.path.basename(path))[0]
            conversation = sample["conversation"] if "conversation" in sample else sample
            daemon.call("PUT", f"/v1/namespaces/{name}")
            count = 0
            for dia_id, text, number, date in turns(conversation):
                daemon.call("POST", f"/v1/namespaces/{name}/memories",
                            {"text": text, "metadata": {"dia_id": dia_id, "session": number, "date": date},
                             "source": "locomo"})
                count += 1
            questions[name] = [q for q in sample["qa"] if q.get("category") in (1, 2, 3, 4) and q.get("evidence")]
            results["conversations"][name] = {"turns": count, "questions": len(questions[name])}
            print(f"{name}: {count} turns stored, {len(questions[name])} questions", file=sys.stderr)
        store_bytes = sum(os.path.getsize(os.path.join(daemon.data, f)) for f in os.listdir(daemon.data))
        results["store_bytes"] = store_bytes
        for mode in modes:
            per = {}
            latencies = []
            for name, qs in questions.items():
                recall = {k: [] for k in ks}
                hit = {k: [] for k in ks}
                for q in qs:
                    body = {"text": q["question"], "k": max(ks)}
                    if mode != "vector":
                        body["mode"] = mode
                    start = time.perf_counter()
                    document = daemon.call("POST", f"/v1/namespaces/{name}/search", body)
                    latencies.append((time.perf_counter() - start) * 1e6)
                    ranked = [h["entry"]["metadata"].get("dia_id") for h in document["hits"]]
                    evidence = set(q["evidence"])
                    for k in ks:
                        found = evidence.intersection(ranked[:k])
                        recall[k].append(len(found) / len(evidence))
                        hit[k].append(1.0 if found else 0.0)
                per[name] = {"recall": {k: statistics.mean(v) for k, v in recall.items()},
                             "hit": {k: statistics.mean(v) for k, v in hit.items()}, "n": len(qs),
                             "raw_recall": recall, "raw_hit": hit}
            overall_recall = {k: statistics.mean([x for p in per.values() for x in p["raw_recall"][k]]) for k in ks}
            overall_hit = {k: statistics.mean([x for p in per.values() for x in p["raw_hit"][k]]) for k in ks}
            for p in per.values():
                del p["raw_recall"], p["raw_hit"]
            results["modes"][mode] = {"overall": {"recall": overall_recall, "hit": overall_hit},
                                      "conversations": per,
                                      "latency_us": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99)}}
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)

    total = sum(c["questions"] for c in results["conversations"].values())
    print(f"LoCoMo retrieval: {len(files)} conversations, {total} questions (categories 1-4), "
          f"store {results['store_bytes'] / 1e6:.1f} MB")
    header = "mode     scope         " + "".join(f"  R@{k:<5}" for k in ks) + "".join(f"  hit@{k:<3}" for k in ks) + "   p50 µs   p99 µs"
    print(header)
    for mode, r in results["modes"].items():
        rows = [("all", r["overall"])] + [(n, c) for n, c in r["conversations"].items()]
        for scope, c in rows:
            line = f"{mode:8} {scope:12}" + "".join(f"  {c['recall'][k]:.3f} " for k in ks) + "".join(f"  {c['hit'][k]:.3f} " for k in ks)
            if scope == "all":
                line += f"  {r['latency_us']['p50']:7.0f}  {r['latency_us']['p99']:7.0f}"
            print(line)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

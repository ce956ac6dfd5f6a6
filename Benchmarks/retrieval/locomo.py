#!/usr/bin/env python3
"""Conversational-memory retrieval on LoCoMo (the protocol of the dataset's README).

Starts engramd over a fresh store in a temporary directory, stores every dialog turn of every
conversation as one memory ("<speaker>: <text>", with its dia_id, session and session date as
metadata, the session's date as occurred_at, and its session as thread with the turn's index as
position; one namespace per conversation), asks every question of categories 1-4 as a text
search in its conversation's namespace, and reports recall@k (the fraction of a question's
evidence turns among the top k, averaged over questions) and hit@k (at least one), per
conversation and overall, with the search latency seen by the client and the store's size
(and the part of it the lexical index takes, from the daemon's metrics).

Neighbourhood at a fixed budget: the hybrid search is asked again for fewer hits with
context 1, and the prompt-sized list is those hits, then their neighbours in the session
(deduplicated), cut at the budget; its recall is compared with the plain top-budget hits.

Latency: each question is asked in every mode, in an order rotated from one question to the
next. The daemon caches query embeddings, so of the modes that embed (vector, hybrid) only the
first to ask a question pays for the embedding: its time counts as "cold", the others' as
"warm" (retrieval alone). Lexical search never embeds. p50/p99 are reported for both.

Standard library only. Usage:
  locomo.py --engramd .build/release/engramd --model DIR --data ../shared/datasets/locomo-dev
            [--modes vector,lexical,hybrid] [--k 1,5,10,20] [--json results.json]
(`scripts/bench-report.sh` runs it and adds a table and a chart to its report.)
"""
import argparse
import datetime
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
    """engramd on a socket in `work`, its store in `work/data`; `environment` (optional) adds
    or overrides configuration variables (e.g. {"ENGRAM_DURABILITY": "sync"})."""

    def __init__(self, binary, model, work, environment=None):
        self.socket = os.path.join(work, "d.sock")
        self.data = os.path.join(work, "data")
        env = dict(os.environ, ENGRAM_SOCKET=self.socket, ENGRAM_DATA_DIR=self.data, ENGRAM_MODEL_DIR=model,
                   ENGRAM_BACKUP_DIRS=os.path.join(work, "backups"), ENGRAM_LOG_LEVEL="warning",
                   OPENBLAS_NUM_THREADS="1")
        env.update(environment or {})
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
        try:
            status, document = self.request(method, path, body, connection=self.connection)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The daemon closes a connection left idle past its idle timeout: open another.
            self.connection.close()
            self.connection = UnixHTTPConnection(self.socket)
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
    """(dia_id, text, session number, session date, index in the session) of every turn, in order."""
    sessions = sorted((int(m.group(1)), key) for key in conversation
                      if (m := re.fullmatch(r"session_(\d+)", key)) and isinstance(conversation[key], list))
    for number, key in sessions:
        date = conversation.get(f"{key}_date_time", "")
        for index, turn in enumerate(conversation[key]):
            yield turn["dia_id"], f'{turn["speaker"]}: {turn["text"]}', number, date, index


def iso_date(text):
    """LoCoMo's "1:56 pm on 8 May, 2023" as ISO 8601 (UTC), or None."""
    try:
        return datetime.datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").strftime("%Y-%m-%dT%H:%M:00Z")
    except ValueError:
        return None


def store(daemon, namespace, conversation, settings=None):
    """Creates `namespace` (with `settings`: a namespace request body) and stores every turn."""
    daemon.call("PUT", f"/v1/namespaces/{namespace}", settings)
    count = 0
    for dia_id, text, number, date, index in turns(conversation):
        body = {"text": text, "metadata": {"dia_id": dia_id, "session": number, "date": date},
                "source": "locomo", "thread": f"session-{number}", "position": index}
        if iso_date(date):
            body["occurred_at"] = iso_date(date)
        daemon.call("POST", f"/v1/namespaces/{namespace}/memories", body)
        count += 1
    return count


def recall_at(daemon, namespace, qs, body, k=10):
    """Mean recall@k of `qs` searched in `namespace` with `body` (text and k added)."""
    recalls = []
    for q in qs:
        document = daemon.call("POST", f"/v1/namespaces/{namespace}/search", {**body, "text": q["question"], "k": k})
        ranked = [h["entry"]["metadata"].get("dia_id") for h in document["hits"]]
        evidence = set(q["evidence"])
        recalls.append(len(evidence.intersection(ranked)) / len(evidence))
    return recalls


# Lexical options and fusion settings compared by --study: standard settings, not a search.
LEXICAL_VARIANTS = {
    "lowercase alphanumeric, k1 1.5 b 0.75": {"stemming": "none", "stop_words": "none", "k1": 1.5, "b": 0.75},
    "+ stop words, k1 1.5 b 0.75": {"stemming": "none", "stop_words": "english", "k1": 1.5, "b": 0.75},
    "+ stop words + stemming, k1 1.5 b 0.75": {"stemming": "english", "stop_words": "english", "k1": 1.5, "b": 0.75},
    "+ stop words + stemming, k1 0.9 b 0.4 (default)": {},
}
FUSION_VARIANTS = {
    "blend, weights 1/1, 50 candidates (default)": {},
    "blend, 20 candidates": {"candidates": 20},
    "blend, 200 candidates": {"candidates": 200},
    "blend, vector weight 0.4/0.6": {"vector_weight": 0.4, "lexical_weight": 0.6},
    "blend, vector weight 0.6/0.4": {"vector_weight": 0.6, "lexical_weight": 0.4},
    "rrf, rrf_k 60, 200 candidates": {"method": "rrf", "rrf_k": 60, "candidates": 200},
    "rrf, rrf_k 60, 20 candidates": {"method": "rrf", "rrf_k": 60, "candidates": 20},
    "rrf, rrf_k 10, 20 candidates": {"method": "rrf", "rrf_k": 10, "candidates": 20},
}


def study(daemon, conversations, questions):
    """Recall@10 per conversation and overall for each lexical variant (lexical mode, in a
    namespace of its own) and each fusion setting (hybrid mode, per-request overrides)."""
    rows = []
    for label, options in LEXICAL_VARIANTS.items():
        per = {}
        for name, conversation in conversations.items():
            namespace = name
            if options:
                namespace = f"{name}.lexical-{len(rows)}"
                store(daemon, namespace, conversation, {"lexical": options})
            per[name] = recall_at(daemon, namespace, questions[name], {"mode": "lexical"})
        rows.append(("lexical", label, per))
    for label, fusion in FUSION_VARIANTS.items():
        per = {name: recall_at(daemon, name, questions[name], {"mode": "hybrid", "fusion": fusion}) for name in conversations}
        rows.append(("hybrid", label, per))
    return [{"mode": mode, "setting": label,
             "recall10": statistics.mean([x for values in per.values() for x in values]),
             "conversations": {name: statistics.mean(values) for name, values in per.items()}}
            for mode, label, per in rows]


def neighbourhood(daemon, questions, budget, hit_counts):
    """Recall of a `budget`-long list made of the best hits then their session neighbours."""
    results = {}
    for hits_wanted in hit_counts:
        recalls = []
        for name, qs in questions.items():
            for q in qs:
                document = daemon.call("POST", f"/v1/namespaces/{name}/search",
                                       {"text": q["question"], "k": hits_wanted, "mode": "hybrid", "context": 1})
                listed = [h["entry"]["metadata"].get("dia_id") for h in document["hits"]]
                for h in document["hits"]:
                    for neighbour in h.get("context", {}).get("before", []) + h.get("context", {}).get("after", []):
                        dia_id = neighbour["metadata"].get("dia_id")
                        if dia_id not in listed:
                            listed.append(dia_id)
                evidence = set(q["evidence"])
                recalls.append(len(evidence.intersection(listed[:budget])) / len(evidence))
        results[f"top{hits_wanted}+context1"] = statistics.mean(recalls)
    return {"budget": budget, "recall": results}


def database_bytes(daemon):
    """Bytes of pages per store database, from the daemon's Prometheus metrics."""
    connection = UnixHTTPConnection(daemon.socket, timeout=30)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    sizes = {}
    for line in text.splitlines():
        m = re.match(r'engram_store_database_bytes\{database="([^"]+)"\} (\d+)', line)
        if m:
            sizes[m.group(1)] = int(m.group(2))
    return sizes


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engramd", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="a folder of LoCoMo conversation files (conv-*.json)")
    parser.add_argument("--modes", default="vector,lexical,hybrid")
    parser.add_argument("--k", default="1,5,10,20")
    parser.add_argument("--json")
    parser.add_argument("--study", action="store_true",
                        help="also compare lexical options and fusion settings (recall@10 per conversation)")
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
        conversations = {}
        for path in files:
            sample = json.load(open(path))
            name = os.path.splitext(os.path.basename(path))[0]
            conversation = sample["conversation"] if "conversation" in sample else sample
            conversations[name] = conversation
            count = store(daemon, name, conversation)
            questions[name] = [q for q in sample["qa"] if q.get("category") in (1, 2, 3, 4) and q.get("evidence")]
            results["conversations"][name] = {"turns": count, "questions": len(questions[name])}
            print(f"{name}: {count} turns stored, {len(questions[name])} questions", file=sys.stderr)
        store_bytes = sum(os.path.getsize(os.path.join(daemon.data, f)) for f in os.listdir(daemon.data))
        results["store_bytes"] = store_bytes
        databases = database_bytes(daemon)
        results["database_bytes"] = databases
        embedding_modes = {"vector", "hybrid"}
        recall = {m: {n: {k: [] for k in ks} for n in questions} for m in modes}
        hit = {m: {n: {k: [] for k in ks} for n in questions} for m in modes}
        latency = {m: {"cold": [], "warm": []} for m in modes}
        counter = 0
        for name, qs in questions.items():
            for q in qs:
                order = modes[counter % len(modes):] + modes[:counter % len(modes)]
                counter += 1
                embedded = False
                evidence = set(q["evidence"])
                for mode in order:
                    body = {"text": q["question"], "k": max(ks), "mode": mode}
                    start = time.perf_counter()
                    document = daemon.call("POST", f"/v1/namespaces/{name}/search", body)
                    elapsed = (time.perf_counter() - start) * 1e6
                    cold = mode not in embedding_modes or not embedded
                    latency[mode]["cold" if cold else "warm"].append(elapsed)
                    embedded = embedded or mode in embedding_modes
                    ranked = [h["entry"]["metadata"].get("dia_id") for h in document["hits"]]
                    for k in ks:
                        found = evidence.intersection(ranked[:k])
                        recall[mode][name][k].append(len(found) / len(evidence))
                        hit[mode][name][k].append(1.0 if found else 0.0)
        results["neighbourhood"] = neighbourhood(daemon, questions, budget=10, hit_counts=(5, 7))
        if args.study:
            results["study"] = study(daemon, conversations, questions)
        for mode in modes:
            per = {name: {"recall": {k: statistics.mean(v) for k, v in recall[mode][name].items()},
                          "hit": {k: statistics.mean(v) for k, v in hit[mode][name].items()},
                          "n": len(questions[name])} for name in questions}
            overall_recall = {k: statistics.mean([x for n in questions for x in recall[mode][n][k]]) for k in ks}
            overall_hit = {k: statistics.mean([x for n in questions for x in hit[mode][n][k]]) for k in ks}
            results["modes"][mode] = {
                "overall": {"recall": overall_recall, "hit": overall_hit}, "conversations": per,
                "latency_us": {kind: {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99), "n": len(v)}
                               for kind, v in latency[mode].items() if v}}
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)

    total = sum(c["questions"] for c in results["conversations"].values())
    databases = results["database_bytes"]
    used = sum(databases.values())
    lexical = databases.get("lexical_documents", 0) + databases.get("lexical_stats", 0)
    print(f"LoCoMo retrieval: {len(files)} conversations, {total} questions (categories 1-4), "
          f"data file {results['store_bytes'] / 1e6:.1f} MB; pages in use {used / 1e6:.2f} MB, "
          f"of which the lexical index {lexical / 1e6:.2f} MB ({100 * lexical / max(used, 1):.1f}%); "
          f"without it {(used - lexical) / 1e6:.2f} MB")
    header = "mode     scope         " + "".join(f"  R@{k:<5}" for k in ks) + "".join(f"  hit@{k:<3}" for k in ks)
    print(header)
    for mode, r in results["modes"].items():
        rows = [("all", r["overall"])] + [(n, c) for n, c in r["conversations"].items()]
        for scope, c in rows:
            print(f"{mode:8} {scope:12}" + "".join(f"  {c['recall'][k]:.3f} " for k in ks) + "".join(f"  {c['hit'][k]:.3f} " for k in ks))
    hood = results["neighbourhood"]
    print(f"neighbourhood at a budget of {hood['budget']} entries (hybrid): plain top {hood['budget']} "
          f"R@{hood['budget']} {results['modes'].get('hybrid', {}).get('overall', {}).get('recall', {}).get(hood['budget'], float('nan')):.3f}; "
          + "; ".join(f"{k} {v:.3f}" for k, v in hood["recall"].items()))
    for row in results.get("study", []):
        per = "  ".join(f"{name} {value:.3f}" for name, value in row["conversations"].items())
        print(f"study {row['mode']:8} {row['setting']:48} R@10 {row['recall10']:.3f}   {per}")
    print("latency seen by the client, µs (cold: the query embedded in this call; warm: embedding cached)")
    for mode, r in results["modes"].items():
        for kind, figures in r["latency_us"].items():
            print(f"{mode:8} {kind:5}  p50 {figures['p50']:8.0f}  p99 {figures['p99']:8.0f}  ({figures['n']} searches)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

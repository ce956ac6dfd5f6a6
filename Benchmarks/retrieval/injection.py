#!/usr/bin/env python3
"""What engram-prompt injects into a chat, measured on LoCoMo (the dataset's README protocol).

Starts engramd over a fresh store and engram-prompt in front of a stub upstream (it answers
every chat completion with a fixed message; nothing is generated), stores every dialog turn as
one memory, as `locomo.py` does, and sends questions of categories 1-4 as chat completions.
The memories injected into each request are read from the response header
`x-engram-memories` (their ids, in the order of the system message), so what is measured is
engram-prompt's whole path: its search, thresholds, ranking, near-duplicate filter and budget.

Four kinds of request, all from the data:
- on topic: the question, asked in its own conversation's namespace;
- follow-up: the same question after the two questions before it in the dataset and their
  reference answers (user, assistant, user, assistant, then the question), so
  `chat.context_turns` puts unrelated earlier turns into the search text: its cost;
- off topic: the question, asked in each *other* conversation's namespace, which holds no
  evidence for it: everything injected there is noise;
- with corrections: asked in a namespace holding its own conversation and the turns of the
  next one, each of the latter contradicted once by a person (confidence 0.25): knowledge
  that was turned away competing with the evidence.

Per kind and pooled: evidence recall (the share of a question's evidence turns injected,
averaged over questions), precision (the share of injected memories that are evidence, over
all injected memories), memories injected per request; and how many contradicted memories a
request with corrections got. "Before" is engram-prompt's earlier
defaults (k 8, no thresholds, relevance order, disputed facts included), "defaults" is what
it does now with no configuration (`--baseline BINARY` runs "before" with an earlier build, so
that its search is the earlier one too); `--sweep` adds variants of k, min_score,
min_confidence and ranking, each changing only what it names.

Standard library only. Usage:
  injection.py --engramd .build/release/engramd --engram-prompt .build/release/engram-prompt
               --model DIR --data ../shared/datasets/locomo-dev [--sweep] [--baseline BINARY]
               [--json out.json]
"""
import argparse
import glob
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from locomo import Daemon, UnixHTTPConnection, iso_date, turns  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What the sweep's rows start from: k 8, no thresholds, blend ranking (disputed facts left out).
SWEEP_BASE = {"ENGRAM_PROMPT_K": "8", "ENGRAM_PROMPT_MIN_SCORE": "0", "ENGRAM_PROMPT_MIN_CONFIDENCE": "0",
              "ENGRAM_PROMPT_RANKING": "blend", "ENGRAM_PROMPT_INCLUDE_DISPUTED": "false"}

# engram-prompt's defaults before injection quality was measured (issue 18's "today").
BEFORE = {"ENGRAM_PROMPT_K": "8", "ENGRAM_PROMPT_MIN_SCORE": "0", "ENGRAM_PROMPT_MIN_CONFIDENCE": "0",
          "ENGRAM_PROMPT_RANKING": "relevance", "ENGRAM_PROMPT_INCLUDE_DISPUTED": "true"}


class StubUpstream(http.server.ThreadingHTTPServer):
    """Answers every POST with one fixed chat completion."""

    daemon_threads = True

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.dumps({"id": "stub", "object": "chat.completion", "created": 0, "model": "stub",
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant", "content": "ok"}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class PromptService:
    """engram-prompt on a socket in `work`, configured by defaults and `overrides`."""

    def __init__(self, binary, daemon_socket, upstream_port, work, overrides):
        self.socket = os.path.join(work, "p.sock")
        config = os.path.join(work, "engram-prompt.toml")
        open(config, "w").close()
        env = dict(os.environ, ENGRAM_PROMPT_SOCKET=self.socket, ENGRAM_PROMPT_DAEMON_SOCKET=daemon_socket,
                   ENGRAM_PROMPT_UPSTREAM_BASE_URL=f"http://127.0.0.1:{upstream_port}/v1",
                   ENGRAM_PROMPT_TEMPLATES_DIR=os.path.join(ROOT, "config", "templates"),
                   ENGRAM_PROMPT_LOG_LEVEL="error", **overrides)
        self.process = subprocess.Popen([binary, "--config", config], env=env)
        deadline = time.monotonic() + 60
        while True:
            connection = UnixHTTPConnection(self.socket, timeout=5)
            try:
                connection.request("GET", "/v1/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if self.process.poll() is not None:
                raise SystemExit(f"engram-prompt exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                self.process.kill()
                raise SystemExit("engram-prompt did not start within 60 s")
            time.sleep(0.1)
        self.connection = UnixHTTPConnection(self.socket)

    def injected(self, namespace, messages):
        """The ids of the memories injected into a chat completion of `messages`."""
        body = json.dumps({"model": "stub", "messages": messages}).encode()
        self.connection.request("POST", "/v1/chat/completions", body=body,
                                headers={"Content-Type": "application/json", "X-Engram-Namespace": namespace})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"chat completion in {namespace}: {response.status} {payload[:300]!r}")
        header = response.getheader("x-engram-memories") or ""
        return [int(x) for x in header.split(",") if x]

    def stop(self):
        self.connection.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def store(daemon, namespace, conversation, contradicted=None):
    """Stores every turn of `conversation` (and of `contradicted`, each then contradicted once
    by a person); returns {entry id: dia_id} of the conversation's own turns."""
    daemon.call("PUT", f"/v1/namespaces/{namespace}", None)
    ids = {}
    for source, corrected in ((conversation, False), (contradicted, True)):
        if source is None:
            continue
        for dia_id, text, number, date, index in turns(source):
            body = {"text": text, "metadata": {"dia_id": dia_id, "session": number}, "source": "locomo",
                    "thread": f"session-{number}", "position": index}
            if iso_date(date):
                body["occurred_at"] = iso_date(date)
            entry = daemon.call("POST", f"/v1/namespaces/{namespace}/memories", body)["entry"]
            if corrected:
                daemon.call("POST", f"/v1/namespaces/{namespace}/memories/{entry['id']}/feedback",
                            {"signal": "contradicted", "actor": "reviewer", "reason": "not this conversation"})
            else:
                ids[entry["id"]] = dia_id
    return ids


def requests(conversations):
    """(kind, namespace, messages, evidence dia_ids or []) of every request."""
    names = sorted(conversations)
    out = []
    for name in names:
        questions = [q for q in conversations[name]["qa"] if q.get("category") in (1, 2, 3, 4) and q.get("evidence")]
        for index, q in enumerate(questions):
            ask = [{"role": "user", "content": q["question"]}]
            earlier = []
            for previous in questions[max(0, index - 2):index]:
                earlier += [{"role": "user", "content": previous["question"]},
                            {"role": "assistant", "content": str(previous["answer"])}]
            out.append(("on topic", name, ask, q["evidence"]))
            out.append(("follow-up", name, earlier + ask, q["evidence"]))
            out.append(("with corrections", f"{name}-corrected", ask, q["evidence"]))
            for other in names:
                if other != name:
                    out.append(("off topic", other, ask, []))
    return out


KINDS = ("on topic", "follow-up", "off topic", "with corrections")


def measure(service, plan, dia_ids):
    """Recall, precision and memories per request, per kind and pooled."""
    tallies = {kind: {"recall": [], "injected": 0, "evidence": 0, "requests": 0, "contradicted": 0}
               for kind in KINDS + ("pooled",)}
    for kind, namespace, messages, evidence in plan:
        ids = service.injected(namespace, messages)
        names = dia_ids.get(namespace, {})
        found = {names[i] for i in ids if i in names} if evidence else set()
        hit = len(found.intersection(evidence))
        # In a "-corrected" namespace every entry that is not the conversation's own turn is one
        # a person contradicted.
        contradicted = sum(1 for i in ids if i not in names) if kind == "with corrections" else 0
        for key in (kind, "pooled"):
            t = tallies[key]
            t["requests"] += 1
            t["injected"] += len(ids)
            t["evidence"] += hit
            t["contradicted"] += contradicted
            if evidence:
                t["recall"].append(hit / len(set(evidence)))
    return {kind: {"recall": sum(t["recall"]) / len(t["recall"]) if t["recall"] else None,
                   "precision": t["evidence"] / t["injected"] if t["injected"] else None,
                   "per_request": t["injected"] / t["requests"], "requests": t["requests"],
                   "contradicted_per_request": t["contradicted"] / t["requests"]}
            for kind, t in tallies.items()}


def row(name, results):
    cells = [name]
    for kind in KINDS + ("pooled",):
        r = results[kind]
        recall = "" if r["recall"] is None else f'{r["recall"]:.3f}'
        precision = "-" if r["precision"] is None else f'{r["precision"]:.3f}'
        cells.append(f'{recall} / {precision} / {r["per_request"]:.1f}' if r["recall"] is not None
                     else f'{precision} / {r["per_request"]:.1f}')
    cells.append(f'{results["with corrections"]["contradicted_per_request"]:.2f}')
    return "| " + " | ".join(cells) + " |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engramd", required=True)
    parser.add_argument("--engram-prompt", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--sweep", action="store_true",
                        help="also k x min_score, and min_confidence x ranking variants")
    parser.add_argument("--baseline", help="another engram-prompt binary for the 'before' row (an earlier build)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    paths = sorted(glob.glob(os.path.join(args.data, "conv-*.json")))
    if not paths:
        raise SystemExit(f"no conv-*.json in {args.data}")
    conversations = {os.path.basename(p)[:-5]: json.load(open(p)) for p in paths}
    if len(conversations) < 2:
        raise SystemExit("off-topic requests and corrections need at least two conversations")
    baseline = args.baseline or args.engram_prompt
    variants = [("before" + (" (baseline binary)" if args.baseline else ""), BEFORE, baseline),
                ("defaults", {}, args.engram_prompt)]
    if args.sweep:
        # Each row changes only what it names from SWEEP_BASE.
        for k in (8, 10, 12):
            for score in (0.0, 0.2, 0.3, 0.35, 0.4):
                variants.append((f"k {k}, min_score {score}",
                                 {**SWEEP_BASE, "ENGRAM_PROMPT_K": str(k), "ENGRAM_PROMPT_MIN_SCORE": str(score)},
                                 args.engram_prompt))
        for confidence in (0.0, 0.3):
            for ranking in ("blend", "relevance"):
                variants.append((f"min_confidence {confidence}, {ranking}",
                                 {**SWEEP_BASE, "ENGRAM_PROMPT_MIN_CONFIDENCE": str(confidence),
                                  "ENGRAM_PROMPT_RANKING": ranking}, args.engram_prompt))

    work = tempfile.mkdtemp(prefix="engram-injection-")
    daemon = Daemon(args.engramd, args.model, work)
    upstream = StubUpstream()
    try:
        names = sorted(conversations)
        dia_ids = {}
        for position, name in enumerate(names):
            dia_ids[name] = store(daemon, name, conversations[name])
            following = conversations[names[(position + 1) % len(names)]]
            dia_ids[f"{name}-corrected"] = store(daemon, f"{name}-corrected", conversations[name], following)
        plan = requests(conversations)
        print(f"{sum(len(v) for v in dia_ids.values())} memories, {len(plan)} chat completions per variant",
              file=sys.stderr)
        results = {}
        header = ("| variant | " + " | ".join(KINDS) + " | pooled | contradicted memories per request (with corrections) |\n|"
                  + " --- |" * (len(KINDS) + 3))
        print("recall / precision / memories per request (off topic: precision / memories)")
        print(header)
        for name, overrides, binary in variants:
            service = PromptService(binary, daemon.socket, upstream.server_address[1],
                                    tempfile.mkdtemp(dir=work), overrides)
            try:
                results[name] = {"overrides": overrides, "results": measure(service, plan, dia_ids)}
            finally:
                service.stop()
            print(row(name, results[name]["results"]), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
    finally:
        upstream.shutdown()
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

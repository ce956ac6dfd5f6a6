#!/usr/bin/env python3
"""Writers and checker for the daemon crash test (scripts/crash-test-daemon.sh).

The shell script owns the processes (engramd start, kill -9, restart, SIGTERM, `engram
verify`); this helper owns everything said over the Unix socket:

  wait-health  poll GET /v1/health until the daemon answers (bounded in time)
  setup        create the test namespace (small dimension, cosine; vector-only writes)
  kill-delay   the seeded delay before the kill -9 of one trial
  write        K concurrent writers (and B batch writers, POST …/memories/batch); each
               appends an "acknowledged write" record to its own log, flushed and
               fsynced, only AFTER the daemon answered 2xx
  check        after the restart: replay the known state and this trial's logs, read the
               daemon's whole namespace back, and compare; write the resolved state

Standard library only. Only the Unix socket is ever contacted.

The model the checker enforces, per entry id (each id is written by exactly one writer per
trial, so its records are totally ordered by that writer's log):

* an acknowledged create/import is present, unless a later acknowledged delete removed it;
* an acknowledged delete is never undone (the entry is absent, and a search by its last
  vector does not return it);
* the entry's version is exactly the last acknowledged one, or one more when that writer's
  request in flight at the kill was an edit or feedback of this entry (it may or may not
  have been committed: both are accepted), and its fields and vector are those acknowledged;
* no entry exists that nobody wrote: an id nobody acknowledged must be one of the in-flight
  creates, imports or batch items (matched by its unique text), and an in-flight import
  committed whole or not at all;
* batches (`POST …/memories/batch`, dedupe none: one transaction): every batch of the trial,
  found by the metadata marker of its items ({"crash_batch": "t<trial>-batch<k>-<n>",
  "crash_item": <index>}), holds all its valid items or none (else "half-written"); an
  acknowledged one all of them under the answered ids, with the fields sent; its
  deliberately invalid items were answered "failed" (invalid_argument) and are not stored;
* searching by a surviving entry's vector finds it (every entry written in this trial but
  the batch items, a seeded sample of those and of older ones); GET of an entry deleted in this trial answers 404;
* the audit log has, at each acknowledged write's sequence, that write's event, and no gap
  over the trial's range; an acknowledged hard delete's history holds no text any more.

What the check observed becomes the baseline of the next trial on the same data directory
(state.json), so every later recovery must keep it too.
"""

import argparse
import base64
import collections
import http.client
import json
import math
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

# Fields of an entry the checker compares. use_count / last_used_at move with searches
# (flushed lazily, may be lost in a crash by design), times are not compared (precision
# differs between routes), slot is an internal address.
COMPARED_FIELDS = ("text", "tags", "metadata", "source", "confidence", "evidence", "pinned", "version")

# The audit event kind each acknowledged operation records.
AUDIT_KINDS = {"create": "created", "import": "created", "batch_item": "created", "edit": "updated",
               "feedback": "feedback", "delete": "deleted"}

# Kinds of in-flight requests that may have changed an entry's version by one.
VERSION_BUMPING = ("edit", "feedback")

REQUEST_TIMEOUT_S = 60.0


# ---------------------------------------------------------------------------------------
# Transport: HTTP/1.1 over the Unix socket.
# ---------------------------------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over AF_UNIX, so the test never opens a TCP port."""

    def __init__(self, path, timeout=REQUEST_TIMEOUT_S):
        super().__init__("engram", timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class DaemonError(Exception):
    """The daemon could not be reached or the connection broke mid-request (a kill -9)."""


class Client:
    """One keep-alive connection. Any transport failure raises DaemonError and closes the
    connection: the caller decides whether that means "killed" (writers) or "broken"
    (checker)."""

    def __init__(self, socket_path, timeout=REQUEST_TIMEOUT_S):
        self.socket_path = socket_path
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None):
        """Sends one request; returns (status, decoded JSON or None)."""
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            if self.conn is None:
                self.conn = UnixHTTPConnection(self.socket_path, self.timeout)
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise DaemonError(f"{method} {path}: {type(error).__name__}: {error}") from None
        try:
            document = json.loads(raw) if raw else None
        except ValueError:
            document = {"raw": raw[:200].decode("utf-8", "replace")}
        return response.status, document

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


def memories_path(namespace, entry_id=None, suffix=""):
    base = f"/v1/namespaces/{urllib.parse.quote(namespace)}/memories"
    return base if entry_id is None else f"{base}/{entry_id}{suffix}"


# ---------------------------------------------------------------------------------------
# Small helpers: vectors, entries, durable logs.
# ---------------------------------------------------------------------------------------

def random_vector(rng, dimension):
    """A Gaussian vector rounded to float32-friendly decimals: random directions in 16-d are
    far apart, so a search by an entry's own vector ranks it first."""
    return [round(rng.gauss(0.0, 1.0), 5) for _ in range(dimension)]


def vector_b64(vector):
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def decode_vector_b64(text):
    raw = base64.b64decode(text)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def entry_fields(entry):
    """The compared part of an entry as the daemon returned it."""
    return {key: entry[key] for key in COMPARED_FIELDS if key in entry}


def field_differences(expected, observed):
    """Names of the expected fields the observed entry does not match (confidence to 1e-9:
    it is a double computed by the daemon, decoded the same way both times)."""
    differing = []
    for key, value in expected.items():
        other = observed.get(key)
        if key == "confidence" and isinstance(value, (int, float)) and isinstance(other, (int, float)):
            if abs(value - other) > 1e-9:
                differing.append(key)
        elif other != value:
            differing.append(key)
    return differing


class DurableLog:
    """Append-only JSON Lines file; every record is flushed and fsynced before append()
    returns, so a record on disk always means the daemon had answered before."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    def append(self, record):
        self.file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self):
        self.file.close()


def read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_state(path):
    """{id: {"live": bool, "entry": fields|None, "vector": [...]}} from state.json (ids as
    ints); empty when the data directory is fresh."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return {int(key): value for key, value in json.load(handle).items()}


def save_state(path, state):
    """Atomically (temp file, fsync, rename): a half-written state would fail the next trial
    for the wrong reason."""
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump({str(key): value for key, value in sorted(state.items())}, handle, separators=(",", ":"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def writer_log_paths(workdir, trial):
    logs = os.path.join(workdir, "logs")
    if not os.path.isdir(logs):
        return []
    prefix = f"trial-{trial:04d}-writer-"
    return sorted(os.path.join(logs, name) for name in os.listdir(logs) if name.startswith(prefix))


# ---------------------------------------------------------------------------------------
# wait-health, setup, kill-delay.
# ---------------------------------------------------------------------------------------

def process_gone(pid):
    """True when `pid` has exited (or is a zombie waiting for its parent, the shell)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def command_wait_health(args):
    """Polls /v1/health every 50 ms until 200, at most --timeout seconds; fails early when the
    daemon process (--pid) has exited, so a start-up error does not cost the whole timeout."""
    deadline = time.monotonic() + args.timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if args.pid and process_gone(args.pid):
            print(f"engramd (pid {args.pid}) exited before becoming healthy ({last})", file=sys.stderr)
            return 1
        client = Client(args.socket, timeout=5.0)
        try:
            status, document = client.request("GET", "/v1/health")
            if status == 200 and document and document.get("status") == "ok":
                return 0
            last = f"HTTP {status}"
        except DaemonError as error:
            last = str(error)
        finally:
            client.close()
        time.sleep(0.05)
    print(f"engramd not healthy after {args.timeout} s ({last})", file=sys.stderr)
    return 1


def command_setup(args):
    """Creates the namespace with a small dimension (no model involved in any write)."""
    client = Client(args.socket)
    body = {"dimension": args.dimension, "metric": "cosine"}
    status, document = client.request("PUT", f"/v1/namespaces/{urllib.parse.quote(args.namespace)}", body)
    client.close()
    if status not in (200, 201):
        print(f"creating namespace {args.namespace}: HTTP {status} {document}", file=sys.stderr)
        return 1
    return 0


def command_kill_delay(args):
    """Prints the trial's seeded delay, so a seed reproduces the same kill schedule."""
    rng = random.Random(f"kill-delay/{args.seed}/{args.trial}")
    print(f"{rng.uniform(args.min, args.max):.3f}")
    return 0


# ---------------------------------------------------------------------------------------
# write: K concurrent writers.
# ---------------------------------------------------------------------------------------

class Writer(threading.Thread):
    """One writer on its own connection. It owns the ids it creates or imports and the
    pre-existing live ids with `id % writers == index`, and is the only one to edit,
    feed back or delete them, so an id's records are ordered by this writer's log.

    It stops at the first transport error (the kill): the request then in flight is logged
    as an "inflight" record, which the checker accepts as applied or not. Any non-2xx answer
    is logged as "rejected" and stops the writer; the checker fails the trial on it."""

    def __init__(self, args, index, owned, started, label=None):
        label = str(index) if label is None else label  # names the thread, log, rng and texts
        super().__init__(name=f"writer-{label}", daemon=True)
        self.args = args
        self.started = started  # set at the first acknowledged write (or when this writer stops)
        self.index = index
        self.label = label
        self.rng = random.Random(f"writer/{args.seed}/{args.trial}/{label}")
        self.client = Client(args.socket)
        path = os.path.join(args.workdir, "logs", f"trial-{args.trial:04d}-writer-{label}.jsonl")
        self.log = DurableLog(path)
        self.live = dict.fromkeys(owned)  # the live ids it owns, as an insertion-ordered set
        self.counter = 0
        self.acknowledged = 0
        self.stop_reason = "limit"

    # -- one operation per method; each returns the acknowledged record(s) or raises ------

    def unique_text(self, kind):
        self.counter += 1
        return f"crash t{self.args.trial} w{self.label} {kind} #{self.counter} r{self.rng.getrandbits(32):08x}"

    def create(self):
        vector = random_vector(self.rng, self.args.dimension)
        text = self.unique_text("create")
        body = {"text": text, "vector": vector, "tags": [f"w{self.index}"], "reason": "crash test"}
        inflight = {"kind": "create", "text": text, "vector": vector}
        _, document = self.send("POST", memories_path(self.args.namespace), body, inflight, (201,))
        entry = document["entry"]
        self.live[entry["id"]] = None
        return [{"op": "create", "id": entry["id"], "entry": entry_fields(entry), "vector": vector,
                 "sequence": document["sequence"]}]

    def edit(self, entry_id):
        choice = self.rng.random()
        vector = None
        if choice < 0.5:
            vector = random_vector(self.rng, self.args.dimension)
            body = {"text": self.unique_text("edit"), "vector": vector}
        elif choice < 0.7:
            body = {"tags": [f"w{self.index}", f"e{self.counter}"]}
        elif choice < 0.85:
            body = {"confidence": round(self.rng.uniform(0.05, 0.95), 3)}
        else:
            body = {"pinned": self.rng.random() < 0.5, "metadata": {"edit": self.counter}}
        body["reason"] = "crash test edit"
        inflight = {"kind": "edit", "id": entry_id, "text": body.get("text"), "vector": vector}
        _, document = self.send("PATCH", memories_path(self.args.namespace, entry_id), body, inflight, (200,))
        return [{"op": "edit", "id": entry_id, "entry": entry_fields(document["entry"]), "vector": vector,
                 "sequence": document["sequence"]}]

    def feedback(self, entry_id):
        signal = self.rng.choice(["useful", "not_useful", "contradicted"])
        inflight = {"kind": "feedback", "id": entry_id, "signal": signal}
        path = memories_path(self.args.namespace, entry_id, "/feedback")
        _, document = self.send("POST", path, {"signal": signal}, inflight, (200,))
        return [{"op": "feedback", "id": entry_id, "signal": signal, "entry": entry_fields(document["entry"]),
                 "sequence": document["sequence"]}]

    def delete(self, entry_id):
        hard = self.rng.random() < 0.5
        inflight = {"kind": "delete", "id": entry_id, "hard": hard}
        path = memories_path(self.args.namespace, entry_id) + ("?hard=true" if hard else "")
        _, document = self.send("DELETE", path, None, inflight, (200,))
        del self.live[entry_id]
        return [{"op": "delete", "id": entry_id, "hard": hard, "sequence": document["sequence"]}]

    def import_batch(self):
        """2–6 entries under ids drawn from [2^40, 2^52): never used before (a collision with
        an earlier id is ~1e-9 per item), so an import can never revive a deleted id.
        Only items answered "created" are acknowledged."""
        items = []
        for _ in range(self.rng.randint(2, 6)):
            vector = random_vector(self.rng, self.args.dimension)
            items.append({"id": self.rng.randrange(1 << 40, 1 << 52), "text": self.unique_text("import"),
                          "vector_b64": vector_b64(vector), "tags": ["imported", f"w{self.index}"],
                          "source": "import", "confidence": 0.5, "pinned": False, "version": 1,
                          "vector": vector})
        wire = [{key: value for key, value in item.items() if key != "vector"} for item in items]
        inflight = {"kind": "import", "items": [{"id": item["id"], "text": item["text"], "vector": item["vector"]}
                                                for item in items]}
        body = {"namespace": self.args.namespace, "entries": wire}
        _, document = self.send("POST", "/v1/admin/import", body, inflight, (200,))
        statuses = {result["id"]: result["status"] for result in document["results"]}
        created = [item for item in items if statuses.get(item["id"]) == "created"]
        # The created items' audit events are consecutive, in request order, ending at `sequence`.
        first_sequence = (document["sequence"] or 0) - len(created) + 1
        records = []
        for offset, item in enumerate(created):
            expected = {key: item[key] for key in ("text", "tags", "source", "confidence", "pinned", "version")}
            self.live[item["id"]] = None
            records.append({"op": "import", "id": item["id"], "entry": expected, "vector": item["vector"],
                            "sequence": first_sequence + offset})
        return records

    # -- plumbing ---------------------------------------------------------------------------

    def send(self, method, path, body, inflight, accepted):
        """One request. Transport failure: log the request as in flight and stop (raises
        DaemonError). Non-accepted status: log it as rejected and stop."""
        try:
            status, document = self.client.request(method, path, body)
        except DaemonError as error:
            self.log.append({"op": "inflight", "error": str(error), **inflight})
            self.stop_reason = "daemon gone"
            raise
        if status not in accepted:
            self.stop_reason = f"HTTP {status} on {method} {path}"
            self.log.append({"op": "rejected", "message": f"daemon answered {self.stop_reason}: {document}",
                             **inflight})
            raise DaemonError(self.stop_reason)
        return status, document

    def next_operation(self):
        """Chooses what to do next: mostly creates and edits, some feedback and deletes (soft
        and hard), an import batch now and then."""
        roll = self.rng.random()
        if not self.live or roll < 0.35:
            return self.create, ()
        target = self.rng.choice(list(self.live))
        if roll < 0.57:
            return self.edit, (target,)
        if roll < 0.72:
            return self.feedback, (target,)
        if roll < 0.88:
            return self.delete, (target,)
        if roll < 0.93:
            return self.import_batch, ()
        return self.create, ()

    def acknowledged_writes(self, records):
        """How many acknowledged writes `records` hold (one each here; a batch record holds
        one per created item)."""
        return len(records)

    def run(self):
        deadline = time.monotonic() + self.args.max_seconds
        try:
            for _ in range(self.args.max_ops):
                if time.monotonic() > deadline:
                    break
                operation, arguments = self.next_operation()
                try:
                    records = operation(*arguments)
                except DaemonError:
                    break
                except (KeyError, TypeError, ValueError) as error:
                    # A 2xx answer without the documented fields: recorded so the check fails
                    # with the reason (the write itself may have happened).
                    self.stop_reason = f"unexpected answer to {operation.__name__}"
                    self.log.append({"op": "rejected", "message": f"{self.stop_reason}: {error!r}"})
                    break
                for record in records:
                    self.log.append(record)
                self.acknowledged += self.acknowledged_writes(records)
                self.started.set()
        finally:
            self.started.set()
            self.client.close()
            self.log.close()


# The deliberately invalid items of a batch: each must come back "failed" with this code and
# never be stored, while the valid items of the same batch are (InputValidation: a text that
# is only whitespace, a tag over 128 bytes, a confidence outside 0…1).
BATCH_INVALID_KINDS = {"empty_text": "invalid_argument", "long_tag": "invalid_argument",
                       "confidence": "invalid_argument"}


class BatchWriter(Writer):
    """A writer that only creates, through `POST …/memories/batch` with dedupe "none": the
    valid items of one request are one transaction, so after the kill each batch is stored
    whole or not at all. Batches hold 1–64 items, now and then 65–300 (so the kill sometimes
    lands in a long commit); about a third of the batches of two or more items carry 1–3
    invalid ones. Every item's metadata names it: {"crash_batch": "t<trial>-<writer>-<n>",
    "crash_item": <index>}; its text ends with a random token like every text here.

    One "batch" record per acknowledged batch (the created items with their ids, sequences,
    expected fields and vectors; the refused ones with their codes); the batch in flight at
    the kill is logged whole, with which items were meant to be invalid. An answer that
    breaks the route's contract (a valid item failed, an invalid one created, counts or
    sequences that do not add up) is logged as "rejected" after the batch and stops it."""

    def __init__(self, args, index, started):
        super().__init__(args, index, [], started, label=f"batch{index}")
        self.batches = 0

    def next_operation(self):
        return self.batch, ()

    def acknowledged_writes(self, records):
        return sum(len(record.get("items", ())) for record in records)

    def batch_size(self):
        if self.rng.random() < 0.15:
            return self.rng.randint(65, 300)
        return self.rng.randint(1, 64)

    def batch_item(self, marker, index, problem):
        """(the item as sent, the item as logged)."""
        vector = random_vector(self.rng, self.args.dimension)
        text = self.unique_text(f"batch {marker} item {index}")
        tags = ["batch", f"w{self.label}"]
        confidence = round(self.rng.uniform(0.05, 0.95), 3)
        pinned = self.rng.random() < 0.1
        if problem == "empty_text":
            text = "  \t "
        elif problem == "long_tag":
            tags = ["batch", "x" * 129]
        elif problem == "confidence":
            confidence = 1.5
        entry = {"text": text, "tags": tags, "metadata": {"crash_batch": marker, "crash_item": index},
                 "source": "batch", "confidence": confidence, "pinned": pinned, "version": 1}
        wire = {key: value for key, value in entry.items() if key != "version"}
        if self.rng.random() < 0.5:
            wire["vector"] = vector
        else:
            wire["vector_b64"] = vector_b64(vector)
        return wire, {"index": index, "entry": entry, "vector": vector, "invalid": problem}

    def batch(self):
        self.batches += 1
        marker = f"t{self.args.trial}-{self.label}-{self.batches}"
        size = self.batch_size()
        invalid = {}
        if size >= 2 and self.rng.random() < 0.33:
            for index in self.rng.sample(range(size), self.rng.randint(1, min(3, size - 1))):
                invalid[index] = self.rng.choice(sorted(BATCH_INVALID_KINDS))
        wire, logged = [], []
        for index in range(size):
            sent, item = self.batch_item(marker, index, invalid.get(index))
            wire.append(sent)
            logged.append(item)
        body = {"items": wire, "dedupe": "none", "reason": "crash test batch"}
        if self.rng.random() < 0.5:
            body["actor"] = f"crash-{self.label}"
        inflight = {"kind": "batch", "batch": marker, "size": size, "items": logged}
        _, document = self.send("POST", memories_path(self.args.namespace) + "/batch", body, inflight, (200,))
        try:
            record, anomalies = self.judge_batch_answer(marker, logged, document)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # A 200 whose results cannot be read: what it stored is unknown, so the check
            # holds the batch to "all valid items or none", like one in flight.
            self.stop_reason = "unreadable batch answer"
            self.log.append({"op": "rejected", "outcome": "unclear",
                             "message": f"batch {marker}: unreadable answer: {error!r}: {str(document)[:300]}",
                             **inflight})
            raise DaemonError(self.stop_reason) from None
        if anomalies:
            self.log.append(record)
            self.acknowledged += len(record["items"])
            self.stop_reason = "batch answer breaks the route's contract"
            self.log.append({"op": "rejected", "message": f"batch {marker} ({size} items): " + "; ".join(anomalies[:8])})
            raise DaemonError(self.stop_reason)
        return [record]

    @staticmethod
    def judge_batch_answer(marker, logged, document):
        """The acknowledged record of a 200 answer, and what in it breaks the contract:
        one result per item (index 0..n-1), valid items "created" with an id and a sequence,
        invalid ones "failed" with the expected code, stored/failed/last_sequence agreeing,
        and the created items' sequences consecutive in item order (one transaction)."""
        size = len(logged)
        anomalies = []
        by_index = {}
        for result in document["results"]:
            index = result["index"]
            if not isinstance(index, int) or not 0 <= index < size or index in by_index:
                anomalies.append(f"result index {index!r} out of range or repeated")
                continue
            by_index[index] = result
        if len(by_index) != size:
            anomalies.append(f"{len(by_index)} results for {size} items")
        created, refused = [], []
        for item in logged:
            index = item["index"]
            result = by_index.get(index)
            if result is None:
                continue
            status = result.get("status")
            if status == "created":
                if not isinstance(result["id"], int) or not isinstance(result["sequence"], int):
                    raise ValueError(f"item {index}: id {result['id']!r}, sequence {result['sequence']!r}")
                if item["invalid"]:
                    anomalies.append(f"item {index} ({item['invalid']}) was created, it should have failed")
                created.append({"index": index, "id": result["id"], "sequence": result["sequence"],
                                "entry": item["entry"], "vector": item["vector"]})
            elif status == "failed":
                code = (result.get("error") or {}).get("code")
                if not item["invalid"]:
                    anomalies.append(f"valid item {index} failed: {result.get('error')}")
                elif code != BATCH_INVALID_KINDS[item["invalid"]]:
                    anomalies.append(f"item {index} ({item['invalid']}) failed with {code!r}, "
                                     f"expected {BATCH_INVALID_KINDS[item['invalid']]!r}")
                refused.append({"index": index, "code": code})
            else:
                anomalies.append(f"item {index}: status {status!r}")
        stored = document.get("created")
        if stored != len(created) or document.get("failed") != len(refused):
            anomalies.append(f"created={stored!r} failed={document.get('failed')!r}, but the results "
                             f"hold {len(created)} created and {len(refused)} failed")
        sequences = [item["sequence"] for item in created]
        if document.get("last_sequence") != (sequences[-1] if sequences else None):
            anomalies.append(f"last_sequence {document.get('last_sequence')!r}, the last created item's is "
                             f"{sequences[-1] if sequences else None!r}")
        if sequences and sequences != list(range(sequences[0], sequences[0] + len(sequences))):
            anomalies.append(f"the created items' sequences are not consecutive in item order "
                             f"({sequences[:6]}…): not one transaction?")
        ids = [item["id"] for item in created]
        if len(set(ids)) != len(ids):
            anomalies.append("the same id was returned for two items")
        record = {"op": "batch", "batch": marker, "size": size, "items": created, "refused": refused,
                  "invalid": sorted(item["index"] for item in logged if item["invalid"])}
        return record, anomalies


def owned_ids(state, index, writers):
    """The live ids of earlier trials this writer may edit or delete (disjoint by id)."""
    return sorted(entry_id for entry_id, item in state.items() if item["live"] and entry_id % writers == index)


def announce_started(path, started, timeout):
    """Creates `path` once a first write was acknowledged (at most `timeout` s): the shell
    counts the kill delay from there, so a slow start on a loaded machine does not turn a
    trial into a kill before any write."""
    started.wait(timeout)
    with open(path, "w", encoding="ascii") as handle:
        handle.write("started\n")


def command_write(args):
    """Runs the writers until the daemon dies (or the op/time limits); always exits 0 unless
    the helper itself failed: acknowledged and rejected writes are judged by `check`."""
    os.makedirs(os.path.join(args.workdir, "logs"), exist_ok=True)
    state = load_state(os.path.join(args.workdir, "state.json"))
    started = threading.Event()
    writers = [Writer(args, index, owned_ids(state, index, args.writers), started) for index in range(args.writers)]
    writers += [BatchWriter(args, index, started) for index in range(args.batch_writers)]
    for writer in writers:
        writer.start()
    if args.started_file:
        announce_started(args.started_file, started, REQUEST_TIMEOUT_S)
    for writer in writers:
        writer.join(args.max_seconds + 2 * REQUEST_TIMEOUT_S)
    alive = [writer.name for writer in writers if writer.is_alive()]
    print(f"acknowledged={sum(writer.acknowledged for writer in writers)} "
          f"stops={','.join(sorted(set(writer.stop_reason for writer in writers)))}")
    if alive:
        print(f"writers still running after their deadline: {alive}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------------------
# check: after the restart.
# ---------------------------------------------------------------------------------------

class Expectation:
    """The known state after replaying this trial's acknowledged records over the baseline,
    plus what was in flight at the kill."""

    def __init__(self, baseline):
        self.state = {key: dict(value) for key, value in baseline.items()}
        self.touched = set()           # ids acknowledged-written in this trial
        self.inflight_by_id = {}       # id -> in-flight record (edit, feedback, delete)
        self.inflight_texts = {}       # text -> (kind, vector, id or None): creates and imports
        self.inflight_imports = []     # [ids] of each import in flight: all or none may commit
        self.rejected = []
        self.inflight_requests = 0     # one per writer at most: the request the kill cut
        self.audit = {}                # sequence -> (id, audit kind) of each acknowledged write
        self.scrubbed = {}             # id -> text a hard delete must have scrubbed from history
        self.claims = {}               # id -> texts this trial's acknowledged writes made rejected claims
        self.unclaimed = set()         # ids hard-deleted in this trial: they hold no claims
        self.acknowledged = 0
        self.problems = []
        # Batches (POST …/memories/batch) sent in this trial: marker -> {"state": acknowledged,
        # inflight, unclear (a 200 that could not be read) or refused (a non-200),
        # "expected": {item index: {"entry", "vector", "id" (acknowledged only)}},
        # "forbidden": indices that must not be stored (invalid or answered failed)}.
        self.batches = {}
        self.batch_ids = set()         # ids of this trial's acknowledged batch items
        self.batch_count = 0           # acknowledged batches
        self.batch_items = 0           # their created items (each also one acknowledged write)
        self.batch_refused = 0         # their deliberately invalid items, answered failed

    def apply(self, record):
        """Replays one log record."""
        op = record["op"]
        if op == "inflight":
            return self.note_inflight(record)
        if op == "rejected":
            self.rejected.append(record)
            if record.get("kind") == "batch":
                self.note_batch(record, record.get("outcome", "refused"))
            return None
        if op == "batch":
            self.note_batch(record, "acknowledged")
            self.batch_count += 1
            self.batch_items += len(record["items"])
            self.batch_refused += len(record["refused"])
            for item in record["items"]:
                self.batch_ids.add(item["id"])
                self.apply({"op": "batch_item", "id": item["id"], "entry": item["entry"],
                            "vector": item["vector"], "sequence": item["sequence"]})
            return None
        self.acknowledged += 1
        entry_id = record["id"]
        self.touched.add(entry_id)
        self.audit[record["sequence"]] = (entry_id, AUDIT_KINDS[op])
        known = self.state.get(entry_id)
        if op in ("create", "import", "batch_item"):
            if known is not None:
                self.problems.append(f"id {entry_id}: {op} acknowledged for an id already known "
                                     f"({'live' if known['live'] else 'deleted'}): ids must never be reused")
            self.state[entry_id] = {"live": True, "entry": record["entry"], "vector": record["vector"]}
        elif op in ("edit", "feedback"):
            if known is None or not known["live"]:
                self.problems.append(f"id {entry_id}: {op} acknowledged on an entry not known to be live")
                return None
            old_text = (known.get("entry") or {}).get("text")
            # A person's correction keeps the text it replaces as a rejected claim, in the
            # same transaction; so does a contradiction.
            if op == "edit" and old_text is not None and record["entry"].get("text") != old_text:
                self.claims.setdefault(entry_id, set()).add(old_text)
            if op == "feedback" and record.get("signal") == "contradicted" and old_text is not None:
                self.claims.setdefault(entry_id, set()).add(old_text)
            known["entry"] = record["entry"]
            if record.get("vector") is not None:
                known["vector"] = record["vector"]
        elif op == "delete":
            if known is None:
                self.problems.append(f"id {entry_id}: delete acknowledged on an unknown entry")
                known = self.state.setdefault(entry_id, {"vector": None, "entry": None})
            if record.get("hard") and known.get("entry"):
                self.scrubbed[entry_id] = known["entry"].get("text")
            if record.get("hard"):
                self.claims.pop(entry_id, None)
                self.unclaimed.add(entry_id)
            elif known.get("entry"):
                self.claims.setdefault(entry_id, set()).add(known["entry"].get("text"))
            known["live"] = False
            known["entry"] = None
        return None

    def note_batch(self, record, state):
        """Registers a batch of this trial, acknowledged or not, for `batch_outcomes`."""
        marker = record["batch"]
        if marker in self.batches:
            self.problems.append(f"batch {marker}: logged twice")
        if state == "acknowledged":
            expected = {item["index"]: {"entry": item["entry"], "vector": item["vector"], "id": item["id"]}
                        for item in record["items"]}
            forbidden = set(range(record["size"])) - set(expected)
        else:
            expected = {item["index"]: {"entry": item["entry"], "vector": item["vector"], "id": None}
                        for item in record["items"] if not item["invalid"]}
            forbidden = {item["index"] for item in record["items"] if item["invalid"]}
            if state in ("inflight", "unclear"):
                for item in expected.values():
                    self.inflight_texts[item["entry"]["text"]] = ("batch", item["vector"], None)
        self.batches[marker] = {"state": state, "expected": expected, "forbidden": forbidden}

    def note_inflight(self, record):
        self.inflight_requests += 1
        kind = record["kind"]
        if kind == "batch":
            self.note_batch(record, "inflight")
        elif kind == "create":
            self.inflight_texts[record["text"]] = ("create", record["vector"], None)
        elif kind == "import":
            self.inflight_imports.append([item["id"] for item in record["items"]])
            for item in record["items"]:
                self.inflight_texts[item["text"]] = ("import", item["vector"], item["id"])
        else:
            self.inflight_by_id[record["id"]] = record


def read_namespace(client, namespace):
    """Every entry of the namespace with its stored vector, via the export route (pages of
    1000). Returns {id: (fields, vector)}."""
    entries = {}
    after = 0
    for _ in range(100_000):
        path = f"/v1/namespaces/{urllib.parse.quote(namespace)}/export?after={after}&limit=1000"
        status, document = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"export: HTTP {status} {document}")
        for item in document["entries"]:
            entries[item["id"]] = (entry_fields(item), decode_vector_b64(item["vector_b64"]))
        after = document.get("next_cursor")
        if after is None:
            return entries
    raise RuntimeError("export did not end after 100000 pages")


class Verdict:
    """What judging one id found: a problem (None when fine), how many acknowledged writes
    it lost (0 or 1: the id's last acknowledged state), whether an in-flight request turned
    out committed, and the state the next trial must find."""

    def __init__(self, resolved, problem=None, lost=0, applied=False):
        self.resolved = resolved
        self.problem = problem
        self.lost = lost
        self.applied = applied


def judge_entry(entry_id, expected, observed, inflight):
    """Compares one known id with what the daemon holds (observed: (fields, vector) or None)."""
    kind = inflight["kind"] if inflight else None
    if not expected["live"]:
        if observed is not None:
            return Verdict(expected, f"id {entry_id}: acknowledged delete undone "
                                     f"(version {observed[0].get('version')} present)", lost=1)
        return Verdict(expected)
    if observed is None:
        if kind == "delete":
            return Verdict({"live": False, "entry": None, "vector": expected["vector"]}, applied=True)
        return Verdict(expected, f"id {entry_id}: acknowledged entry missing "
                                 f"(version {expected['entry'].get('version')})", lost=1)
    fields, vector = observed
    want = expected["entry"].get("version")
    have = fields.get("version")
    if have == want:
        differing = field_differences(expected["entry"], fields)
        if differing:
            return Verdict(expected, f"id {entry_id}: version {have} but {', '.join(differing)} "
                                     f"differ from the acknowledged write", lost=1)
        if cosine(vector, expected["vector"]) < 0.9999:
            return Verdict(expected, f"id {entry_id}: stored vector is not the acknowledged one", lost=1)
        return Verdict({"live": True, "entry": fields, "vector": expected["vector"]})
    if isinstance(have, int) and isinstance(want, int) and have == want + 1 and kind in VERSION_BUMPING:
        return judge_inflight_bump(entry_id, expected, fields, vector, inflight)
    if isinstance(have, int) and isinstance(want, int) and have < want:
        return Verdict(expected, f"id {entry_id}: version {have} < acknowledged {want} (lost write)", lost=1)
    return Verdict(expected, f"id {entry_id}: version {have}, acknowledged {want}, "
                             f"in flight at the kill: {kind or 'nothing'}")


def judge_inflight_bump(entry_id, expected, fields, vector, inflight):
    """Version = acknowledged + 1 and this id's writer had an edit or feedback in flight:
    accepted when the entry is what that request would have made it."""
    new_vector = expected["vector"]
    if inflight["kind"] == "edit" and inflight.get("text") is not None:
        if fields.get("text") != inflight["text"]:
            return Verdict(expected, f"id {entry_id}: version {fields.get('version')} does not hold the in-flight edit's text")
        new_vector = inflight["vector"]
    if cosine(vector, new_vector) < 0.9999:
        return Verdict(expected, f"id {entry_id}: stored vector is neither the acknowledged nor the in-flight one")
    return Verdict({"live": True, "entry": fields, "vector": new_vector}, applied=True)


def adopt_unknown(entry_id, observed, expectation):
    """An id nobody acknowledged must be an in-flight create or import that did commit."""
    fields, vector = observed
    match = expectation.inflight_texts.get(fields.get("text"))
    if match is None:
        return f"id {entry_id}: present but never written by the test (text {fields.get('text')!r})", None
    kind, want_vector, want_id = match
    if want_id is not None and want_id != entry_id:
        return f"id {entry_id}: holds the in-flight import text of id {want_id}", None
    if cosine(vector, want_vector) < 0.9999:
        return f"id {entry_id}: in-flight {kind} committed with another vector", None
    return None, {"live": True, "entry": fields, "vector": want_vector}


def inflight_import_outcomes(expectation, observed):
    """An import is one transaction: of an import in flight at the kill, all items (fresh
    ids, so all would be created) or none may be present. Returns (problems, how many such
    imports did commit)."""
    problems, committed = [], 0
    for ids in expectation.inflight_imports:
        present = [entry_id for entry_id in ids if entry_id in observed]
        if present and len(present) != len(ids):
            problems.append(f"in-flight import of {len(ids)} entries partly committed: only {present}")
        committed += len(present) == len(ids)
    return problems, committed


def batch_item_key(value):
    """The item index as found in metadata (a JSON number may come back as 3.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def batch_outcomes(expectation, observed, trial):
    """All or nothing per batch, found by the metadata marker of every stored entry (not by
    the ids the daemon answered): each batch of this trial that was sent (acknowledged, in
    flight at the kill, or answered unreadably) must have all its valid items stored or none
    of them; a half is "half-written". An acknowledged batch must have all, under the ids
    it was answered with; a refused batch (non-200) none; an invalid or failed item is never
    stored, no item twice, and no marker of this trial that no batch log names. A committed
    in-flight batch's items must hold the fields that were sent.
    Returns (problems, Counter(half_written, inflight, committed))."""
    prefix = f"t{trial}-"
    found = collections.defaultdict(lambda: collections.defaultdict(list))  # marker -> index -> [ids]
    for entry_id, (fields, _) in observed.items():
        metadata = fields.get("metadata")
        marker = metadata.get("crash_batch") if isinstance(metadata, dict) else None
        if isinstance(marker, str) and marker.startswith(prefix):
            found[marker][batch_item_key(metadata.get("crash_item"))].append(entry_id)
    problems, stats = [], collections.Counter()
    for marker in sorted(set(found) - set(expectation.batches)):
        count = sum(len(ids) for ids in found[marker].values())
        problems.append(f"batch {marker}: {count} entries carry its marker, but no writer logged such a batch")
    for marker, batch in sorted(expectation.batches.items()):
        state, expected, present = batch["state"], batch["expected"], found.get(marker, {})
        for index, ids in sorted(present.items(), key=lambda pair: str(pair[0])):
            if len(ids) > 1:
                problems.append(f"batch {marker} item {index}: stored {len(ids)} times (ids {sorted(ids)})")
        stray = sorted(set(present) - set(expected), key=str)
        if [index for index in stray if index in batch["forbidden"]]:
            problems.append(f"batch {marker}: invalid or failed item(s) "
                            f"{[index for index in stray if index in batch['forbidden']]} stored")
        if [index for index in stray if index not in batch["forbidden"]]:
            problems.append(f"batch {marker}: item(s) {[index for index in stray if index not in batch['forbidden']]} "
                            f"stored that the batch never held")
        wanted = set(expected)
        got = wanted & set(present)
        if state == "refused":
            if got:
                problems.append(f"batch {marker}: answered with an error, yet {len(got)} of its items are stored")
            continue
        if state != "acknowledged":
            stats["inflight"] += 1
        if got and got != wanted:
            stats["half_written"] += 1
            missing = sorted(wanted - got)
            problems.append(f"batch {marker} ({state}): half-written: {len(got)} of its {len(wanted)} valid "
                            f"items stored, missing items {missing[:10]}{'…' if len(missing) > 10 else ''}")
        elif state == "acknowledged" and not got and wanted:
            problems.append(f"batch {marker}: acknowledged with {len(wanted)} items, none of them stored")
        if state == "acknowledged":
            for index in sorted(got):
                if expected[index]["id"] not in present[index]:
                    problems.append(f"batch {marker} item {index}: acknowledged as id {expected[index]['id']}, "
                                    f"stored as id {sorted(present[index])}")
        elif got and got == wanted:
            stats["committed"] += 1
            for index in sorted(got):
                fields, _ = observed[present[index][0]]
                differing = field_differences(expected[index]["entry"], fields)
                if differing:
                    problems.append(f"batch {marker} item {index} (committed in flight): "
                                    f"{', '.join(differing)} differ from what was sent")
    return problems, stats


def search_finds(client, namespace, vector, entry_id, k=10):
    status, document = client.request("POST", f"/v1/namespaces/{urllib.parse.quote(namespace)}/search",
                                       {"vector": vector, "k": k, "ef": 256})
    if status != 200:
        raise RuntimeError(f"search: HTTP {status} {document}")
    return any(hit["entry"]["id"] == entry_id for hit in document["hits"])


def lexical_finds(client, namespace, token, entry_id):
    status, document = client.request("POST", f"/v1/namespaces/{urllib.parse.quote(namespace)}/search",
                                       {"text": token, "k": 10, "mode": "lexical"})
    if status != 200:
        raise RuntimeError(f"lexical search: HTTP {status} {document}")
    return any(hit["entry"]["id"] == entry_id for hit in document["hits"])


def unique_token(item):
    """The random token that ends every text this script writes ("… r1a2b3c4d"), or None."""
    text = ((item.get("entry") or {}).get("text")) or ""
    match = re.search(r"\b(r[0-9a-f]{8})$", text)
    return match.group(1) if match else None


def search_problems(client, namespace, state, touched, rng, sample):
    """Every entry touched in this trial plus a seeded sample of older ones: a live entry is
    found by its own vector and, in the lexical index, by the random token of its text; a
    deleted one by neither."""
    ids = sorted(touched & set(state))
    older = sorted(set(state) - touched)
    ids += rng.sample(older, min(sample, len(older)))
    problems = []
    searched = 0
    for entry_id in ids:
        item = state[entry_id]
        if item["vector"] is None:
            continue
        found = search_finds(client, namespace, item["vector"], entry_id)
        searched += 1
        if item["live"] and not found:
            problems.append(f"id {entry_id}: live but a search by its vector does not find it")
        elif not item["live"] and found:
            problems.append(f"id {entry_id}: deleted but a search by its last vector returns it")
        token = unique_token(item)
        if token is not None:
            found = lexical_finds(client, namespace, token, entry_id)
            searched += 1
            if item["live"] and not found:
                problems.append(f"id {entry_id}: live but a lexical search for {token} does not find it")
            elif not item["live"] and found:
                problems.append(f"id {entry_id}: deleted but a lexical search for {token} returns it")
    return problems, searched


def deleted_get_problems(client, namespace, state, touched):
    """GET of each entry deleted in this trial answers 404 (the get route, not only export)."""
    problems = []
    for entry_id in sorted(touched):
        item = state.get(entry_id)
        if item is None or item["live"]:
            continue
        status, _ = client.request("GET", memories_path(namespace, entry_id))
        if status != 404:
            problems.append(f"id {entry_id}: deleted, but GET answers {status}")
    return problems


def audit_problems(client, expected):
    """The audit log holds, at each acknowledged write's sequence, an event of that entry and
    kind, and the log has no gap over this trial's range (it is gap-free by design)."""
    if not expected:
        return []
    low, high = min(expected), max(expected)
    events = {}
    after = low - 1
    for _ in range(100_000):
        status, document = client.request("GET", f"/v1/audit?after={after}&through={high}&limit=1000")
        if status != 200:
            raise RuntimeError(f"audit: HTTP {status} {document}")
        for event in document["events"]:
            events[event["sequence"]] = event
        after = document.get("next_cursor")
        if after is None:
            break
    problems = []
    gaps = [sequence for sequence in range(low, high + 1) if sequence not in events]
    if gaps:
        problems.append(f"audit log: {len(gaps)} sequence(s) missing between {low} and {high}, first {gaps[0]}")
    for sequence, (entry_id, kind) in sorted(expected.items()):
        event = events.get(sequence)
        if event is not None and (event.get("entry_id") != entry_id or event.get("kind") != kind):
            problems.append(f"audit {sequence}: expected {kind} of id {entry_id}, found "
                            f"{event.get('kind')} of id {event.get('entry_id')}")
    return problems


def scrub_problems(client, namespace, scrubbed):
    """After an acknowledged hard delete, the entry's history ends with its deletion and no
    event still carries its text (the scrub commits with the delete)."""
    problems = []
    for entry_id, text in sorted(scrubbed.items()):
        status, document = client.request("GET", memories_path(namespace, entry_id, "/history?limit=1000"))
        if status != 200:
            problems.append(f"id {entry_id}: hard-deleted, history answers {status}")
            continue
        events = document["events"]
        if not events or events[-1].get("kind") != "deleted":
            problems.append(f"id {entry_id}: hard-deleted, but its history does not end with the deletion")
        texts = {(event.get(side) or {}).get("text") for event in events for side in ("before", "after")}
        texts |= {event.get("claim") for event in events}
        if text in texts or texts - {None, ""}:
            problems.append(f"id {entry_id}: hard-deleted, but its history still holds text")
    return problems


def claim_problems(client, namespace, expectation):
    """Each acknowledged correction, forget and contradiction left its rejected claim, and a
    hard delete left none (ids with a request in flight at the kill are not judged: it may
    have added or removed claims)."""
    problems = []
    for entry_id in sorted(set(expectation.claims) | expectation.unclaimed):
        if entry_id in expectation.inflight_by_id:
            continue
        status, document = client.request("GET", memories_path(namespace, entry_id, "/claims"))
        if status != 200:
            problems.append(f"id {entry_id}: claims answer {status}")
            continue
        held = {claim.get("text") for claim in document["claims"]}
        if entry_id in expectation.unclaimed and held:
            problems.append(f"id {entry_id}: hard-deleted, but it still holds {len(held)} rejected claims")
        missing = expectation.claims.get(entry_id, set()) - held
        if missing:
            problems.append(f"id {entry_id}: acknowledged corrections left no rejected claim of {sorted(missing)}")
    return problems


def command_check(args):
    """Replays, observes, compares, and writes the resolved state. Prints one summary line
    `acknowledged=… checked=… lost=… inflight=… applied=… applied_kinds=… searched=… batches=…
    batch_items=… batch_refused=… batch_lost=… half_written=… batch_inflight=… batch_committed=…
    problems=…` and each problem on stderr; exits 1 on any problem. `acknowledged` and `lost`
    count batch items too (each created item is one acknowledged write); `batches`,
    `batch_items`, `batch_refused` are the acknowledged batches, their created items and
    their invalid items answered "failed"; `batch_lost` the acknowledged batch items lost."""
    state_path = os.path.join(args.workdir, "state.json")
    expectation = Expectation(load_state(state_path))
    for path in writer_log_paths(args.workdir, args.trial):
        for record in read_jsonl(path):
            expectation.apply(record)
    problems = list(expectation.problems)
    problems += [f"writer stopped: {record['message']}" for record in expectation.rejected]

    client = Client(args.socket)
    batch_lost, batch_stats, batch_pool = 0, collections.Counter(), set()
    try:
        observed = read_namespace(client, args.namespace)
        resolved, lost, applied = {}, 0, collections.Counter()
        for entry_id, expected in expectation.state.items():
            inflight = expectation.inflight_by_id.get(entry_id)
            verdict = judge_entry(entry_id, expected, observed.get(entry_id), inflight)
            resolved[entry_id] = verdict.resolved
            lost += verdict.lost
            if entry_id in expectation.batch_ids:
                batch_lost += verdict.lost
            if verdict.applied:
                applied[inflight["kind"]] += 1
            if verdict.problem:
                problems.append(verdict.problem)
        for entry_id in sorted(set(observed) - set(expectation.state)):
            problem, adopted = adopt_unknown(entry_id, observed[entry_id], expectation)
            if problem:
                problems.append(problem)
            else:
                resolved[entry_id] = adopted
                expectation.touched.add(entry_id)
                adopted_kind = expectation.inflight_texts[adopted["entry"]["text"]][0]
                if adopted_kind == "create":
                    applied["create"] += 1
                elif adopted_kind == "batch":
                    batch_pool.add(entry_id)
        import_problems, committed_imports = inflight_import_outcomes(expectation, observed)
        problems += import_problems
        applied["import"] += committed_imports
        found, batch_stats = batch_outcomes(expectation, observed, args.trial)
        problems += found
        applied["batch"] += batch_stats["committed"]
        rng = random.Random(f"check/{args.seed}/{args.trial}")
        # Batch items are many: a seeded sample of them is searched, the rest of the trial's
        # entries all (export already showed every batch item stored with its vector).
        batch_pool |= expectation.batch_ids & set(resolved)
        batch_rng = random.Random(f"check-batch/{args.seed}/{args.trial}")
        sampled = set(batch_rng.sample(sorted(batch_pool), min(args.batch_search_sample, len(batch_pool))))
        search_touched = (expectation.touched - batch_pool) | sampled
        found, searched = search_problems(client, args.namespace, resolved, search_touched, rng, args.search_sample)
        problems += found
        problems += deleted_get_problems(client, args.namespace, resolved, expectation.touched)
        problems += audit_problems(client, expectation.audit)
        problems += scrub_problems(client, args.namespace, expectation.scrubbed)
        problems += claim_problems(client, args.namespace, expectation)
    except (DaemonError, RuntimeError, KeyError) as error:
        problems.append(f"checking failed: {error}")
        resolved, lost, applied, searched = expectation.state, 0, collections.Counter(), 0
        batch_lost, batch_stats = 0, collections.Counter()
    finally:
        client.close()

    if not problems:
        save_state(state_path, resolved)
    live = sum(1 for item in resolved.values() if item["live"])
    print(f"acknowledged={expectation.acknowledged} checked={len(expectation.state)} live={live} lost={lost} "
          f"inflight={expectation.inflight_requests} applied={sum(applied.values())} "
          f"applied_kinds={','.join(sorted(kind for kind, count in applied.items() for _ in range(count))) or '-'} searched={searched} "
          f"batches={expectation.batch_count} batch_items={expectation.batch_items} "
          f"batch_refused={expectation.batch_refused} batch_lost={batch_lost} "
          f"half_written={batch_stats['half_written']} batch_inflight={batch_stats['inflight']} "
          f"batch_committed={batch_stats['committed']} problems={len(problems)}")
    for problem in problems[:50]:
        print(f"  problem: {problem}", file=sys.stderr)
    if len(problems) > 50:
        print(f"  … and {len(problems) - 50} more", file=sys.stderr)
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------------------

def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    health = commands.add_parser("wait-health", help="wait until GET /v1/health answers 200")
    health.add_argument("--socket", required=True)
    health.add_argument("--timeout", type=float, default=60.0)
    health.add_argument("--pid", type=int, default=0, help="fail early when this process has exited")

    setup = commands.add_parser("setup", help="create the namespace")
    setup.add_argument("--socket", required=True)
    setup.add_argument("--namespace", required=True)
    setup.add_argument("--dimension", type=int, default=16)

    delay = commands.add_parser("kill-delay", help="print the seeded kill delay of a trial")
    delay.add_argument("--seed", required=True)
    delay.add_argument("--trial", type=int, required=True)
    delay.add_argument("--min", type=float, default=0.3)
    delay.add_argument("--max", type=float, default=2.5)

    write = commands.add_parser("write", help="run the concurrent writers until the daemon dies")
    write.add_argument("--socket", required=True)
    write.add_argument("--namespace", required=True)
    write.add_argument("--dimension", type=int, default=16)
    write.add_argument("--workdir", required=True)
    write.add_argument("--trial", type=int, required=True)
    write.add_argument("--writers", type=int, default=4)
    write.add_argument("--batch-writers", type=int, default=1,
                       help="writers that only send POST …/memories/batch (besides --writers)")
    write.add_argument("--seed", required=True)
    write.add_argument("--max-seconds", type=float, default=30.0)
    write.add_argument("--max-ops", type=int, default=20_000)
    write.add_argument("--started-file", help="created once the first write was acknowledged")

    check = commands.add_parser("check", help="compare the restarted daemon with the acknowledged writes")
    check.add_argument("--socket", required=True)
    check.add_argument("--namespace", required=True)
    check.add_argument("--workdir", required=True)
    check.add_argument("--trial", type=int, required=True)
    check.add_argument("--seed", required=True)
    check.add_argument("--search-sample", type=int, default=100,
                       help="older entries searched besides those touched in this trial")
    check.add_argument("--batch-search-sample", type=int, default=200,
                       help="this trial's batch items searched (the other entries of the trial all are)")
    return parser.parse_args(argv)


COMMANDS = {
    "wait-health": command_wait_health,
    "setup": command_setup,
    "kill-delay": command_kill_delay,
    "write": command_write,
    "check": command_check,
}


def main(argv):
    args = parse_arguments(argv)
    try:
        return COMMANDS[args.command](args)
    except DaemonError as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Probes that depend on state: the setup every category relies on, concurrent deletes
under writes and searches, and entries imported with counters at their maximum."""

import json
import random
import threading
import time

import rawhttp
import wire
from context import DIMENSION, L2_NS, TEXT_NS, VECTOR_NS, Context
from judge import Probe
from runner import Runner, StopFuzzing
from shapes import NS_PATH, import_entry, remember_body

U64_MAX = 2 ** 64 - 1


def entry_id(reply: rawhttp.Reply) -> int | None:
    """The id in a write's response (`{"entry": {"id": …}}`), if it has one."""
    try:
        return int(json.loads(reply.body)["entry"]["id"])
    except (ValueError, TypeError, KeyError):
        return None


# -- setup ----------------------------------------------------------------------------------

def setup(ctx: Context, runner: Runner) -> None:
    """The namespaces and entries the other categories aim at; every step must succeed."""
    for name, body in [(VECTOR_NS, {"dimension": DIMENSION, "parameters": {"m": 8, "ef_construction": 40}}),
                       (L2_NS, {"dimension": DIMENSION, "metric": "l2"}), (TEXT_NS, {})]:
        runner.send(Probe("setup", f"create namespace {name}", wire.request("PUT", f"/v1/namespaces/{name}", body),
                          expect=(2,)))
    for _ in range(12):
        reply = runner.send(Probe("setup", "remember with a vector",
                                  wire.request("POST", f"{NS_PATH}/memories", remember_body(ctx)), expect=(201,)))
        if (found := entry_id(reply)) is not None:
            ctx.entry_ids.append(found)
    for text in ("Refunds take five business days.", "The office is closed on Sundays."):
        runner.send(Probe("setup", "remember a text (embedding model)",
                          wire.request("POST", f"/v1/namespaces/{TEXT_NS}/memories", {"text": text}),
                          expect=(201, 503), tolerate=(503,), timeout=60.0))


# -- concurrency ----------------------------------------------------------------------------

RACE_NS = "hz-race"


class Race:
    """Writers, searchers and an editor on one namespace while another thread deletes and
    recreates it. Every answer must still be a 2xx or a 4xx error document (404 and 409 are
    the honest answers to a namespace that vanished mid-request)."""

    def __init__(self, ctx: Context, runner: Runner, ops: int, seconds: float):
        self.runner = runner
        self.ops = ops
        self.deadline = time.monotonic() + seconds
        self.seeds = [ctx.rng.randrange(2 ** 32) for _ in range(6)]
        self.ids: list[int] = []
        self.path = f"/v1/namespaces/{RACE_NS}"

    def run(self) -> None:
        self.runner.send(Probe("race", "create the race namespace", self.request("PUT", "", {"dimension": DIMENSION}),
                               expect=(2,)))
        roles = [self.writer, self.writer, self.searcher, self.searcher, self.editor, self.deleter]
        threads = [threading.Thread(target=self.loop, args=(role, random.Random(seed)), daemon=True)
                   for role, seed in zip(roles, self.seeds)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, self.deadline - time.monotonic()) + 30)

    def loop(self, role, rng: random.Random) -> None:
        """Runs `role` at most `ops` times, until the deadline or the end of the budget."""
        try:
            for _ in range(self.ops):
                if time.monotonic() > self.deadline:
                    return
                role(rng)
        except StopFuzzing:
            return

    def request(self, method: str, suffix: str, body: object = None) -> bytes:
        return wire.request(method, self.path + suffix, body)

    def send(self, label: str, data: bytes) -> rawhttp.Reply:
        return self.runner.send(Probe("race", label, data, expect=(2, 4), timeout=15.0))

    @staticmethod
    def vector(rng: random.Random) -> list[float]:
        return [round(rng.uniform(-1, 1), 4) or 0.5 for _ in range(DIMENSION)]

    def writer(self, rng: random.Random) -> None:
        body = {"text": f"race {rng.randrange(10 ** 6)}", "vector": self.vector(rng), "tags": ["race"]}
        reply = self.send("remember during deletes", self.request("POST", "/memories", body))
        if (found := entry_id(reply)) is not None:
            self.ids.append(found)

    def searcher(self, rng: random.Random) -> None:
        body = {"vector": self.vector(rng), "k": 10}
        if rng.random() < 0.5:
            body["filter"] = {"tags_any": ["race"]}
        self.send("search during deletes", self.request("POST", "/search", body))

    def editor(self, rng: random.Random) -> None:
        target = rng.choice(self.ids) if self.ids else 1
        method, suffix, body = rng.choice([
            ("PATCH", "", {"tags": ["race", "edited"]}), ("POST", "/feedback", {"signal": "useful"}),
            ("DELETE", "", None), ("GET", "/history", None),
            ("PATCH", "", {"text": "race edit", "vector": self.vector(rng)}),
        ])
        self.send(f"{method} entry{suffix} during deletes", self.request(method, f"/memories/{target}{suffix}", body))

    def deleter(self, rng: random.Random) -> None:
        time.sleep(rng.uniform(0.01, 0.08))
        self.send("delete the namespace under load", self.request("DELETE", "?confirm=true"))
        if rng.random() < 0.2:
            self.send("rebuild the namespace being deleted",
                      wire.request("POST", "/v1/admin/rebuild", {"namespace": RACE_NS}))
        self.send("recreate the namespace", self.request("PUT", "", {"dimension": DIMENSION}))


def race(ctx: Context, runner: Runner, ops: int = 40, seconds: float = 20.0) -> None:
    Race(ctx, runner, ops, seconds).run()


# -- counters at their maximum --------------------------------------------------------------

OVERFLOW_NS = "hz-overflow"
MAX_ID_NS = "hz-maxid"


# Ids of the imported entries: far above what the other categories create, since ids are
# global and an id with history in another namespace is a conflict (nothing imported).
OVERFLOW_BASE = 2 ** 50

# The entries imported with extreme counters: id -> (fields, whether nothing may increment it).
EXTREMES = {
    OVERFLOW_BASE + 1: ({"version": U64_MAX}, True),
    OVERFLOW_BASE + 2: ({"version": U64_MAX - 1}, False),
    OVERFLOW_BASE + 3: ({"version": 2 ** 63}, False),
    OVERFLOW_BASE + 4: ({"use_count": U64_MAX, "evidence": {"support": U64_MAX, "contradictions": U64_MAX,
                                                            "useful": U64_MAX, "not_useful": U64_MAX}}, False),
    OVERFLOW_BASE + 5: ({"version": 2 ** 53}, False),
}
EVIDENCE_AT_MAX = OVERFLOW_BASE + 4


def overflow(ctx: Context, runner: Runner) -> None:
    """Imports entries whose version, evidence and use count sit at (or near) 2^64-1, then
    does everything that increments them. The import may refuse such an entry (then every
    later request on it is a 404); one it stored must answer 4xx where the counter cannot
    move. The daemon must stay alive: it is checked after every request."""
    vectors = {entry: ctx.vector() for entry in EXTREMES}
    entries = [import_entry(ctx, entry, vector_b64=wire.b64_floats(vectors[entry]), **fields)
               for entry, (fields, _) in EXTREMES.items()]
    reply = runner.send(Probe("overflow", "import entries with counters at 2^64-1, 2^63, 2^53",
                              wire.request("POST", "/v1/admin/import", {"namespace": OVERFLOW_NS, "entries": entries}),
                              expect=(2,)))
    runner.checkpoint("overflow")
    stored = created_ids(reply)
    steps = refused_imports(ctx)
    for entry, (fields, at_max) in EXTREMES.items():
        if "version" in fields:
            steps += increments(ctx, entry, vectors[entry], exists=entry in stored, at_max=at_max)
    steps += evidence_and_use(EVIDENCE_AT_MAX, vectors[EVIDENCE_AT_MAX], exists=EVIDENCE_AT_MAX in stored)
    steps += max_id(ctx)
    for probe in steps:
        runner.send(probe)
        runner.checkpoint("overflow")


def created_ids(reply: rawhttp.Reply) -> set[int]:
    """Ids an import response reports as created."""
    try:
        results = json.loads(reply.body)["results"]
        return {item["id"] for item in results if item.get("status") == "created"}
    except (ValueError, TypeError, KeyError):
        return set()


def refused_imports(ctx: Context) -> list[Probe]:
    """Values past UInt64 (or negative) are not numbers the store can hold: 400."""
    probes = []
    for field, token in [("version", "18446744073709551616"), ("version", "-1"), ("use_count", "18446744073709551616"),
                         ("id", "18446744073709551616"), ("version", "1.8446744073709552e19")]:
        entry = import_entry(ctx, OVERFLOW_BASE + 9, **{field: wire.Raw(token)})
        probes.append(Probe("overflow", f"import {field} = {token}", wire.request(
            "POST", "/v1/admin/import", {"namespace": OVERFLOW_NS, "entries": [entry]}), expect=(4,)))
    probes.append(Probe("overflow", "import version 0", wire.request(
        "POST", "/v1/admin/import", {"namespace": OVERFLOW_NS, "entries": [import_entry(ctx, OVERFLOW_BASE + 10, version=0)]}),
        expect=(2, 4)))
    return probes


def increments(ctx: Context, entry: int, vector: list[float], exists: bool, at_max: bool) -> list[Probe]:
    """Every write that adds one to an entry's version. At the maximum each must be refused;
    on an entry the import refused they are 404s, except learn, which then creates one."""
    path = f"/v1/namespaces/{OVERFLOW_NS}/memories/{entry}"
    expect = (4,) if at_max or not exists else (2, 4)
    writes = [
        ("feedback useful", "POST", f"{path}/feedback", {"signal": "useful"}),
        ("feedback contradicted", "POST", f"{path}/feedback", {"signal": "contradicted"}),
        ("PATCH tags", "PATCH", path, {"tags": ["bumped"]}),
        ("PATCH text and vector", "PATCH", path, {"text": "bumped text", "vector": ctx.vector()}),
        ("revert to version 1", "POST", f"{path}/revert", {"version": 1}),
        ("revert to version 2^64-1", "POST", f"{path}/revert", {"version": U64_MAX}),
    ]
    state = "stored" if exists else "refused by the import"
    probes = [Probe("overflow", f"entry {entry} ({state}): {label}", wire.request(method, target, body), expect=expect)
              for label, method, target, body in writes]
    probes.append(Probe("overflow", f"entry {entry} ({state}): learn its text and vector (reinforce)", wire.request(
        "POST", f"/v1/namespaces/{OVERFLOW_NS}/learn", {"text": f"imported {entry}", "vector": vector}),
        expect=(4,) if at_max and exists else (2, 4)))
    found = (2,) if exists else (404,)
    probes += [Probe("overflow", f"entry {entry} ({state}): GET", wire.request("GET", path), expect=found),
               Probe("overflow", f"entry {entry} ({state}): history", wire.request("GET", f"{path}/history"),
                     expect=found),
               Probe("overflow", f"entry {entry} ({state}): soft delete", wire.request("DELETE", path), expect=(2, 4))]
    return probes


def evidence_and_use(entry: int, vector: list[float], exists: bool) -> list[Probe]:
    """Feedback on evidence counters at 2^64-1, and searches that count a use past 2^64-1."""
    path = f"/v1/namespaces/{OVERFLOW_NS}/memories/{entry}"
    probes = [Probe("overflow", f"entry {entry} (evidence at max): feedback {signal}",
                    wire.request("POST", f"{path}/feedback", {"signal": signal}), expect=(2, 4))
              for signal in ("useful", "not_useful", "contradicted")]
    probes += [Probe("overflow", f"entry {entry} (use_count at max): search that returns it",
                     wire.request("POST", f"/v1/namespaces/{OVERFLOW_NS}/search", {"vector": vector, "k": 5}),
                     expect=(2,)) for _ in range(2)]
    probes.append(Probe("overflow", f"entry {entry}: GET after the searches", wire.request("GET", path),
                        expect=(2,) if exists else (404,)))
    return probes


def max_id(ctx: Context) -> list[Probe]:
    """An imported id of 2^64-1, then a remember that needs the next id."""
    entry = import_entry(ctx, U64_MAX)
    return [Probe("overflow", "import id 2^64-1", wire.request(
                "POST", "/v1/admin/import", {"namespace": MAX_ID_NS, "entries": [entry]}), expect=(2, 4)),
            Probe("overflow", "remember after id 2^64-1", wire.request(
                "POST", f"/v1/namespaces/{MAX_ID_NS}/memories", {"text": "next id", "vector": ctx.vector()}),
                expect=(2, 4))]

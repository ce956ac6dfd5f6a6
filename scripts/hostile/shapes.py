"""Valid request bodies for every route that takes one: the starting point of the
valid-shaped probes (one field made hostile at a time) and of the random mutants.

Remember, learn and edit carry a vector, so they never wait for the embedding model unless a
probe takes the vector away on purpose.
"""

import copy
from collections.abc import Iterator
from dataclasses import dataclass

import wire
from context import DIMENSION, VECTOR_NS, Context

NS_PATH = f"/v1/namespaces/{VECTOR_NS}"


@dataclass
class Shape:
    name: str
    method: str
    path: str
    body: dict
    empty_ok: bool = False  # an empty body is valid here (defaults), not an error

    def request(self, body: object = None) -> bytes:
        return wire.request(self.method, self.path, self.body if body is None else body)


def shapes(ctx: Context) -> list[Shape]:
    """One valid body per route (fields chosen to exercise every member the route reads)."""
    entry = ctx.entry()
    return [
        Shape("remember", "POST", f"{NS_PATH}/memories", remember_body(ctx)),
        Shape("learn", "POST", f"{NS_PATH}/learn", remember_body(ctx)),
        Shape("search", "POST", f"{NS_PATH}/search", search_body(ctx)),
        Shape("edit", "PATCH", f"{NS_PATH}/memories/{entry}",
              {"tags": ["t1"], "metadata": {"k": "w"}, "source": "fuzz", "confidence": 0.6, "pinned": True,
               "actor": "fuzzer", "reason": "edit"}),
        Shape("edit-text", "PATCH", f"{NS_PATH}/memories/{entry}",
              {"text": "edited by the fuzzer", "vector": ctx.vector(), "clear_expiry": True}),
        Shape("revert", "POST", f"{NS_PATH}/memories/{entry}/revert",
              {"version": 1, "vector": ctx.vector(), "actor": "fuzzer", "reason": "revert"}),
        Shape("feedback", "POST", f"{NS_PATH}/memories/{entry}/feedback",
              {"signal": "useful", "actor": "fuzzer", "reason": "feedback"}),
        Shape("namespace", "PUT", "/v1/namespaces/hz-shape", namespace_body(), empty_ok=True),
        Shape("import", "POST", "/v1/admin/import", {"namespace": "hz-import", "entries": [import_entry(ctx, 1)]}),
        Shape("rebuild", "POST", "/v1/admin/rebuild", {"namespace": VECTOR_NS, "m": 8, "ef_construction": 40},
              empty_ok=True),
        Shape("backup", "POST", "/v1/admin/backup", {"path": f"{ctx.workdir}/backups/shape"}),
    ]


def remember_body(ctx: Context) -> dict:
    return {"text": f"hostile fuzz entry {ctx.rng.randrange(10 ** 6)}", "vector": ctx.vector(),
            "tags": ["t1", "t2"], "metadata": {"k": "v", "n": 1}, "source": "fuzz", "confidence": 0.5,
            "pinned": False, "actor": "fuzzer", "reason": "remember"}


def search_body(ctx: Context) -> dict:
    return {"vector": ctx.vector(), "k": 5, "ef": 32,
            "filter": {"tags_any": ["t1"], "tags_all": ["t2"], "source": ["fuzz"], "min_confidence": 0.1,
                       "created": {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
                       "metadata": {"k": "v"}, "pinned": False},
            "rank": {"similarity": 1, "confidence": 0.2, "recency": 0.1, "recency_half_life": 86400}}


def namespace_body() -> dict:
    return {"dimension": DIMENSION, "metric": "cosine",
            "parameters": {"m": 8, "ef_construction": 40, "ef_search": 16, "flat_threshold": 100,
                           "consolidation_fraction": 0.1, "seed": 7}}


def import_entry(ctx: Context, entry_id: int, **fields) -> dict:
    """One exported entry (every field the wire format has), overridden by `fields`."""
    entry = {"id": entry_id, "text": f"imported {entry_id}", "tags": ["imp"], "metadata": {}, "source": "import",
             "confidence": 0.5, "evidence": {"support": 1, "contradictions": 0, "useful": 0, "not_useful": 0},
             "pinned": False, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
             "last_used_at": None, "use_count": 0, "version": 1, "expires_at": None,
             "vector_b64": wire.b64_floats(ctx.vector())}
    entry.update(fields)
    return entry


def leaf_paths(value: object, prefix: tuple = (), depth: int = 3) -> Iterator[tuple]:
    """Paths (keys and indices) of every member down to `depth` levels, containers included,
    so a probe can replace a scalar, an array or a whole object. Arrays of numbers (vectors)
    are not entered: their elements are the vector probes' business."""
    if depth == 0 or (isinstance(value, list) and all(isinstance(v, (int, float)) for v in value)):
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from leaf_paths(child, (*prefix, key), depth - 1)


def replaced(body: dict, path: tuple, value: object) -> dict:
    """A deep copy of `body` with the member at `path` set to `value`."""
    copy_ = copy.deepcopy(body)
    target = copy_
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy_


def removed(body: dict, path: tuple) -> dict:
    copy_ = copy.deepcopy(body)
    target = copy_
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy_


def path_name(path: tuple) -> str:
    return ".".join(str(k) for k in path)

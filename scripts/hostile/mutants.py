"""Random mutations of valid bodies, to fill the request budget with inputs nobody listed.

Each mutant starts from a valid body (``shapes``), gets one to three structural changes (a
member replaced by a hostile value, removed, duplicated, wrapped, or an unknown member
added) and sometimes a byte-level one (truncation, a flipped byte, an invalid UTF-8 byte).
The seed makes the sequence reproducible; the label says exactly what was done.
"""

import copy
import random
from collections.abc import Iterator

import wire
from context import Context
from judge import Probe
from shapes import leaf_paths, path_name, shapes
from wire import Pairs, Raw

HOSTILE_VALUES = [
    None, True, False, "", " ", "\u0000", "\u202e", "x" * 1000, -1, 0, 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1,
    2 ** 64, -(2 ** 63) - 1, 1.5, -0.0, 1e308, Raw("1e309"), Raw("-1e309"), Raw("NaN"), [], {}, [[[]]],
    {"a": {"b": {}}}, "2024-01-01T00:00:00Z", "useful", "cosine", Raw(r'"\ud800"'), ["t"] * 70,
]

# Backup is left out: a mutated path could point anywhere on the machine.
EXCLUDED = ("backup",)


def mutants(ctx: Context, count: int) -> Iterator[Probe]:
    templates = [shape for shape in shapes(ctx) if shape.name not in EXCLUDED]
    for index in range(count):
        shape = ctx.rng.choice(templates)
        body, steps = mutate(ctx.rng, shape.body)
        data = wire.body_bytes(body)
        if ctx.rng.random() < 0.2:
            data, step = mutate_bytes(ctx.rng, data)
            steps.append(step)
        yield Probe("mutants", f"#{index} {shape.name}: {'; '.join(steps)}",
                    wire.request(shape.method, shape.path, data), expect=(2, 4), timeout=15.0)


def mutate(rng: random.Random, body: dict) -> tuple[object, list[str]]:
    """One to three structural mutations; returns the new body and what was done."""
    body = copy.deepcopy(body)
    steps = []
    for _ in range(rng.randint(1, 3)):
        paths = list(leaf_paths(body)) if isinstance(body, dict) else []
        if not paths:
            break
        path = rng.choice(paths)
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        steps.append(apply_one(rng, parent, path[-1]) + f" at {path_name(path)}")
    if isinstance(body, dict) and body and rng.random() < 0.1:
        key = rng.choice(list(body))
        body = Pairs([*body.items(), (key, hostile_value(rng))])
        steps.append(f"key {key} repeated")
    return body, steps


def hostile_value(rng: random.Random) -> object:
    """A fresh copy, so later mutations never alter the pool (or make a value contain itself)."""
    return copy.deepcopy(rng.choice(HOSTILE_VALUES))


def apply_one(rng: random.Random, parent, key) -> str:
    """Mutates `parent[key]` in place; returns a description."""
    roll = rng.random()
    if roll < 0.6:
        value = hostile_value(rng)
        parent[key] = value
        return f"set {value!r:.40}"
    if roll < 0.75 and isinstance(parent, dict):
        del parent[key]
        return "removed"
    if roll < 0.85:
        parent[key] = [parent[key]]
        return "wrapped in an array"
    if isinstance(parent[key], dict):
        parent[key]["zz_unknown"] = hostile_value(rng)
        return "unknown member added"
    parent[key] = {"value": parent[key]}
    return "wrapped in an object"


def mutate_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if not data:
        return data, "empty"
    at = rng.randrange(len(data))
    choice = rng.randrange(4)
    if choice == 0:
        return data[:at], f"truncated at {at}"
    if choice == 1:
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:], f"bit flipped at {at}"
    if choice == 2:
        return data[:at] + b"\xff" + data[at:], f"0xFF inserted at {at}"
    return data[:at] + b"\x00" + data[at:], f"NUL inserted at {at}"

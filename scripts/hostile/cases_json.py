"""Malformed JSON and UTF-8, wrong types, unknown fields, and numbers out of range, sent to
every route that reads a body.

Malformed bodies must be refused before anything is embedded or written (400
`malformed_json` / `invalid_utf8`); valid JSON of the wrong shape must be 400 with the field
named; no input here may reach a 500.
"""

from collections.abc import Iterator

import wire
from context import Context
from judge import Probe
from shapes import NS_PATH, Shape, leaf_paths, path_name, removed, replaced, shapes
from wire import Pairs, Raw

DEPTH = 100_000

MALFORMED: list[tuple[str, bytes]] = [
    ("truncated object", b"{"),
    ("truncated after a key", b'{"text":'),
    ("unterminated string", b'{"text":"abc'),
    ("trailing comma", b'{"text":"a",}'),
    ("missing value", b'{"a":}'),
    ("missing colon", b'{"a" 1}'),
    ("bare word", b"nul"),
    ("single quotes", b"{'text':'a'}"),
    ("comment", b'{"k":1 /* c */}'),
    ("NaN literal", b'{"k":NaN}'),
    ("two documents", b'{"k":1}{"k":2}'),
    ("trailing garbage", b'{"k":1} x'),
    ("top-level null", b"null"),
    ("top-level number", b"1"),
    ("top-level string", b'"text"'),
    ("top-level array", b"[]"),
    ("top-level true", b"true"),
    ("UTF-8 BOM before null", b"\xef\xbb\xbfnull"),
    ("UTF-16 body", '{"k":1}'.encode("utf-16")),
    (f"{DEPTH} open brackets", b"[" * DEPTH),
    (f"{DEPTH} nested arrays, well formed", b"[" * DEPTH + b"]" * DEPTH),
    ("10 000 nested objects, well formed", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
    ("nesting inside an unknown member", b'{"zz":' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
    ("byte 0xFF", b'{"text":"\xff"}'),
    ("overlong encoding", b'{"text":"\xc0\xaf"}'),
    ("UTF-8-encoded surrogate", b'{"text":"\xed\xa0\x80"}'),
    ("code point above U+10FFFF", b'{"text":"\xf4\x90\x80\x80"}'),
    ("truncated multi-byte sequence", b'{"text":"abc\xe2\x82'),
    ("invalid UTF-8 in a key", b'{"\xfe":1}'),
    ("raw control characters in a string", b'{"text":"a\x01\x1fb"}'),
    ("bad escape", b'{"text":"\\x41"}'),
    ("short unicode escape", b'{"text":"\\u12"}'),
    ("100 000 spaces, then null", b" " * 100_000 + b"null"),
]

# Stand-ins for "a value of the wrong type"; every member of every body gets each of them.
WRONG_TYPES: list[tuple[str, object]] = [
    ("null", None), ("number", 7), ("string", "s"), ("array", []), ("object", {}), ("true", True),
    ("float", 1.5),
]

# Numbers at and past every integer width the server might decode into.
NUMBERS = ["0", "-1", "2147483648", "9223372036854775807", "9223372036854775808", "18446744073709551615",
           "18446744073709551616", "-9223372036854775809", "1e309", "-1e309", "1e-400", "1.5", "1e2", "10.0",
           "-0", "123456789012345678901234567890"]

# (shape, path) of every numeric member. The first ones (integers the server stores or
# counts with) get every token of NUMBERS, the others a seeded sample.
NUMERIC_MEMBERS = [
    ("search", ("k",)), ("revert", ("version",)), ("namespace", ("dimension",)),
    ("import", ("entries", 0, "id")), ("import", ("entries", 0, "version")),
]
SAMPLED_NUMERIC_MEMBERS = [
    ("search", ("ef",)), ("search", ("filter", "min_confidence")),
    ("search", ("rank", "similarity")), ("search", ("rank", "recency_half_life")),
    ("remember", ("confidence",)), ("edit", ("confidence",)), ("namespace", ("parameters", "m")),
    ("namespace", ("parameters", "ef_construction")), ("namespace", ("parameters", "flat_threshold")),
    ("namespace", ("parameters", "consolidation_fraction")), ("namespace", ("parameters", "seed")),
    ("rebuild", ("m",)), ("rebuild", ("ef_construction",)),
    ("import", ("entries", 0, "use_count")), ("import", ("entries", 0, "evidence", "useful")),
]


# Routes that get every malformed body; the others get a seeded sample (same parser).
FULL_MALFORMED = ("remember", "search", "edit", "import")


def malformed_json(ctx: Context) -> Iterator[Probe]:
    """Malformed bodies on every route, then the route-specific shape errors."""
    for shape in shapes(ctx):
        sample = MALFORMED if shape.name in FULL_MALFORMED else ctx.rng.sample(MALFORMED, 6)
        for label, body in sample:
            yield Probe("json", f"{shape.name}: {label}", shape.request(body), expect=(4,), timeout=15.0)
        if not shape.empty_ok:
            yield Probe("json", f"{shape.name}: empty body", wire.request(shape.method, shape.path, b""), expect=(4,))
        yield from wrong_types(ctx, shape)
        yield from unknown_fields(shape)
        yield from escapes_and_duplicates(ctx, shape)


def wrong_types(ctx: Context, shape: Shape) -> Iterator[Probe]:
    """Each member replaced by two other JSON types (seeded choice) and left out. A null or
    a missing optional member may be fine (2xx); the rest must be 400 unless the type fits."""
    for path in leaf_paths(shape.body):
        for label, value in ctx.rng.sample(WRONG_TYPES, 2):
            yield Probe("json", f"{shape.name}: {path_name(path)} = {label}",
                        shape.request(replaced(shape.body, path, value)), expect=(2, 4))
        yield Probe("json", f"{shape.name}: without {path_name(path)}",
                    shape.request(removed(shape.body, path)), expect=(2, 4))


def unknown_fields(shape: Shape) -> Iterator[Probe]:
    """Unknown members are rejected (400 `unknown_field`) at the top and in nested objects."""
    yield Probe("json", f"{shape.name}: unknown top-level field", shape.request({**shape.body, "zz_unknown": 1}),
                expect=(400,), expect_code="unknown_field")
    for path in leaf_paths(shape.body):
        member = shape.body
        for key in path:
            member = member[key]
        if isinstance(member, dict) and "metadata" not in path:  # metadata is free-form
            yield Probe("json", f"{shape.name}: unknown field in {path_name(path)}",
                        shape.request(replaced(shape.body, path, {**member, "zz_unknown": 1})), expect=(4,))


ESCAPES = [("lone high surrogate", r'"\ud800"'), ("lone low surrogate", r'"a\udc00b"'),
           ("reversed surrogate pair", r'"\udc00\ud800"'), ("NUL", r'"a\u0000b"'),
           ("U+FFFF and U+FEFF", r'"\uffff\ufeff"')]


def escapes_and_duplicates(ctx: Context, shape: Shape) -> Iterator[Probe]:
    """Lone surrogates and NUL as escapes in string members (two of them each, seeded), and
    every top-level key twice."""
    for path in leaf_paths(shape.body):
        member = shape.body
        for key in path:
            member = member[key]
        if isinstance(member, str):
            for label, token in ctx.rng.sample(ESCAPES, 2):
                yield Probe("json", f"{shape.name}: {label} escaped in {path_name(path)}",
                            shape.request(replaced(shape.body, path, Raw(token))), expect=(2, 4))
    for key, value in shape.body.items():
        pairs = Pairs([*shape.body.items(), (key, value)])
        yield Probe("json", f"{shape.name}: key {key!r} twice", shape.request(pairs), expect=(2, 4))


def numbers(ctx: Context) -> Iterator[Probe]:
    """Integer widths, overflow, floats where integers go, infinities by exponent."""
    by_name = {shape.name: shape for shape in shapes(ctx)}
    members = [(member, NUMBERS) for member in NUMERIC_MEMBERS]
    members += [(member, ctx.rng.sample(NUMBERS, 5)) for member in SAMPLED_NUMERIC_MEMBERS]
    for (name, path), tokens in members:
        shape = by_name[name]
        for token in tokens:
            yield Probe("numbers", f"{name}: {path_name(path)} = {token}",
                        shape.request(replaced(shape.body, path, Raw(token))), expect=(2, 4))
    yield from query_numbers(ctx)


def query_numbers(ctx: Context) -> Iterator[Probe]:
    """The integer query parameters (`after`, `limit`, `through`) with the same tokens."""
    routes = [f"{NS_PATH}/memories", ctx.entry_path("/history"), "/v1/audit", f"{NS_PATH}/export"]
    for route in routes:
        for name in ("after", "limit"):
            for token in ctx.rng.sample(NUMBERS, 6) + ["", "abc", "%00", "1%00"]:
                yield Probe("numbers", f"GET {route}?{name}={token}", wire.request("GET", f"{route}?{name}={token}"),
                            expect=(2, 4))
    for token in ("0", "18446744073709551615", "-1", "1e3"):
        yield Probe("numbers", f"GET /v1/audit?after=5&through={token}",
                    wire.request("GET", f"/v1/audit?after=5&through={token}"), expect=(2, 4))

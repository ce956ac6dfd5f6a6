"""Valid-shaped requests with hostile values: vectors, filters, names and ids, sizes, and
texts for the embedding model. The JSON is well formed, so these reach the engine, which
is where a missed range check turns into a crash or a 500."""

import base64
from collections.abc import Iterator

import wire
from context import DIMENSION, L2_NS, TEXT_NS, Context
from judge import Probe
from shapes import NS_PATH, remember_body, search_body
from wire import Raw

NAN, INF = float("nan"), float("inf")
TEXT_NS_PATH = f"/v1/namespaces/{TEXT_NS}"


# -- vectors --------------------------------------------------------------------------------

def json_vectors(ctx: Context) -> list[tuple[str, object, bool]]:
    """(label, `vector` value, must be refused) for the JSON-array form."""
    ones = [1.0] * (DIMENSION - 1)
    return [
        (f"{DIMENSION - 1} components", ctx.vector(DIMENSION - 1), True),
        (f"{DIMENSION + 1} components", ctx.vector(DIMENSION + 1), True),
        ("no components", [], True),
        ("100 000 components", [0.5] * 100_000, True),
        ("all zeros", [0] * DIMENSION, False),
        ("negative zeros", [Raw("-0.0")] * DIMENSION, False),
        ("NaN literal", [Raw("NaN"), *ones], True),
        ("Infinity literal", [Raw("Infinity"), *ones], True),
        ("1e39, past float32", [Raw("1e39"), *ones], True),
        ("-1e39, past float32", [Raw("-1e39"), *ones], True),
        ("1e309, past float64", [Raw("1e309"), *ones], True),
        ("3e38 each, the norm overflows", [3e38] * DIMENSION, False),
        ("1e-50 each, underflows to zero", [Raw("1e-50")] * DIMENSION, False),
        ("subnormals", [Raw("1e-45")] * DIMENSION, False),
        ("strings", ["1"] * DIMENSION, True),
        ("nulls", [None] * DIMENSION, True),
        ("nested arrays", [[1]] * DIMENSION, True),
        ("booleans", [True] * DIMENSION, True),
        ("an object", {"0": 1}, True),
        ("a string", "1,2,3", True),
        ("a number", 1, True),
        ("hexadecimal float", [Raw("0x1p3"), *ones], True),
        ("leading plus", [Raw("+1"), *ones], True),
        ("leading zeros", [Raw("01"), *ones], True),
        ("exponent of 20 digits", [Raw("1e99999999999999999999"), *ones], True),
        ("mantissa of 5 000 digits", [Raw("0." + "1" * 5000), *ones], False),
        ("trailing comma", Raw("[" + ",".join(["1"] * DIMENSION) + ",]"), True),
        ("unclosed array", Raw("[1,2,3"), True),
    ]


def b64_vectors(ctx: Context) -> list[tuple[str, object, bool]]:
    """(label, `vector_b64` value, must be refused) for the base64 float32 form."""
    good = wire.b64_floats(ctx.vector())
    return [
        ("NaN", wire.b64_floats([NAN] + [1.0] * (DIMENSION - 1)), True),
        ("+Inf", wire.b64_floats([INF] + [1.0] * (DIMENSION - 1)), True),
        ("-Inf", wire.b64_floats([-INF] + [1.0] * (DIMENSION - 1)), True),
        ("signalling NaN bits", wire.b64_bits([0x7F800001] + [0x3F800000] * (DIMENSION - 1)), True),
        ("all zeros", wire.b64_floats([0.0] * DIMENSION), False),
        ("3e38 each", wire.b64_floats([3e38] * DIMENSION), False),
        (f"{DIMENSION - 1} floats", wire.b64_floats(ctx.vector(DIMENSION - 1)), True),
        (f"{DIMENSION + 1} floats", wire.b64_floats(ctx.vector(DIMENSION + 1)), True),
        ("31 bytes", base64.b64encode(bytes(31)).decode(), True),
        ("empty string", "", True),
        ("not base64", "!!!!" * 8, True),
        ("URL-safe alphabet", good.replace("+", "-").replace("/", "_") + "-_", True),
        ("padding removed", good.rstrip("=") + "A", True),
        ("extra padding", good + "====", True),
        ("spaces inside", good[:8] + " " + good[8:], True),
        ("line breaks inside", good[:8] + "\r\n" + good[8:], True),
        ("escaped characters", Raw('"' + "".join(f"\\u{ord(c):04x}" for c in good) + '"'), False),
        ("a number", 12345, True),
        ("an array", [1, 2], True),
        ("null", None, True),
        ("100 000 floats", wire.b64_floats([0.5] * 100_000), True),
    ]


def vectors(ctx: Context) -> Iterator[Probe]:
    """Each hostile vector in every place a vector is read: remember, search, edit (with a new
    text), revert (decoded by JSONDecoder, not the fast parser), import (base64 only)."""
    entry = ctx.entry()
    targets = [
        ("remember", "POST", f"{NS_PATH}/memories", remember_body(ctx)),
        ("search", "POST", f"{NS_PATH}/search", {"vector": ctx.vector(), "k": 3}),
        ("edit", "PATCH", f"{NS_PATH}/memories/{entry}", {"text": "new text", "vector": ctx.vector()}),
        ("revert", "POST", f"{NS_PATH}/memories/{entry}/revert", {"version": 1, "vector": ctx.vector()}),
        ("l2 remember", "POST", f"/v1/namespaces/{L2_NS}/memories", remember_body(ctx)),
        ("l2 search", "POST", f"/v1/namespaces/{L2_NS}/search", {"vector": ctx.vector(), "k": 3}),
    ]
    for name, method, path, body in targets:
        for label, value, refuse in json_vectors(ctx):
            yield Probe("vectors", f"{name}: vector {label}", wire.request(method, path, {**body, "vector": value}),
                        expect=(4,) if refuse else (2, 4), timeout=10.0)
    for name, method, path, body in targets[:2] + targets[4:]:
        without = {k: v for k, v in body.items() if k != "vector"}
        for label, value, refuse in b64_vectors(ctx):
            yield Probe("vectors", f"{name}: vector_b64 {label}",
                        wire.request(method, path, {**without, "vector_b64": value}),
                        expect=(4,) if refuse else (2, 4), timeout=10.0)
        yield Probe("vectors", f"{name}: vector and vector_b64", wire.request(
            method, path, {**body, "vector_b64": wire.b64_floats(ctx.vector())}), expect=(4,))
    yield from import_vectors(ctx)
    yield Probe("vectors", "edit: vector without text", wire.request(
        "PATCH", f"{NS_PATH}/memories/{entry}", {"vector": ctx.vector()}), expect=(4,))


def import_vectors(ctx: Context) -> Iterator[Probe]:
    for index, (label, value, _) in enumerate(b64_vectors(ctx)):
        entry = {"id": 500 + index, "text": f"import vector {label}", "vector_b64": value}
        yield Probe("vectors", f"import: vector_b64 {label}",
                    wire.request("POST", "/v1/admin/import", {"namespace": "hz-vectors", "entries": [entry]}),
                    expect=(2, 4))


# -- filters --------------------------------------------------------------------------------

def filter_values(ctx: Context) -> list[tuple[str, object]]:
    many = [f"tag-{i}" for i in range(10_000)]
    return [
        ("null", None), ("an array", []), ("a string", "tags"), ("a number", 1), ("empty object", {}),
        ("tags_any a string", {"tags_any": "t1"}), ("tags_any numbers", {"tags_any": [1, 2]}),
        ("tags_any nulls", {"tags_any": [None]}), ("tags_any 10 000 tags", {"tags_any": many}),
        ("tags_all 10 000 tags", {"tags_all": many}), ("tags_any empty", {"tags_any": []}),
        ("tags_any 129-byte tag", {"tags_any": ["t" * 129]}), ("tags_any empty tag", {"tags_any": [""]}),
        ("tags_any NUL and newline", {"tags_any": ["a\u0000", "b\n"]}),
        ("tags_all 1 000 distinct 128-byte tags", {"tags_all": [f"{i:04d}" + "x" * 124 for i in range(1000)]}),
        ("source a string", {"source": "fuzz"}), ("source 5 000 entries", {"source": ["s"] * 5000}),
        ("min_confidence a string", {"min_confidence": "high"}),
        ("min_confidence 1e309", {"min_confidence": Raw("1e309")}),
        ("min_confidence -1", {"min_confidence": -1}), ("min_confidence 2", {"min_confidence": 2}),
        ("created a string", {"created": "2024"}), ("created bad date", {"created": {"from": "2024-13-45T99:99:99Z"}}),
        ("created empty date", {"created": {"from": ""}}), ("created number date", {"created": {"to": 1700000000}}),
        ("created inverted range", {"created": {"from": "2100-01-01T00:00:00Z", "to": "2000-01-01T00:00:00Z"}}),
        ("created year 0", {"created": {"from": "0000-01-01T00:00:00Z"}}),
        ("created year 99999", {"created": {"to": "99999-01-01T00:00:00Z"}}),
        ("created unknown key", {"created": {"since": "2000-01-01T00:00:00Z"}}),
        ("updated nulls", {"updated": {"from": None, "to": None}}),
        ("metadata nested", {"metadata": {"a": {"b": [1, 2, {"c": None}]}}}),
        ("metadata 200 levels deep", {"metadata": {"a": Raw('{"b":' * 200 + "1" + "}" * 200)}}),
        ("metadata 1e309", {"metadata": {"n": Raw("1e309")}}), ("metadata empty key", {"metadata": {"": 1}}),
        ("metadata 5 000 keys", {"metadata": {f"k{i}": i for i in range(5000)}}),
        ("pinned a string", {"pinned": "true"}), ("pinned null", {"pinned": None}),
        ("occurred inverted range", {"occurred": {"from": "2100-01-01T00:00:00Z", "to": "2000-01-01T00:00:00Z"}}),
        ("occurred a string", {"occurred": "2024"}), ("valid_at not a date", {"valid_at": "now"}),
        ("valid_at year 99999", {"valid_at": "99999-01-01T00:00:00Z"}), ("thread a number", {"thread": 7}),
        ("thread of 100 000 bytes", {"thread": "t" * 100_000}), ("thread NUL", {"thread": "a\u0000"}),
        ("max_confidence NaN literal", {"max_confidence": Raw("NaN")}), ("max_confidence 2", {"max_confidence": 2}),
        ("min above max confidence", {"min_confidence": 0.9, "max_confidence": 0.1}),
        ("status unknown", {"status": "archived"}), ("status a number", {"status": 1}), ("status null", {"status": None}),
        ("status any", {"status": "any"}), ("status pending", {"status": "pending"}),
        ("conflicting a string", {"conflicting": "yes"}), ("conflicting true", {"conflicting": True}),
        ("unknown key", {"tag": ["t1"]}),
    ]


def rank_values() -> list[tuple[str, object]]:
    return [
        ("empty", {}), ("null", None), ("an array", []), ("similarity -1", {"similarity": -1}),
        ("similarity 1001", {"similarity": 1001}), ("similarity 1e309", {"similarity": Raw("1e309")}),
        ("all weights zero", {"similarity": 0, "confidence": 0, "recency": 0}),
        ("recency_half_life 0", {"recency_half_life": 0}), ("recency_half_life -5", {"recency_half_life": -5}),
        ("recency_half_life 1e-300", {"recency_half_life": 1e-300}),
        ("recency_half_life 1e308", {"recency_half_life": 1e308}), ("unknown key", {"weight": 1}),
    ]


def retrieval_values() -> list[tuple[str, dict]]:
    """Search members of the lexical and hybrid modes: (label, members added to a text search)."""
    return [
        ("mode unknown", {"mode": "semantic"}), ("mode a number", {"mode": 1}), ("mode null", {"mode": None}),
        ("mode empty", {"mode": ""}), ("mode upper case", {"mode": "HYBRID"}),
        ("fusion null", {"fusion": None}), ("fusion an array", {"fusion": []}),
        ("fusion unknown key", {"fusion": {"alpha": 0.5}}), ("fusion method unknown", {"fusion": {"method": "max"}}),
        ("fusion weights both zero", {"fusion": {"vector_weight": 0, "lexical_weight": 0}}),
        ("fusion weight -1", {"fusion": {"vector_weight": -1}}), ("fusion weight 1e309", {"fusion": {"lexical_weight": Raw("1e309")}}),
        ("fusion rrf_k 0", {"fusion": {"method": "rrf", "rrf_k": 0}}),
        ("fusion rrf_k NaN literal", {"fusion": {"rrf_k": Raw("NaN")}}),
        ("fusion candidates 0", {"fusion": {"candidates": 0}}), ("fusion candidates 1001", {"fusion": {"candidates": 1001}}),
        ("fusion candidates 2^63", {"fusion": {"candidates": Raw("9223372036854775808")}}),
        ("fusion candidates 1000, k 1000", {"fusion": {"candidates": 1000}, "k": 1000}),
        ("context -1", {"context": -1}), ("context 21", {"context": 21}), ("context 2^64", {"context": Raw("18446744073709551616")}),
        ("context 20, k 1000", {"context": 20, "k": 1000}), ("context a string", {"context": "2"}),
        ("lexical with every mode member", {"mode": "lexical", "fusion": {"method": "rrf"}, "context": 3}),
    ]


def filters(ctx: Context) -> Iterator[Probe]:
    base = search_body(ctx)
    text = {"text": "hostile retrieval probe", "k": 5}
    for label, members in retrieval_values():
        yield Probe("filters", f"text search {label}", wire.request("POST", f"{TEXT_NS_PATH}/search", {**text, **members}),
                    expect=(2, 4), timeout=10.0, tolerate=(503,))
    yield Probe("filters", "vector search in lexical mode",
                wire.request("POST", f"{NS_PATH}/search", {**base, "mode": "lexical"}), expect=(4,))
    for label, value in filter_values(ctx):
        yield Probe("filters", f"filter {label}", wire.request("POST", f"{NS_PATH}/search", {**base, "filter": value}),
                    expect=(2, 4), timeout=10.0)
    for label, value in rank_values():
        yield Probe("filters", f"rank {label}", wire.request("POST", f"{NS_PATH}/search", {**base, "rank": value}),
                    expect=(2, 4))
    for k in (1, 1000, 1001):
        body = {"vector": ctx.vector(), "k": k, "ef": 1, "filter": {"tags_any": ["no-such-tag"]}}
        yield Probe("filters", f"k {k}, ef 1, a filter nothing matches",
                    wire.request("POST", f"{NS_PATH}/search", body), expect=(2, 4))


# -- names and ids --------------------------------------------------------------------------

# (path segment as sent, refused whatever the server decodes it to)
NAMES = [
    (".", False), ("..", False), ("", False), ("a" * 129, True), ("a" * 128, False), ("%2e%2e", False),
    ("%2E", False), ("a/b", False), ("a%2Fb", True), ("\u00e9", True), ("%C3%A9", True), ("%00", True),
    ("a%00b", True), ("%ff", True), ("%", False), ("%zz", False), ("..%2f..%2fetc", True), ("-", False),
    ("_", False), ("a%20b", True), ("\U0001F600", True), ("%F0%9F%98%80", True), ("a;b", True), ("....", False),
    ("x" * 1000, True), ("%2e", False),
]

# Names as JSON strings (import, rebuild), where no URL decoding is involved.
BODY_NAMES = [".", "..", "", "a" * 129, "a/b", "a\u0000b", "\u00e9", Raw(r'"\ud800"'), "%2e%2e", " ", "-"]

BAD_IDS = ["0", "-1", "18446744073709551615", "18446744073709551616", "1.0", "0x1", "%31", "+1", "%201", "1e2",
           "0" * 50 + "1", "9" * 100, "%00", "1%00", "%ff"]


def names(ctx: Context) -> Iterator[Probe]:
    """Hostile namespace names on every namespace route (as path segments and in bodies),
    entry ids on every entry route, and job ids."""
    vector_body = {"text": "named", "vector": ctx.vector()}
    for segment, invalid in NAMES:
        expect = (4,) if invalid else (2, 4)
        base = f"/v1/namespaces/{segment}"
        for method, path, body in [("PUT", base, {"dimension": DIMENSION}), ("GET", base, None),
                                   ("POST", f"{base}/memories", vector_body),
                                   ("POST", f"{base}/search", {"vector": ctx.vector()}),
                                   ("GET", f"{base}/memories?limit=5", None), ("GET", f"{base}/export", None),
                                   ("DELETE", f"{base}?confirm=true", None)]:
            # A name that is refused must be refused by every route that creates (PUT, POST memories).
            creates = method == "PUT" or path.endswith("/memories") and method == "POST"
            yield Probe("names", f"{method} {path[:80]}", wire.request(method, path, body),
                        expect=expect if creates else (2, 4), may_drop=not segment.isascii())
    for name in BODY_NAMES:
        yield Probe("names", f"import into namespace {name!r:.50}", wire.request(
            "POST", "/v1/admin/import", {"namespace": name, "entries": [
                {"id": 1, "text": "x", "vector_b64": wire.b64_floats(ctx.vector())}]}), expect=(2, 4))
        yield Probe("names", f"rebuild namespace {name!r:.50}", wire.request(
            "POST", "/v1/admin/rebuild", {"namespace": name}), expect=(2, 4))
    for segment, _ in NAMES:
        yield Probe("names", f"audit of namespace {segment[:40]!r}",
                    wire.request("GET", f"/v1/audit?namespace={segment}"), expect=(2, 4),
                    may_drop=not segment.isascii())
    yield from entry_ids(ctx)
    yield from flags_and_jobs()


def entry_ids(ctx: Context) -> Iterator[Probe]:
    for raw_id in BAD_IDS:
        base = f"{NS_PATH}/memories/{raw_id}"
        for method, path, body in [("GET", base, None), ("PATCH", base, {"tags": ["x"]}),
                                   ("DELETE", f"{base}?hard=maybe", None), ("GET", f"{base}/history", None),
                                   ("POST", f"{base}/revert", {"version": 1}),
                                   ("POST", f"{base}/feedback", {"signal": "useful"}),
                                   ("GET", f"{base}/claims", None),
                                   ("POST", f"{NS_PATH}/review/{raw_id}/accept", {}),
                                   ("POST", f"{NS_PATH}/review/{raw_id}/reject", {"reason": "x"})]:
            yield Probe("names", f"{method} {path}", wire.request(method, path, body), expect=(2, 4))


LIST_QUERIES = ["status=archived", "status=", "sort=random", "sort=use&after=18446744073709551615",
                "min_confidence=NaN", "min_confidence=inf", "max_confidence=-1", "max_confidence=1e309",
                "conflicting=maybe", "tag=" + ",".join(f"t{i}" for i in range(2000)), "tag=%00", "source=%ff",
                "sort=confidence&limit=0", "sort=updated&limit=100001", "status=pending&sort=use&conflicting=true",
                "after=-1&sort=confidence"]


def reviews(ctx: Context) -> Iterator[Probe]:
    """The review routes and the filtered listing: hostile bodies, ids and query values."""
    entry = ctx.entry()
    for body in (None, "", {"actor": 7}, {"reason": None}, {"reason": "r" * 100_000}, {"verdict": "yes"}, [],
                 {"actor": "a\u0000b"}, Raw("{")):
        for decision in ("accept", "reject"):
            yield Probe("reviews", f"{decision} with body {str(body)[:40]}",
                        wire.request("POST", f"{NS_PATH}/review/{entry}/{decision}", body), expect=(2, 4))
    for query in ("after=-1", "limit=0", "limit=100001", "after=18446744073709551615", "limit=1e3"):
        yield Probe("reviews", f"review list {query}", wire.request("GET", f"{NS_PATH}/review?{query}"), expect=(2, 4))
    for query in LIST_QUERIES:
        yield Probe("reviews", f"list {query[:60]}", wire.request("GET", f"{NS_PATH}/memories?{query}"), expect=(2, 4))
    for label, value in [("learning an array", []), ("conflict_policy unknown", {"conflict_policy": "merge"}),
                         ("reinforce_similarity 2", {"reinforce_similarity": 2}),
                         ("conflict above reinforce", {"conflict_similarity": 0.95, "reinforce_similarity": 0.5}),
                         ("rejected_similarity NaN literal", {"rejected_similarity": Raw("NaN")}),
                         ("unknown key", {"threshold": 0.5})]:
        yield Probe("reviews", f"namespace learning {label}",
                    wire.request("PUT", "/v1/namespaces/hz-learning", {"dimension": DIMENSION, "learning": value}),
                    expect=(4,))


def flags_and_jobs() -> Iterator[Probe]:
    for value in ("yes", "TRUE", "", "1%00", "true&confirm=false", "%74rue"):
        yield Probe("names", f"DELETE namespace confirm={value}",
                    wire.request("DELETE", f"/v1/namespaces/hz-never?confirm={value}"), expect=(4,))
    for value in ("2", "yes", "%00"):
        yield Probe("names", f"DELETE memory hard={value}",
                    wire.request("DELETE", f"{NS_PATH}/memories/1?hard={value}"), expect=(4,))
    for job in ("..", "%00", "a" * 1000, "%ff", "-1", "0", "%2e%2e%2f"):
        for method in ("GET", "DELETE"):
            yield Probe("names", f"{method} job {job[:20]}", wire.request(method, f"/v1/admin/jobs/{job}"),
                        expect=(4,))


# -- sizes ----------------------------------------------------------------------------------

TOO_LONG = [("32 769 ASCII bytes", "a" * 32_769), ("32 769 bytes of 3-byte characters", "\u20ac" * 10_923),
            ("32 770 bytes of 4-byte characters", "\U0001F600" * 8_192 + "aa")]


def sizes(ctx: Context) -> Iterator[Probe]:
    """Text (and metadata) just over its limit is a 4xx whose message names that field's limit,
    not the body's; a body over `max_body_bytes` is 413 however it is framed."""
    entry = ctx.entry()
    for label, text in TOO_LONG:
        for name, method, path, body in [
            ("remember", "POST", f"{NS_PATH}/memories", remember_body(ctx)),
            ("learn", "POST", f"{NS_PATH}/learn", remember_body(ctx)),
            ("edit", "PATCH", f"{NS_PATH}/memories/{entry}", {"text": "x", "vector": ctx.vector()}),
        ]:
            yield Probe("sizes", f"{name}: text of {label}", wire.request(method, path, {**body, "text": text}),
                        expect=(4,), expect_message="text has")
    yield Probe("sizes", "remember: text of exactly 32 768 bytes",
                wire.request("POST", f"{NS_PATH}/memories", {**remember_body(ctx), "text": "b" * 32_768}), expect=(2,))
    yield from field_limits(ctx)
    yield from body_limits(ctx)


def field_limits(ctx: Context) -> Iterator[Probe]:
    remember = f"{NS_PATH}/memories"
    for label, fields, expect, *message in [
        ("64 tags", {"tags": [f"t{i}" for i in range(64)]}, (2,)),
        ("65 tags", {"tags": [f"t{i}" for i in range(65)]}, (4,)),
        ("10 000 duplicate tags", {"tags": ["same"] * 10_000}, (2, 4)),
        ("tag of 128 bytes", {"tags": ["t" * 128]}, (2,)),
        ("tag of 129 bytes", {"tags": ["t" * 129]}, (4,)),
        ("empty tag", {"tags": [""]}, (4,)),
        ("tag with a newline", {"tags": ["a\nb"]}, (4,)),
        ("source of 129 bytes", {"source": "s" * 129}, (4,)),
        ("empty source", {"source": ""}, (4,)),
        ("metadata just over 16 KiB", {"metadata": {"k": "m" * 16_400}}, (4,), "metadata has"),
        ("metadata with 1e309", {"metadata": {"n": Raw("1e309")}}, (4,)),
        ("actor of 200 000 bytes", {"actor": "a" * 200_000}, (2, 4)),
        ("reason of 200 000 bytes", {"reason": "r" * 200_000}, (2, 4)),
        ("expires_at in the past", {"expires_at": "2000-01-01T00:00:00Z"}, (4,)),
        ("expires_at year 9999", {"expires_at": "9999-12-31T23:59:59Z"}, (2, 4)),
        ("expires_at not a date", {"expires_at": "tomorrow"}, (4,)),
        ("expires_at a number", {"expires_at": 1e300}, (4,)),
        ("valid_to before valid_from", {"valid_from": "2024-01-02T00:00:00Z", "valid_to": "2024-01-01T00:00:00Z"}, (4,)),
        ("occurred_at year 1", {"occurred_at": "0001-01-01T00:00:00Z"}, (2, 4)),
        ("occurred_at not a date", {"occurred_at": "last week"}, (4,)),
        ("thread of 129 bytes", {"thread": "t" * 129}, (4,)),
        ("empty thread", {"thread": ""}, (4,)),
        ("thread with a newline", {"thread": "a\nb"}, (4,)),
        ("position 2^53", {"position": 9007199254740992}, (2,)),
        ("position 2^53 + 1", {"position": 9007199254740993}, (4,)),
        ("position -2^63", {"position": Raw("-9223372036854775808")}, (4,)),
        ("position 2^64", {"position": Raw("18446744073709551616")}, (4,)),
        ("position 1.5", {"position": 1.5}, (4,)),
    ]:
        yield Probe("sizes", f"remember: {label}", wire.request("POST", remember, {**remember_body(ctx), **fields}),
                    expect=expect, expect_message=message[0] if message else None)
    yield Probe("sizes", "DELETE with a reason of 60 000 bytes",
                wire.request("DELETE", f"{NS_PATH}/memories/999999?reason={'r' * 60_000}"), expect=(4,), may_drop=True)


def body_limits(ctx: Context) -> Iterator[Probe]:
    path = f"{NS_PATH}/memories"
    over = {**remember_body(ctx), "reason": "r" * ctx.max_body}
    yield Probe("sizes", "body over max_body_bytes, sent whole", wire.request("POST", path, over), expect=(413,),
                expect_code="payload_too_large", timeout=15.0)
    head = f"POST {path} HTTP/1.1\r\nHost: engram\r\nConnection: close\r\nContent-Type: application/json\r\n"
    for declared in (ctx.max_body + 1, 10 ** 15):
        yield Probe("sizes", f"Content-Length {declared} declared, no body sent",
                    (head + f"Content-Length: {declared}\r\n\r\n").encode(), expect=(413,),
                    expect_code="payload_too_large")
    yield Probe("sizes", "Content-Length 2^63-1 declared", (head + f"Content-Length: {2 ** 63 - 1}\r\n\r\n").encode(),
                expect=(413,), may_drop=True)


# -- texts (the embedding model) ------------------------------------------------------------

TEXTS = [
    ("a plain sentence", "Refunds are processed within five business days.", (2,)),
    ("emoji and symbols", "\U0001F600\U0001F4A9 \u2603 \u00bd \u221e", (2,)),
    ("right-to-left override", "abc\u202edef\u202c", (2,)),
    ("1 000 zero-width spaces", "x" + "\u200b" * 1000, (2, 4)),
    ("one letter with 5 000 combining accents", "e" + "\u0301" * 5000, (2, 4)),
    ("10 000 CJK characters", "\u4e2d" * 10_000, (2,)),
    ("NUL inside", "before\u0000after", (2, 4)),
    ("control characters", "".join(chr(c) for c in range(1, 32)) + "text", (2, 4)),
    ("only whitespace", " \t\n\u00a0\u3000", (4,)),
    ("empty", "", (4,)),
    ("32 768 bytes of words", ("word " * 6554)[:32_768], (2,)),
    ("a single 32 768-byte word", "w" * 32_768, (2,)),
]


def texts(ctx: Context) -> Iterator[Probe]:
    """Texts the tokenizer and model must survive, remembered, learned and searched in the
    namespace at the embedder's dimension. 503 is tolerated (model unavailable), 500 never."""
    base = f"/v1/namespaces/{TEXT_NS}"
    for label, text, expect in TEXTS:
        yield Probe("text", f"remember text: {label}", wire.request("POST", f"{base}/memories", {"text": text}),
                    expect=expect + (503,), tolerate=(503,), timeout=60.0)
    for label, text, expect in TEXTS[1:6:2] + TEXTS[8:10]:
        yield Probe("text", f"learn text: {label}", wire.request("POST", f"{base}/learn", {"text": text}),
                    expect=expect + (200, 503), tolerate=(503,), timeout=60.0)
    for label, text, _ in TEXTS[3:]:
        yield Probe("text", f"search text: {label}", wire.request("POST", f"{base}/search", {"text": text, "k": 3}),
                    expect=(2, 4, 503), tolerate=(503,), timeout=60.0)
    label, text = TOO_LONG[0]
    yield Probe("text", f"search text: {label}", wire.request("POST", f"{base}/search", {"text": text, "k": 3}),
                expect=(4,), expect_message="text has")
    yield Probe("text", "search with text and vector", wire.request(
        "POST", f"{base}/search", {"text": "both", "vector": ctx.vector(384)}), expect=(4,))
    yield Probe("text", "search with neither text nor vector", wire.request(
        "POST", f"{base}/search", {"k": 3}), expect=(4,))

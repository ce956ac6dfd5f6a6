"""Malformed HTTP framing, and slow or half-open connections.

Inputs here break HTTP itself, below the routes. For most of them the parser may close the
connection instead of answering (`may_drop`): there is no sane response to a request line it
cannot read. When it does answer, the answer must still be a 4xx error document, never a
500 or an empty 400.
"""

import socket
import time
from collections.abc import Iterator

import rawhttp
import wire
from context import VECTOR_NS, Context
from judge import Probe
from runner import Runner

HEALTH = "/v1/health"
SEARCH = f"/v1/namespaces/{VECTOR_NS}/search"


def search_body(ctx: Context) -> bytes:
    return wire.body_bytes({"vector": ctx.vector(), "k": 3})


def malformed_http(ctx: Context) -> Iterator[Probe]:
    """Every framing category of the brief; each probe labelled with what it breaks."""
    yield from request_lines()
    yield from headers()
    yield from content_lengths(ctx)
    yield from chunked_bodies(ctx)
    yield from methods_on_routes()


def drop_ok(label: str, data: bytes, **extra) -> Probe:
    return Probe("http", label, data, may_drop=True, **extra)


def request_lines() -> Iterator[Probe]:
    host = b"\r\nHost: engram\r\nConnection: close\r\n\r\n"
    for label, line in [
        ("garbage request line", b"GARBAGE"),
        ("method only", b"GET"),
        ("HTTP/0.9 request", b"GET /v1/health"),
        ("HTTP/0.9 version", b"GET /v1/health HTTP/0.9"),
        ("HTTP/2.0 version", b"GET /v1/health HTTP/2.0"),
        ("HTTP/1.10 version", b"GET /v1/health HTTP/1.10"),
        ("version garbage", b"GET /v1/health HTTX/1.1"),
        ("byte 0xFF in the URL", b"GET /v1/\xffhealth HTTP/1.1"),
        ("space in the URL", b"GET /v1/ health HTTP/1.1"),
        ("NUL in the URL", b"GET /v1/\x00health HTTP/1.1"),
        ("tab in the URL", b"GET /v1/\thealth HTTP/1.1"),
        ("unknown method FOO", b"FOO /v1/health HTTP/1.1"),
        ("unknown method BREW", b"BREW /v1/health HTTP/1.1"),
        ("lower-case method", b"get /v1/health HTTP/1.1"),
        ("CONNECT", b"CONNECT engram:80 HTTP/1.1"),
        ("target without leading slash", b"GET v1/health HTTP/1.1"),
        ("URL of 100 000 bytes", b"GET /v1/namespaces/" + b"a" * 100_000 + b" HTTP/1.1"),
        ("double space separators", b"GET  /v1/health  HTTP/1.1"),
    ]:
        yield drop_ok(label, line + host)
    # Empty lines before a request line are to be ignored (RFC 9112 2.2): waiting is right.
    yield Probe("http", "empty lines only", b"\r\n\r\n", may_drop=True, may_hang=True, timeout=2.0)
    yield drop_ok("nothing, then half-close", b"", half_close=True)
    yield drop_ok("bare LF line endings", b"GET /v1/health HTTP/1.1\nHost: engram\nConnection: close\n\n")
    yield drop_ok("request line, then half-close", b"GET /v1/health HTTP/1.1\r\n", half_close=True)
    yield Probe("http", "absolute-form URL", wire.request("GET", "http://engram/v1/health"), expect=(2, 4))
    yield Probe("http", "absolute-form URL, other host", wire.request("GET", "http://evil.example:1/v1/health"),
                expect=(2, 4))
    yield Probe("http", "asterisk-form OPTIONS", wire.request("OPTIONS", "*"), expect=(4,))
    yield Probe("http", "unknown route", wire.request("GET", "/v2/nothing"), expect=(404,),
                expect_code="route_not_found")
    yield Probe("http", "dot segments in the path", wire.request("GET", "/v1/../v1/health"), expect=(2, 4))
    yield Probe("http", "percent-encoded path", wire.request("GET", "/v1/%68ealth"), expect=(2, 4))
    yield Probe("http", "query garbage", wire.request("GET", "/v1/health?%%%&&==&a=%ff"), expect=(2, 4))
    yield Probe("http", "fragment in the target", wire.request("GET", "/v1/health#x"), expect=(2, 4))
    yield Probe("http", "HTTP/1.0 without Host", b"GET /v1/health HTTP/1.0\r\n\r\n", expect=(2, 4))
    yield Probe("http", "HTTP/1.1 without Host", b"GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n",
                expect=(2, 4))
    yield Probe("http", "HEAD /v1/health", wire.request("HEAD", HEALTH), expect=(2, 4))


def headers() -> Iterator[Probe]:
    def with_headers(lines: bytes) -> bytes:
        return b"GET /v1/health HTTP/1.1\r\nHost: engram\r\nConnection: close\r\n" + lines + b"\r\n"

    flood = b"".join(b"X-Flood-%d: %d\r\n" % (i, i) for i in range(5000))
    for label, lines in [
        ("5 000 headers", flood),
        ("one header line of 200 000 bytes", b"X-Big: " + b"a" * 200_000 + b"\r\n"),
        ("header line without a colon", b"NoColon\r\n"),
        ("space in a header name", b"Bad Header: x\r\n"),
        ("space before the colon", b"X-Space : x\r\n"),
        ("obsolete line folding", b"X-Fold: a\r\n folded\r\n"),
        ("NUL in a header value", b"X-Nul: a\x00b\r\n"),
        ("bytes 0x80-0xFF in a header value", b"X-High: \x80\xff\xfe\r\n"),
        ("empty header name", b": value\r\n"),
        ("two Host headers", b"Host: other\r\n"),
        ("Upgrade: h2c", b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"),
        ("Expect: 100-continue without a body", b"Expect: 100-continue\r\n"),
    ]:
        yield drop_ok(label, with_headers(lines))


def content_lengths(ctx: Context) -> Iterator[Probe]:
    body = search_body(ctx)
    head = f"POST {SEARCH} HTTP/1.1\r\nHost: engram\r\nConnection: close\r\nContent-Type: application/json\r\n"

    def post(length_headers: str, payload: bytes = body) -> bytes:
        return (head + length_headers + "\r\n").encode() + payload

    yield drop_ok("body shorter than Content-Length, then half-close",
                  post(f"Content-Length: {len(body) + 50}\r\n"), half_close=True)
    yield drop_ok("Content-Length of 100, 3 bytes, then half-close", post("Content-Length: 100\r\n", b'{"k'),
                  half_close=True)
    yield drop_ok("body longer than Content-Length", post(f"Content-Length: {len(body) - 5}\r\n"))
    for label, value in [("non-numeric", "abc"), ("negative", "-1"), ("plus sign", "+5"),
                         ("2^64", str(2 ** 64)), ("hexadecimal", "0x10"), ("empty", ""),
                         ("with spaces inside", "1 0")]:
        yield drop_ok(f"Content-Length {label}", post(f"Content-Length: {value}\r\n"))
    yield drop_ok("two different Content-Length headers",
                  post(f"Content-Length: {len(body)}\r\nContent-Length: {len(body) + 1}\r\n"))
    yield drop_ok("Content-Length list", post(f"Content-Length: {len(body)}, {len(body)}\r\n"))
    yield drop_ok("Content-Length and Transfer-Encoding: chunked",
                  post(f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n", wire.chunked([body])))
    yield drop_ok("Transfer-Encoding: chunked and Content-Length (smuggling order)",
                  post(f"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", wire.chunked([body])))
    yield Probe("http", "Expect: 100-continue with a body",
                post(f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n"), expect=(2,))
    yield Probe("http", "POST without Content-Length (empty body)", post(""), expect=(4,))


def chunked_bodies(ctx: Context) -> Iterator[Probe]:
    body = search_body(ctx)
    half = len(body) // 2

    def chunked(raw: bytes, *extra: str) -> bytes:
        return wire.chunked_request("POST", SEARCH, raw, extra)

    yield Probe("http", "valid chunked body", chunked(wire.chunked([body[:half], body[half:]])), expect=(2,))
    yield Probe("http", "chunked body of one-byte chunks", chunked(wire.chunked([bytes([b]) for b in body])),
                expect=(2,))
    for label, raw in [
        ("non-hex chunk size", b"zz\r\n" + body + b"\r\n0\r\n\r\n"),
        ("negative chunk size", b"-5\r\n" + body + b"\r\n0\r\n\r\n"),
        ("chunk size overflowing 64 bits", b"1" + b"0" * 20 + b"\r\n" + body + b"\r\n0\r\n\r\n"),
        ("chunk size larger than the data, then half-close", f"{len(body) + 40:x}\r\n".encode() + body),
        ("chunk size smaller than the data", f"{half:x}\r\n".encode() + body + b"\r\n0\r\n\r\n"),
        ("chunk without CRLF after the data", f"{len(body):x}\r\n".encode() + body + b"0\r\n\r\n"),
        ("missing last chunk, then half-close", wire.chunked([body])[:-5]),
        ("chunk extension garbage", f"{len(body):x};\x01=\xff\r\n".encode("latin-1") + body + b"\r\n0\r\n\r\n"),
        ("chunk size with spaces", f" {len(body):x} \r\n".encode() + body + b"\r\n0\r\n\r\n"),
        ("trailer flood", f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n"
         + b"".join(b"X-T%d: t\r\n" % i for i in range(3000)) + b"\r\n"),
    ]:
        yield drop_ok(label, chunked(raw), half_close="half-close" in label)
    yield drop_ok("Transfer-Encoding: gzip, chunked", chunked(wire.chunked([body]))
                  .replace(b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked"))
    yield drop_ok("Transfer-Encoding: identity", chunked(body).replace(b"chunked", b"identity"), half_close=True)
    yield from oversized_chunked(ctx, chunked)


def oversized_chunked(ctx: Context, chunked) -> Iterator[Probe]:
    """A chunked body past `max_body_bytes` must be refused with 413 like a declared one."""
    piece = b" " * 65536
    count = ctx.max_body // len(piece) + 2
    raw = wire.chunked([b"{"] + [piece] * count + [b"}"])
    yield Probe("http", f"chunked body over the limit ({count * 64} KiB)", chunked(raw), expect=(413,),
                expect_code="payload_too_large", timeout=15.0)
    # The body ends (half-close) before the limit is reached: 400 for the framing or 413 for
    # the declared size are both right.
    yield Probe("http", "one chunk declared over the limit, cut short", chunked(
        f"{ctx.max_body + 1:x}\r\n".encode() + piece), expect=(400, 413), may_drop=True, half_close=True)


def methods_on_routes() -> Iterator[Probe]:
    """An existing path with a method it does not serve is 405 `method_not_allowed`."""
    for method, path in [("PATCH", HEALTH), ("DELETE", HEALTH), ("POST", HEALTH), ("POST", "/metrics"),
                         ("PUT", "/v1/audit"), ("GET", "/v1/admin/verify"), ("PATCH", f"/v1/namespaces/{VECTOR_NS}"),
                         ("PUT", f"/v1/namespaces/{VECTOR_NS}/search"), ("DELETE", "/v1/admin/import")]:
        yield Probe("http", f"{method} {path}", wire.request(method, path), expect=(405,),
                    expect_code="method_not_allowed")


# -- slow and half-open connections ---------------------------------------------------------

PARTIALS = [
    ("half a request line", lambda ctx: b"GET /v1/hea"),
    ("request line, no headers end", lambda ctx: b"GET /v1/health HTTP/1.1\r\nHost: engram\r\n"),
    ("headers, half the body", lambda ctx: (
        f"POST {SEARCH} HTTP/1.1\r\nHost: engram\r\nContent-Length: 200\r\n\r\n").encode() + search_body(ctx)[:20]),
    ("chunked, first chunk unfinished", lambda ctx: wire.chunked_request("POST", SEARCH, b"40\r\n{\"k\"")),
]


def slow_connections(ctx: Context, runner: Runner, connections: int = 50) -> None:
    """Holds `connections` half-sent requests open and checks the daemon still serves others;
    then half-closes them, where a 4xx document or a plain close are both right. Also sends
    valid requests in fragments and byte by byte, which must work."""
    held: list[tuple[Probe, socket.socket]] = []
    try:
        open_partial(ctx, runner, connections, held)
        runner.send(Probe("slow", f"health while {len(held)} half-sent requests are open",
                          wire.request("GET", HEALTH), expect=(200,), timeout=5.0))
        runner.send(Probe("slow", f"vector search while {len(held)} half-sent requests are open",
                          wire.request("POST", SEARCH, search_body(ctx)), expect=(200,), timeout=5.0))
        finish_partial(runner, held)
    finally:
        for _, sock in held:
            sock.close()
    for probe in fragmented(ctx):
        runner.send(probe)


def open_partial(ctx: Context, runner: Runner, count: int, held: list[tuple[Probe, socket.socket]]) -> None:
    """Opens `count` connections, each sending the start of a request, into `held` (which
    the caller closes, whatever happens here)."""
    for index in range(count):
        label, make = PARTIALS[index % len(PARTIALS)]
        probe = Probe("slow", f"{label}, held open, then half-close", make(ctx), may_drop=True, half_close=True)
        runner.claim(probe)
        try:
            sock = rawhttp.connect(runner.socket_path, 5.0)
        except OSError:
            runner.record(probe, rawhttp.Reply(rawhttp.UNREACHABLE))
            continue
        held.append((probe, sock))
        try:
            sock.sendall(probe.data)
        except OSError:
            pass  # the server closed early; ``finish_partial`` reads (and judges) what it said


def finish_partial(runner: Runner, held: list[tuple[Probe, socket.socket]], seconds: float = 5.0) -> None:
    """Half-closes every held connection first, then reads them all against one shared
    deadline, so a server that ignores EOF costs `seconds` in total, not per connection."""
    for _, sock in held:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    deadline = time.monotonic() + seconds
    for probe, sock in held:
        runner.record(probe, rawhttp.read_reply(sock, deadline))


def fragmented(ctx: Context) -> Iterator[Probe]:
    """Valid requests cut at random points (and one byte at a time, 2 ms apart): the
    server must reassemble them."""
    for index in range(10):
        data = wire.request("POST", SEARCH, search_body(ctx))
        cuts = sorted(ctx.rng.sample(range(1, len(data)), 4))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        yield Probe("slow", f"search in 5 fragments #{index}", data, fragments=pieces, gap=0.01, expect=(200,))
    data = wire.request("GET", HEALTH)
    yield Probe("slow", "health one byte at a time", data, fragments=[bytes([b]) for b in data], gap=0.002,
                expect=(200,), timeout=10.0)

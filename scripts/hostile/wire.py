"""Building request bytes: JSON with tokens Python's json module refuses to write (1e309,
NaN, duplicate keys), vectors as JSON or base64 float32, and HTTP/1.1 requests."""

import base64
import json
import struct
from collections.abc import Iterable


class Raw:
    """A JSON fragment written verbatim, for values no encoder produces (`1e309`, `NaN`,
    `18446744073709551616.0`, a truncated object)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text!r})"


class Pairs:
    """A JSON object given as a list of (key, value) pairs, so a key may repeat."""

    def __init__(self, pairs: Iterable[tuple[str, object]]):
        self.pairs = list(pairs)


def dumps(value: object) -> str:
    """JSON text of `value`, honouring ``Raw`` and ``Pairs`` anywhere inside it."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def body_bytes(body: object) -> bytes:
    """Bytes and str pass unchanged (str as UTF-8, surrogates kept as escapes); anything else
    is serialised with ``dumps``."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return dumps(body).encode("utf-8", "surrogatepass")


def request(method: str, target: str | bytes, body: object = None, *, headers: Iterable[tuple[str, str]] = (),
            version: str = "HTTP/1.1", content_length: bool = True) -> bytes:
    """An HTTP/1.1 request with `Host` and `Connection: close` (one request per connection
    keeps every response attributable to one input)."""
    data = None if body is None else body_bytes(body)
    target_bytes = target if isinstance(target, bytes) else target.encode("utf-8")
    lines = [method.encode("latin-1") + b" " + target_bytes + b" " + version.encode("latin-1"),
             b"Host: engram", b"Connection: close"]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    if data is not None:
        if content_length:
            lines.append(b"Content-Length: " + str(len(data)).encode())
        lines.append(b"Content-Type: application/json")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (data or b"")


def chunked(pieces: Iterable[bytes]) -> bytes:
    """A well-formed chunked body of `pieces`."""
    out = bytearray()
    for piece in pieces:
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def chunked_request(method: str, target: str, raw_body: bytes, extra: Iterable[str] = ()) -> bytes:
    """A request head announcing a chunked body, followed by `raw_body` as given (so the
    caller decides whether the chunks are well formed)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: engram", "Connection: close",
             "Transfer-Encoding: chunked", "Content-Type: application/json", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + raw_body


def b64_floats(values: Iterable[float]) -> str:
    """Little-endian float32 as base64, the `vector_b64` encoding (NaN and ±Inf included)."""
    return base64.b64encode(b"".join(struct.pack("<f", v) for v in values)).decode()


def b64_bits(words: Iterable[int]) -> str:
    """Raw 32-bit patterns as base64, for floats Python cannot round to (signalling NaNs)."""
    return base64.b64encode(b"".join(struct.pack("<I", w) for w in words)).decode()

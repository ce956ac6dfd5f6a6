"""Raw HTTP/1.1 over a Unix domain socket.

The fuzzer must put malformed bytes on the wire exactly as written, which no HTTP library
allows, so this module only ever writes the caller's bytes and reads back at most one
response. Every socket operation runs against a deadline, so a server that never answers
costs at most `timeout` seconds and can never hang the fuzzer.
"""

import socket
import time
from dataclasses import dataclass, field

# Outcomes of one exchange. Only "response" carries a status; the others say how the server
# failed to give one, which the judge treats differently (a parser may legitimately close).
RESPONSE = "response"
CLOSED = "closed"          # EOF (or reset) before the first byte of a response
TIMEOUT = "timeout"        # nothing within the deadline, connection still open
TRUNCATED = "truncated"    # part of a response, then EOF or the deadline
GARBLED = "garbled"        # bytes that are not an HTTP/1.x response
UNREACHABLE = "unreachable"  # connect() failed: the daemon is gone or not listening

NO_RESPONSE = (CLOSED, TIMEOUT)

MAX_HEAD_BYTES = 1 << 20


@dataclass
class Reply:
    """What came back for one request."""
    outcome: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    head: bytes = b""

    def short(self, limit: int = 300) -> str:
        """One line for reports: status and (truncated) body, or the outcome."""
        if self.outcome != RESPONSE:
            return f"<{self.outcome}>" + (f" after {self.head[:limit]!r}" if self.head else "")
        ctype = self.headers.get("content-type", "-")
        return f"{self.status} [{ctype}] {self.body[:limit]!r}"


class _Deadline(Exception):
    """The exchange's deadline passed while reading."""


class _Stream:
    """Buffered reads from a socket, each bounded by the exchange's deadline."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()
        self.eof = False

    def fill(self) -> bool:
        """Reads more bytes; False at EOF (a reset counts as EOF: the peer is gone)."""
        if self.eof:
            return False
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Deadline
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise _Deadline from None
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def read_until(self, marker: bytes, limit: int) -> bytes | None:
        """Bytes up to and excluding `marker` (consumed); None at EOF or past `limit`."""
        while True:
            at = self.buffer.find(marker)
            if at >= 0:
                data = bytes(self.buffer[:at])
                del self.buffer[:at + len(marker)]
                return data
            if len(self.buffer) > limit or not self.fill():
                return None

    def read_exact(self, count: int) -> bytes | None:
        while len(self.buffer) < count:
            if not self.fill():
                return None
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def read_to_eof(self) -> bytes:
        while self.fill():
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def connect(path: str, timeout: float) -> socket.socket:
    """A connected AF_UNIX stream socket (raises OSError when nothing listens)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def send_quietly(sock: socket.socket, data: bytes, deadline: float) -> bool:
    """Writes `data`; False when the server stopped reading (it may have answered early, e.g.
    413 before the body, so the caller still reads)."""
    view = memoryview(data)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            sent = sock.send(view[:65536])
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            return False
        view = view[sent:]
    return True


def exchange(path: str, data: bytes, *, timeout: float = 5.0, half_close: bool = False,
             fragments: list[bytes] | None = None, gap: float = 0.0, head_request: bool = False) -> Reply:
    """Sends `data` (or `fragments`, `gap` seconds apart) on a new connection and reads one
    response. `half_close` shuts the write side afterwards, as a client that gives up would."""
    deadline = time.monotonic() + timeout
    try:
        sock = connect(path, timeout)
    except OSError:
        return Reply(UNREACHABLE)
    try:
        for index, piece in enumerate(fragments or [data]):
            if index and gap:
                time.sleep(gap)
            if not send_quietly(sock, piece, deadline):
                break
        if half_close:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        return read_reply(sock, deadline, head_request=head_request)
    finally:
        sock.close()


def read_reply(sock: socket.socket, deadline: float, *, head_request: bool = False) -> Reply:
    """Reads one final response (interim 1xx responses are skipped)."""
    stream = _Stream(sock, deadline)
    try:
        while True:
            head = stream.read_until(b"\r\n\r\n", MAX_HEAD_BYTES)
            if head is None:
                partial = bytes(stream.buffer)
                return Reply(TRUNCATED if partial else CLOSED, head=partial)
            status, headers = parse_head(head)
            if status is None:
                return Reply(GARBLED, head=head)
            if 100 <= status < 200:
                continue
            body = read_body(stream, status, headers, head_request)
            if body is None:
                return Reply(TRUNCATED, status, headers, head=head)
            return Reply(RESPONSE, status, headers, body, head)
    except _Deadline:
        partial = bytes(stream.buffer)
        return Reply(TRUNCATED if partial else TIMEOUT, head=partial)


def parse_head(head: bytes) -> tuple[int | None, dict[str, str]]:
    """Status code and lower-cased headers of a response head; (None, {}) if it is not one."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        return None, {}
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return int(parts[1]), headers


def read_body(stream: _Stream, status: int, headers: dict[str, str], head_request: bool) -> bytes | None:
    """The body as framed by the headers; None if the connection ended early."""
    if head_request or status in (204, 304):
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return read_chunked(stream)
    if "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            return None
        return stream.read_exact(length)
    return stream.read_to_eof()


def read_chunked(stream: _Stream) -> bytes | None:
    body = bytearray()
    while True:
        line = stream.read_until(b"\r\n", 4096)
        if line is None:
            return None
        try:
            size = int(line.split(b";")[0], 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(body) if skip_trailers(stream) else None
        chunk = stream.read_exact(size + 2)
        if chunk is None:
            return None
        body += chunk[:-2]


def skip_trailers(stream: _Stream) -> bool:
    """Consumes the trailer section up to its empty line; False if the connection ended."""
    for _ in range(64):
        line = stream.read_until(b"\r\n", 65536)
        if line is None:
            return False
        if not line:
            return True
    return False

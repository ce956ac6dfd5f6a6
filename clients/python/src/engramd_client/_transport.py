"""What the sync and async clients share around the bytes: the HTTP client's settings, reading
an answer, and turning transport failures into `Unavailable`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

import httpx

from ._api import Call
from ._errors import EngramError, InvalidResponse, RequestTimeout, Unavailable, error_from_response
from ._models import AuditEvent

T = TypeVar("T")

VERSION = "0.1.0"
HEADERS = {"Accept": "application/json", "User-Agent": f"engramd-client-python/{VERSION}"}


def request_headers(call: Call[Any]) -> dict[str, str]:
    return {"Content-Type": "application/json"} if call.body is not None else {}


def read(call: Call[T], status: int, content: bytes) -> T:
    """The call's result from the answer, or the EngramError it stands for."""
    if not 200 <= status < 300:
        raise error_from_response(status, content)
    if call.text:
        return call.read(content.decode("utf-8", "replace"))
    try:
        document = json.loads(content)
    except ValueError:
        raise InvalidResponse(f"HTTP {status}: the body is not JSON: {content[:200]!r}",
                              code="invalid_response", status=status) from None
    if not isinstance(document, dict):
        raise InvalidResponse(f"HTTP {status}: the body is not a JSON object", code="invalid_response", status=status)
    try:
        return call.read(document)
    except EngramError as error:
        error.status = status
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidResponse(f"HTTP {status}: unexpected document: {error}", code="invalid_response",
                              status=status) from None


def transport_error(error: httpx.TransportError, socket: str, timeout: float | None) -> Unavailable:
    """`Unavailable` (or `RequestTimeout`) for an httpx transport failure, naming the socket."""
    if isinstance(error, httpx.TimeoutException):
        return RequestTimeout(f"engramd at {socket} did not answer within {timeout} s ({type(error).__name__})",
                              code="timeout")
    detail = str(error) or type(error).__name__
    if isinstance(error, httpx.ConnectError):
        return Unavailable(f"cannot connect to engramd at {socket}: {detail} (is the daemon running? "
                           "the socket is the client's `socket` argument, else $ENGRAM_SOCKET, else "
                           "./run/engram.sock)", code="unavailable")
    return Unavailable(f"lost the connection to engramd at {socket}: {detail}", code="unavailable")


def latest_version(events: Iterable[AuditEvent]) -> int | None:
    """The highest entry version the events show (before or after a change)."""
    versions = [entry.version for event in events for entry in (event.before, event.after) if entry is not None]
    return max(versions, default=None)

"""The exceptions: one base, `EngramError`, and a subclass per kind of failure.

A refusal by the daemon carries its HTTP status and the stable error code of its error
document (`{"error": {"code", "message"}}`); a failure to reach it is `Unavailable`, with
`status` None.
"""

from __future__ import annotations

import json
from typing import Any


class EngramError(Exception):
    """Any failure of a call: `status` (the HTTP status, None when no response came back),
    `code` (the daemon's stable error code, e.g. ``namespace_not_found``) and `message`
    (for people; its wording may change)."""

    def __init__(self, message: str, *, code: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        where = f"HTTP {self.status} " if self.status is not None else ""
        return f"{where}{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class BadRequest(EngramError):
    """400: the daemon refused the request (``invalid_argument``, ``invalid_field``,
    ``unknown_field``, ``missing_field``, ``malformed_json``, ``dimension_mismatch``,
    ``invalid_vector``…; `code` says which)."""


class PermissionDenied(EngramError):
    """403 ``peer_not_allowed``: this process's uid/gid is not allowed on the socket."""


class NotFound(EngramError):
    """404: no such entry (``not_found``), namespace (``namespace_not_found``, the subclass
    `NamespaceNotFound`), job or route."""


class NamespaceNotFound(NotFound):
    """404 ``namespace_not_found``."""


class Conflict(EngramError):
    """409 ``conflict``: e.g. a namespace that exists with other settings, or restoring a
    hard-deleted entry."""


class PayloadTooLarge(EngramError):
    """413 ``payload_too_large``: the body exceeds the daemon's ``max_body_bytes``."""


class ServerError(EngramError):
    """5xx other than 503: the daemon failed (``internal_error``, ``storage_full``,
    ``embedding_failed``…)."""


class Unavailable(EngramError):
    """The daemon could not be reached (socket missing, refused, connection lost; `status`
    None, `code` ``unavailable``) or answered 503."""


class RequestTimeout(Unavailable):
    """No answer within the client's timeout (`code` ``timeout``)."""


class InvalidResponse(EngramError):
    """The daemon's answer was not the document the API specifies (`code`
    ``invalid_response``)."""


_BY_CODE: dict[str, type[EngramError]] = {"namespace_not_found": NamespaceNotFound}
_BY_STATUS: dict[int, type[EngramError]] = {
    400: BadRequest,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    503: Unavailable,
}


def error_from_response(status: int, body: bytes) -> EngramError:
    """The exception for a non-2xx answer: its class chosen by code, then status."""
    code, message = f"http_{status}", body[:200].decode("utf-8", "replace")
    try:
        document: Any = json.loads(body)
        error = document["error"]
        if isinstance(error["code"], str) and isinstance(error["message"], str):
            code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        pass
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status) or (ServerError if status >= 500 else EngramError)
    return cls(message, code=code, status=status)

"""Dates and JSON values on the wire."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ._errors import InvalidResponse

_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date-time as the daemon writes it (``2026-01-31T09:30:00.123Z``), as an
    aware UTC `datetime`. Also takes other offsets and 1-9 fractional digits."""
    match = _ISO.match(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "")[:6].ljust(6, "0")
    if zone in (None, "Z", "z"):
        offset = "+00:00"
    elif ":" in zone:
        offset = zone
    else:
        offset = f"{zone[:3]}:{zone[3:]}"
    return datetime.fromisoformat(f"{day}T{clock}.{micro}{offset}").astimezone(timezone.utc)


def format_datetime(value: datetime | str) -> str:
    """A `datetime` as the daemon reads it (UTC, ``Z``); a naive one is taken as UTC. A string
    passes unchanged."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    text = value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """`value` with datetimes as wire strings, mappings as dicts and sequences (not strings)
    as lists, recursively."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return value


# Reading documents: a missing or mistyped member is an InvalidResponse naming it.


def member(document: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """A required member of type `kind`."""
    try:
        value = document[name]
    except KeyError:
        raise InvalidResponse(f"missing member {name!r}", code="invalid_response") from None
    return _checked(name, value, kind)


def optional(document: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """An optional member of type `kind` (None when absent or null)."""
    value = document.get(name)
    return None if value is None else _checked(name, value, kind)


def _checked(name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) and kind is not bool:
        raise InvalidResponse(f"member {name!r} is a boolean", code="invalid_response")
    if not isinstance(value, kind):
        raise InvalidResponse(f"member {name!r} has type {type(value).__name__}", code="invalid_response")
    return value


def number(document: Mapping[str, Any], name: str) -> float:
    """A required number (JSON integers included) as a float."""
    return float(member(document, name, (int, float)))


def optional_number(document: Mapping[str, Any], name: str) -> float | None:
    value = optional(document, name, (int, float))
    return None if value is None else float(value)


def date(document: Mapping[str, Any], name: str) -> datetime:
    try:
        return parse_datetime(member(document, name, str))
    except ValueError as error:
        raise InvalidResponse(f"member {name!r}: {error}", code="invalid_response") from None


def optional_date(document: Mapping[str, Any], name: str) -> datetime | None:
    text = optional(document, name, str)
    if text is None:
        return None
    try:
        return parse_datetime(text)
    except ValueError as error:
        raise InvalidResponse(f"member {name!r}: {error}", code="invalid_response") from None


def objects(document: Mapping[str, Any], name: str, *, required: bool = True) -> list[dict[str, Any]]:
    """A list of JSON objects (empty when optional and absent)."""
    items = member(document, name, list) if required else (optional(document, name, list) or [])
    for item in items:
        if not isinstance(item, dict):
            raise InvalidResponse(f"member {name!r} holds a {type(item).__name__}", code="invalid_response")
    return list(items)

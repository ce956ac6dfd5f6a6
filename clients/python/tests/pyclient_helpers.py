"""Helpers of the client tests (a module name of its own: Tests/python's suite runs in the same
pytest session)."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TypeVar

ACTOR = "pytest"
T = TypeVar("T")


def fresh_name(prefix: str = "pyc") -> str:
    """A namespace name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def wait_until(predicate: Callable[[], T | None], what: str, deadline_s: float = 60) -> T:
    """Polls `predicate` until it returns something truthy (returned); fails after the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {deadline_s} s")
        time.sleep(0.1)

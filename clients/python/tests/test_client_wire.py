"""Dates on the wire (no daemon)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engramd_client._wire import format_datetime, parse_datetime


def test_parse_the_daemons_dates_as_aware_utc() -> None:
    assert parse_datetime("2026-01-31T09:30:00.123Z") == datetime(2026, 1, 31, 9, 30, 0, 123000, tzinfo=timezone.utc)
    assert parse_datetime("2026-01-31T09:30:00Z") == datetime(2026, 1, 31, 9, 30, tzinfo=timezone.utc)
    assert parse_datetime("2026-01-31T11:30:00.5+02:00") == datetime(2026, 1, 31, 9, 30, 0, 500000,
                                                                     tzinfo=timezone.utc)
    assert parse_datetime("2026-01-31T09:30:00.123456789Z").microsecond == 123456
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


def test_format_dates_for_the_daemon() -> None:
    assert format_datetime(datetime(2026, 1, 31, 9, 30, tzinfo=timezone.utc)) == "2026-01-31T09:30:00.000000Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2026, 1, 31, 11, 30, tzinfo=plus_two)) == "2026-01-31T09:30:00.000000Z"
    assert format_datetime(datetime(2026, 1, 31, 9, 30)) == "2026-01-31T09:30:00.000000Z"  # naive: UTC
    assert format_datetime("2026-01-31T09:30:00Z") == "2026-01-31T09:30:00Z"

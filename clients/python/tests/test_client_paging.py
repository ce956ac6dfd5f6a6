"""Listing and the audit log, page after page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engramd_client import BadRequest, Client


def test_iter_memories_follows_the_cursor_across_pages(client: Client, namespace: str) -> None:
    ids = [client.remember(namespace, f"paging note number {i}").entry.id for i in range(7)]
    first = client.list_memories(namespace, limit=3)
    assert [entry.id for entry in first.entries] == ids[:3] and first.next_cursor is not None
    second = client.list_memories(namespace, after=first.next_cursor, limit=3)
    assert [entry.id for entry in second.entries] == ids[3:6]

    assert [entry.id for entry in client.iter_memories(namespace, page_size=2)] == ids
    assert [entry.id for entry in client.iter_memories(namespace, page_size=3, after=ids[4])] == ids[5:]
    assert [entry.text for entry in client.iter_memories(namespace)] == [f"paging note number {i}" for i in range(7)]


def test_list_filters_and_sorts(client: Client, namespace: str) -> None:
    low = client.remember(namespace, "low confidence note", tags=["a"], confidence=0.2, source="bot").entry
    high = client.remember(namespace, "high confidence note", tags=["b"], confidence=0.9).entry
    mid = client.remember(namespace, "middle confidence note", tags=["a", "c"], confidence=0.6).entry
    assert [e.id for e in client.iter_memories(namespace, tags=["a"])] == [low.id, mid.id]
    assert [e.id for e in client.iter_memories(namespace, tags=["b", "c"])] == [high.id, mid.id]
    assert [e.id for e in client.iter_memories(namespace, source="bot")] == [low.id]
    assert [e.id for e in client.iter_memories(namespace, min_confidence=0.5)] == [high.id, mid.id]
    assert [e.id for e in client.iter_memories(namespace, max_confidence=0.5)] == [low.id]
    # Sorted most confident first; the cursor is then a position, paged one by one.
    assert [e.id for e in client.iter_memories(namespace, sort="confidence", page_size=1)] == \
        [high.id, mid.id, low.id]
    assert [e.id for e in client.iter_memories(namespace, status="pending")] == []
    assert [e.id for e in client.iter_memories(namespace, conflicting=False)] == [low.id, high.id, mid.id]


def test_iter_audit_pages_through_the_log_with_filters(client: Client, namespace: str) -> None:
    start = client.audit(limit=1)  # the log is shared with other tests: only this namespace's events count
    entries = [client.remember(namespace, f"audited note {i}").entry for i in range(5)]
    client.feedback(namespace, entries[0].id, "useful")
    client.feedback(namespace, entries[2].id, "not_useful")

    events = list(client.iter_audit(namespace=namespace, page_size=2))
    assert [event.kind for event in events] == ["created"] * 5 + ["feedback"] * 2
    assert [event.entry_id for event in events[:5]] == [entry.id for entry in entries]
    sequences = [event.sequence for event in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == 7
    assert start.events == [] or start.events[0].sequence < sequences[0]

    first_page = client.audit(namespace=namespace, limit=2)
    assert len(first_page.events) == 2 and first_page.next_cursor is not None

    feedback = list(client.iter_audit(namespace=namespace, kinds=["feedback"], page_size=1))
    assert [event.entry_id for event in feedback] == [entries[0].id, entries[2].id]
    assert [e.sequence for e in client.iter_audit(namespace=namespace, entry=entries[2].id)] == \
        [sequences[2], sequences[6]]
    assert all(event.actor.startswith("pytest (") for event in events)
    # The actor filter matches the recorded actor, name and peer, spaces and all.
    assert [e.sequence for e in client.iter_audit(namespace=namespace, actor=events[0].actor)] == sequences
    assert list(client.iter_audit(namespace=namespace, actor="nobody")) == []

    # Time filters and `after` / `through`.
    since = events[0].time - timedelta(seconds=1)
    assert len(list(client.iter_audit(namespace=namespace, since=since))) == 7
    assert list(client.iter_audit(namespace=namespace, until=datetime(2000, 1, 1, tzinfo=timezone.utc))) == []
    assert [e.sequence for e in client.iter_audit(namespace=namespace, after=sequences[4])] == sequences[5:]
    assert [e.sequence for e in client.iter_audit(namespace=namespace, through=sequences[1])] == sequences[:2]


def test_a_page_larger_than_the_daemon_allows_is_refused(client: Client, namespace: str) -> None:
    with pytest.raises(BadRequest) as refused:
        client.list_memories(namespace, limit=100_000)
    assert refused.value.status == 400 and refused.value.code in ("invalid_argument", "invalid_field")

"""Entries: remember, get, edit, feedback, history, claims, forget, restore."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engramd_client import Client, Conflict, NotFound
from pyclient_helpers import ACTOR

OCCURRED = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)


def test_remember_stores_every_field_and_get_returns_it(client: Client, namespace: str) -> None:
    expires = datetime.now(timezone.utc) + timedelta(days=30)
    outcome = client.remember(
        namespace, "The VPN needs the 2FA app", tags=["it", "vpn"], metadata={"team": "infra", "n": 3},
        source="wiki", confidence=0.8, pinned=True, expires_at=expires, occurred_at=OCCURRED,
        valid_from=datetime(2024, 1, 1, tzinfo=timezone.utc), valid_to="2025-01-01T00:00:00Z",
        thread="onboarding", position=2, reason="seeding")
    entry = outcome.entry
    assert outcome.sequence > 0 and entry.id > 0 and entry.version == 1
    assert (entry.text, entry.tags, entry.metadata) == ("The VPN needs the 2FA app", ["it", "vpn"],
                                                        {"team": "infra", "n": 3})
    assert (entry.source, entry.confidence, entry.pinned) == ("wiki", 0.8, True)
    assert entry.occurred_at == OCCURRED
    assert entry.valid_from == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert entry.valid_to == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert entry.expires_at is not None and abs(entry.expires_at - expires) < timedelta(milliseconds=1)
    assert (entry.thread, entry.position) == ("onboarding", 2)
    assert entry.created_at.tzinfo is not None and entry.evidence.support == 1
    assert not entry.pending and not entry.learned and entry.conflicts_with == []

    assert client.get(namespace, entry.id) == entry


def test_edit_changes_fields_and_keeps_the_old_text_as_a_claim(client: Client, namespace: str) -> None:
    entry = client.remember(namespace, "Standup is at 9:30", tags=["team"]).entry
    edited = client.edit(namespace, entry.id, text="Standup is at 10:00", tags=["team", "daily"], reason="moved")
    assert edited.entry.text == "Standup is at 10:00" and edited.entry.tags == ["team", "daily"]
    assert edited.entry.version == 2 and edited.sequence > 0

    updated = client.update(namespace, entry.id, valid_from=OCCURRED, valid_to=OCCURRED + timedelta(days=1))
    assert updated.entry.valid_from == OCCURRED and updated.entry.version == 3
    cleared = client.edit(namespace, entry.id, clear_validity=True, pinned=True)
    assert cleared.entry.valid_from is None and cleared.entry.valid_to is None and cleared.entry.pinned

    claims = client.rejected_claims(namespace, entry.id)
    assert [(claim.text, claim.cause, claim.from_entry) for claim in claims] == [
        ("Standup is at 9:30", "corrected", entry.id)]
    assert claims[0].actor.startswith(f"{ACTOR} (") and claims[0].reason == "moved"
    assert claims[0].rejected_at.tzinfo is not None


def test_feedback_changes_confidence_and_history_has_the_events(client: Client, namespace: str) -> None:
    entry = client.remember(namespace, "Lunch is served at noon").entry
    assert entry.confidence == pytest.approx(0.5)
    useful = client.feedback(namespace, entry.id, "useful", reason="helped")
    assert useful.entry.confidence > entry.confidence and useful.entry.evidence.useful == 1
    not_useful = client.feedback(namespace, entry.id, "not_useful")
    assert not_useful.entry.confidence < useful.entry.confidence and not_useful.entry.evidence.not_useful == 1
    contradicted = client.feedback(namespace, entry.id, "contradicted")
    assert contradicted.entry.confidence < not_useful.entry.confidence
    assert contradicted.entry.evidence.contradictions == 1
    assert [claim.cause for claim in client.rejected_claims(namespace, entry.id)] == ["contradicted"]

    events = list(client.iter_history(namespace, entry.id))
    assert [event.kind for event in events] == ["created", "feedback", "feedback", "feedback"]
    assert all(event.actor.startswith(f"{ACTOR} (") for event in events)
    assert all(event.entry_id == entry.id and event.namespace == namespace for event in events)
    assert events[1].reason == "helped" and events[1].after is not None
    assert events[1].after.confidence == pytest.approx(useful.entry.confidence)
    assert [event.sequence for event in events] == sorted(event.sequence for event in events)
    assert events[3].sequence == contradicted.sequence

    page = client.history(namespace, entry.id, limit=2)
    assert [event.kind for event in page.events] == ["created", "feedback"] and page.next_cursor is not None
    assert [event.sequence for event in client.iter_history(namespace, entry.id, page_size=1)] == \
        [event.sequence for event in events]


def test_forget_then_restore_and_hard_delete(client: Client, namespace: str) -> None:
    entry = client.remember(namespace, "The printer is on the third floor").entry
    client.edit(namespace, entry.id, text="The printer is on the fourth floor")
    forgotten = client.forget(namespace, entry.id, reason="moved out & gone: 100% + é")
    assert forgotten.entry.text == "The printer is on the fourth floor"
    deleted = [event for event in client.iter_history(namespace, entry.id) if event.kind == "deleted"]
    assert [event.reason for event in deleted] == ["moved out & gone: 100% + é"]
    assert deleted[0].actor.startswith(f"{ACTOR} (uid:"), deleted[0].actor
    with pytest.raises(NotFound) as missing:
        client.get(namespace, entry.id)
    assert missing.value.code == "not_found" and missing.value.status == 404
    assert client.search(namespace, "where is the printer", k=5) == []

    restored = client.restore(namespace, entry.id)
    assert restored.entry.id == entry.id and restored.entry.text == "The printer is on the fourth floor"
    assert client.get(namespace, entry.id).text == "The printer is on the fourth floor"
    assert [hit.entry.id for hit in client.search(namespace, "where is the printer", k=5)] == [entry.id]

    reverted = client.revert(namespace, entry.id, 1, reason="the old floor was right")
    assert reverted.entry.text == "The printer is on the third floor"
    kinds = [event.kind for event in client.iter_history(namespace, entry.id)]
    assert kinds == ["created", "updated", "deleted", "restored", "reverted"]

    client.forget(namespace, entry.id, hard=True)
    with pytest.raises(Conflict) as gone:
        client.restore(namespace, entry.id)
    assert gone.value.code == "conflict" and gone.value.status == 409

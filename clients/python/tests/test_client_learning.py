"""learn, the review queue (accept, reject) and rejected claims."""
from __future__ import annotations

import pytest

from engramd_client import BadRequest, Client

OPENS_AT_9 = "The office opens at 9 am on weekdays"
OPENS_AT_10 = "The office opens at 10 am on weekdays"
OPENS_AT_8 = "The office opens at 8 am on weekdays"


def test_learn_creates_and_reinforces(client: Client, namespace: str) -> None:
    created = client.learn(namespace, "The cafeteria serves soup on Fridays")
    assert created.action == "created" and created.entry is not None and created.entry.learned
    assert created.sequence is not None
    again = client.learn(namespace, "The cafeteria serves soup on Fridays")
    assert again.action == "reinforced" and again.entry is not None
    assert again.entry.id == created.entry.id and again.entry.evidence.support == 2
    assert again.similarity is not None and again.similarity > 0.9
    assert again.entry.confidence > created.entry.confidence


def test_review_accept_and_reject(client: Client, namespace: str) -> None:
    person = client.remember(namespace, OPENS_AT_9).entry
    pending = client.learn(namespace, OPENS_AT_10)
    assert pending.action == "pending" and pending.entry is not None
    assert pending.entry.pending and pending.entry.conflicts_with == [person.id]
    other = client.learn(namespace, OPENS_AT_8)
    assert other.action == "pending" and other.entry is not None

    # Held back: out of searches, but listed and in the review queue with what it contradicts.
    assert {hit.entry.id for hit in client.search(namespace, "when does the office open", k=5)} == {person.id}
    assert [e.id for e in client.iter_memories(namespace, status="pending")] == [pending.entry.id, other.entry.id]
    items = list(client.iter_review(namespace, page_size=1))
    assert [item.entry.id for item in items] == [pending.entry.id, other.entry.id]
    assert [c.id for c in items[0].conflicts] == [person.id]
    page = client.review(namespace, limit=1)
    assert len(page.items) == 1 and page.next_cursor is not None

    rejected = client.reject(namespace, pending.entry.id, reason="wrong hour")
    assert rejected.entry.id == pending.entry.id and rejected.sequence > 0
    claims = client.rejected_claims(namespace, person.id)
    assert [(c.text, c.cause, c.from_entry, c.reason) for c in claims] == [
        (OPENS_AT_10, "reviewed", pending.entry.id, "wrong hour")]

    refused = client.learn(namespace, OPENS_AT_10)
    assert refused.action == "rejected" and refused.rejected_by is not None
    assert refused.rejected_by.text == OPENS_AT_10 and refused.rejected_by.entry_id == person.id
    assert refused.entry is not None and refused.entry.id == person.id

    accepted = client.accept(namespace, other.entry.id, reason="the new hours")
    assert not accepted.entry.pending and not accepted.entry.learned and accepted.entry.conflicts_with == []
    assert list(client.iter_review(namespace)) == []
    kinds = [e.kind for e in client.iter_audit(namespace=namespace, kinds=["accepted", "rejected", "refused"])]
    assert kinds == ["rejected", "refused", "accepted"]

    with pytest.raises(BadRequest) as not_under_review:
        client.accept(namespace, person.id)
    assert not_under_review.value.code == "invalid_argument"


def test_link_policy_stores_the_conflict_live(client: Client) -> None:
    from pyclient_helpers import fresh_name
    name = fresh_name()
    client.create_namespace(name, learning={"conflict_policy": "link"})
    person = client.remember(name, OPENS_AT_9).entry
    linked = client.learn(name, OPENS_AT_10)
    assert linked.action == "conflicting" and linked.entry is not None
    assert linked.entry.conflicts_with == [person.id] and not linked.entry.pending
    assert [e.id for e in client.iter_memories(name, conflicting=True)] == [linked.entry.id]

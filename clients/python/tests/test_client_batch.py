"""remember_batch: per-item results, dedupe learn, vectors, the async client, whole-request
errors and what the client refuses before sending."""
from __future__ import annotations

import asyncio
import os
from typing import Any

import numpy as np
import pytest

from engramd_client import (
    AsyncClient,
    BadRequest,
    BatchResult,
    Client,
    InvalidResponse,
    MemoryDraft,
    PayloadTooLarge,
    decode_vector,
)
from pyclient_helpers import ACTOR, fresh_name


def test_a_bad_item_is_reported_at_its_index_and_the_others_are_stored(client: Client, namespace: str) -> None:
    items: list[MemoryDraft | str] = [
        "Refunds are processed within 5 business days",
        {"text": "too sure", "confidence": 2.0},
        MemoryDraft(text="Support is open 9:00-17:00 on weekdays", tags=["hours"], metadata={"floor": 2},
                    source="handbook", thread="faq", position=3),
        {"text": "a bad date", "occurred_at": "yesterday"},
    ]
    result = client.remember_batch(namespace, items, reason="bulk load")

    assert [r.index for r in result.results] == [0, 1, 2, 3]
    assert [r.status for r in result.results] == ["created", "failed", "created", "failed"]
    assert (result.created, result.failed, result.ok, result.namespace_created) == (2, 2, False, False)
    assert [r.ok for r in result.results] == [True, False, True, False]
    assert [(f.index, f.error.code if f.error else None) for f in result.failures] == [
        (1, "invalid_argument"), (3, "invalid_field")]
    third_error = result.results[3].error
    assert third_error is not None and "occurred_at" in third_error.message
    assert all(f.id is None and f.sequence is None for f in result.failures)

    refund, hours = result.results[0], result.results[2]
    assert refund.id is not None and hours.id is not None and refund.error is None
    assert refund.sequence is not None and hours.sequence is not None
    assert result.last_sequence == max(refund.sequence, hours.sequence)

    stored = client.get(namespace, hours.id)
    assert (stored.text, stored.tags, stored.metadata, stored.source) == (
        "Support is open 9:00-17:00 on weekdays", ["hours"], {"floor": 2}, "handbook")
    assert (stored.thread, stored.position) == ("faq", 3)
    assert sorted(e.id for e in client.iter_memories(namespace)) == sorted([refund.id, hours.id])
    assert client.search(namespace, "how long does a refund take?", k=1)[0].entry.id == refund.id

    events = list(client.iter_audit(namespace=namespace, kinds=["created"]))
    assert sorted(e.entry_id for e in events) == sorted([refund.id, hours.id])
    assert all(e.reason == "bulk load" and e.actor.startswith(ACTOR) for e in events)


def test_plain_texts_and_an_empty_batch(client: Client, namespace: str) -> None:
    result = client.remember_batch(namespace, (f"note {i}" for i in range(5)))  # any iterable
    assert result.ok and result.created == 5 and result.failed == 0 and result.failures == []
    ids = [r.id for r in result.results]
    assert [client.get(namespace, i).text for i in ids if i is not None] == [f"note {i}" for i in range(5)]

    empty = client.remember_batch(namespace, [])
    assert empty == BatchResult(results=[], created=0, failed=0)


def test_dedupe_learn_reinforces_a_repeated_item(client: Client, namespace: str) -> None:
    soup = "The cafeteria serves soup on Fridays"
    result = client.remember_batch(namespace, [soup, "Parking is free after six", soup], dedupe="learn")
    assert [r.status for r in result.results] == ["created", "created", "reinforced"]
    first, repeat = result.results[0], result.results[2]
    assert first.id is not None and repeat.id == first.id
    assert repeat.similarity is not None and repeat.similarity > 0.9
    assert result.created == 2 and result.failed == 0 and result.ok
    assert client.get(namespace, first.id).evidence.support == 2
    assert len(list(client.iter_memories(namespace))) == 2

    # A later batch meets the stored entries too; without dedupe the same text is a new entry.
    again = client.remember_batch(namespace, [soup], dedupe="learn")
    assert [(r.status, r.id) for r in again.results] == [("reinforced", first.id)] and again.created == 0
    plain = client.remember_batch(namespace, [soup], dedupe="none")
    assert plain.results[0].status == "created" and plain.results[0].id != first.id


def test_vectors_in_items(client: Client, namespace: str) -> None:
    axis = np.zeros(384, dtype=np.float32)
    axis[7] = 1.0
    axis2 = [0.0] * 384
    axis2[9] = 1.0
    result = client.remember_batch(namespace, [
        {"text": "a text whose vector is an axis", "vector": axis},
        MemoryDraft(text="another axis, as a list", vector=axis2, tags=["list"]),
        {"text": "a vector of the wrong dimension", "vector": [1.0, 0.0, 0.0]},
        "embedded by the daemon",
    ])
    assert [r.status for r in result.results] == ["created", "created", "failed", "created"]
    wrong = result.results[2].error
    assert wrong is not None and wrong.code == "dimension_mismatch"

    first, second = result.results[0].id, result.results[1].id
    assert client.search(namespace, vector=axis, k=1)[0].entry.id == first
    hit = client.search(namespace, vector=axis2, k=1)[0]
    assert hit.entry.id == second and hit.similarity == pytest.approx(1.0, abs=1e-6)
    exported = {e["id"]: e for page in client.iter_export(namespace) for e in page.entries}
    assert np.array_equal(decode_vector(exported[first]["vector_b64"], numpy=True), axis)
    assert decode_vector(exported[second]["vector_b64"]) == axis2


def test_async_remember_batch_creates_the_namespace(engramd: object) -> None:
    socket = getattr(engramd, "socket")
    name = fresh_name("async-batch")

    async def scenario() -> None:
        async with AsyncClient(socket, actor=ACTOR, timeout=120) as engram:
            result = await engram.remember_batch(
                name, ["first async item", {"text": "second async item", "tags": ["async"]}], reason="async load")
            assert result.namespace_created and result.ok and result.created == 2
            ids = [r.id for r in result.results]
            assert [e.id async for e in engram.iter_memories(name)] == ids
            assert [e.id async for e in engram.iter_memories(name, tags=["async"])] == ids[1:]
            learned = await engram.remember_batch(name, ["first async item"], dedupe="learn")
            assert learned.results[0].status == "reinforced" and not learned.namespace_created
            with pytest.raises(PayloadTooLarge):
                await engram.remember_batch(name, ["x"] * 1001)

    asyncio.run(scenario())


def test_more_than_1000_items_is_payload_too_large(client: Client, namespace: str) -> None:
    with pytest.raises(PayloadTooLarge) as large:
        client.remember_batch(namespace, [f"item {i}" for i in range(1001)])
    assert (large.value.status, large.value.code) == (413, "payload_too_large")
    assert "1000" in large.value.message
    assert list(client.iter_memories(namespace)) == []
    assert client.remember_batch(namespace, [f"item {i}" for i in range(1000)]).created == 1000


def test_a_bad_namespace_name_fails_the_request(client: Client) -> None:
    with pytest.raises(BadRequest) as refused:
        client.remember_batch("..", ["x"])
    assert refused.value.code == "invalid_argument"


def test_what_the_client_refuses_before_sending(tmp_path: object) -> None:
    # No daemon at this socket: a request would raise Unavailable, so each TypeError/ValueError
    # shows that nothing was sent.
    bad: Any = [
        ("text", TypeError, "not a single string"),
        (["ok", 42], TypeError, "item 1: expected a text or a MemoryDraft"),
        (["ok", {"text": "x", "colour": "red"}], TypeError, "item 1: unexpected keyword argument.*colour"),
        ([{"tags": ["no text"]}], TypeError, "item 0: missing 'text'"),
        ([{"text": "x", "vector": np.zeros((2, 3))}], ValueError, "item 0: .*one-dimensional"),
        ([{"text": "x", "vector": ["a"]}], TypeError, "item 0: a vector holds numbers"),
    ]
    with Client(os.path.join(str(tmp_path), "absent.sock")) as engram:
        for items, error, match in bad:
            with pytest.raises(error, match=match):
                engram.remember_batch("ns", items)


def test_results_out_of_order_are_an_invalid_response() -> None:
    document: dict[str, Any] = {"results": [{"index": 1, "status": "created", "id": 2, "sequence": 3}],
                                "created": 1, "failed": 0}
    with pytest.raises(InvalidResponse, match="index 1"):
        BatchResult.from_json(document)
    document["results"][0]["index"] = 0
    parsed = BatchResult.from_json(document)
    assert parsed.last_sequence is None and parsed.results[0].id == 2 and parsed.ok

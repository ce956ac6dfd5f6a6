"""Search by text and by vector: modes, filters, ranking, context."""
from __future__ import annotations

import numpy as np
import pytest

from engramd_client import BadRequest, Client, decode_vector

FACTS = [
    ("Refunds are processed within 5 business days", ["billing"]),
    ("The VPN requires the two-factor authentication app", ["it"]),
    ("Our office dog is called Biscuit", ["office"]),
]


@pytest.fixture
def facts(client: Client, namespace: str) -> dict[str, int]:
    return {text: client.remember(namespace, text, tags=tags).entry.id for text, tags in FACTS}


def test_text_search_finds_the_remembered_memory(client: Client, namespace: str, facts: dict[str, int]) -> None:
    hits = client.search(namespace, "how long does a refund take?", k=3)
    assert hits[0].entry.text == FACTS[0][0]
    assert hits[0].entry.id == facts[FACTS[0][0]]
    assert hits[0].similarity is not None and hits[0].distance is not None
    assert hits[0].components.vector is not None and hits[0].components.lexical is not None
    assert hits[0].components.fused is not None  # hybrid, the default mode
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_modes_filters_and_ranking(client: Client, namespace: str, facts: dict[str, int]) -> None:
    lexical = client.search(namespace, "refunds", mode="lexical")
    assert [hit.entry.id for hit in lexical] == [facts[FACTS[0][0]]]
    assert lexical[0].similarity is None and lexical[0].distance is None
    assert lexical[0].components.lexical is not None and lexical[0].components.vector is None

    vector = client.search(namespace, "what is the name of the dog", mode="vector", k=1)
    assert vector[0].entry.text == FACTS[2][0] and vector[0].components.fused is None

    filtered = client.search(namespace, "refund", k=3, filter={"tags_any": ["it"]})
    assert [hit.entry.id for hit in filtered] == [facts[FACTS[1][0]]]
    assert client.search(namespace, "refund", filter={"min_confidence": 0.99}) == []

    fused = client.search(namespace, "refund", k=3, fusion={"method": "rrf", "rrf_k": 10})
    assert fused[0].entry.text == FACTS[0][0]
    ranked = client.search(namespace, "refund", k=3, rank={"similarity": 1, "confidence": 0.5, "recency": 0})
    assert ranked[0].entry.text == FACTS[0][0]

    with pytest.raises(ValueError):
        client.search(namespace)
    with pytest.raises(ValueError):
        client.search(namespace, "text", vector=[0.0] * 384)


def test_context_returns_thread_neighbours(client: Client, namespace: str) -> None:
    turns = ["We moved the standup", "It is now at ten o'clock", "In the blue meeting room", "Bring coffee"]
    ids = [client.remember(namespace, text, thread="chat-1", position=i).entry.id for i, text in enumerate(turns)]
    hits = client.search(namespace, "which meeting room", k=1, context=1, mode="lexical")
    assert hits[0].entry.id == ids[2] and hits[0].context is not None
    assert [entry.id for entry in hits[0].context.before] == [ids[1]]
    assert [entry.id for entry in hits[0].context.after] == [ids[3]]
    assert client.search(namespace, "which meeting room", k=1, mode="lexical")[0].context is None


def test_vector_search_with_a_list_and_with_numpy(client: Client, namespace: str) -> None:
    vectors = client.embed(["alpha particle", "beta decay", "gamma ray"]).array()
    ids = [client.remember(namespace, text, vector=vectors[i]).entry.id
           for i, text in enumerate(["alpha particle", "beta decay", "gamma ray"])]
    as_list = [float(x) for x in vectors[1]]
    by_list = client.search(namespace, vector=as_list, k=1)
    by_array = client.search(namespace, vector=vectors[1], k=1)
    assert by_list[0].entry.id == by_array[0].entry.id == ids[1]
    assert by_list[0].similarity == pytest.approx(1.0, abs=1e-5)

    # The stored vector is exactly the float32 vector sent as vector_b64.
    exported = {entry["id"]: entry for page in client.iter_export(namespace) for entry in page.entries}
    assert decode_vector(exported[ids[1]]["vector_b64"]) == as_list
    assert np.array_equal(decode_vector(exported[ids[2]]["vector_b64"], numpy=True), vectors[2])


def test_vector_errors_carry_the_daemon_code(client: Client, namespace: str, facts: dict[str, int]) -> None:
    with pytest.raises(BadRequest) as wrong_size:
        client.search(namespace, vector=[0.1, 0.2, 0.3])
    assert wrong_size.value.code == "dimension_mismatch" and wrong_size.value.status == 400
    with pytest.raises(BadRequest) as wrong_mode:
        client.search(namespace, vector=[0.0] * 383 + [1.0], mode="lexical")
    assert wrong_mode.value.code == "invalid_argument"
    with pytest.raises(BadRequest) as wrong_k:
        client.search(namespace, "refund", k=0)
    assert wrong_k.value.code in ("invalid_argument", "invalid_field")

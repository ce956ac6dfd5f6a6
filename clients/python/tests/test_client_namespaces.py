"""Health, metrics and namespaces."""
from __future__ import annotations

from datetime import datetime

import pytest

from engramd_client import BadRequest, Client, Conflict, NamespaceNotFound, NotFound
from pyclient_helpers import fresh_name


def test_health_reports_the_daemon(client: Client) -> None:
    health = client.health()
    assert health.status == "ok"
    assert health.pid > 0 and health.version
    assert health.details["embedding_dimension"] == "384"


def test_metrics_are_prometheus_text(client: Client) -> None:
    client.health()
    text = client.metrics()
    assert "engram_http_requests_total" in text


def test_create_get_list_and_delete_a_namespace_with_settings(client: Client) -> None:
    name = fresh_name()
    created = client.create_namespace(
        name, metric="cosine", parameters={"m": 8, "ef_search": 32},
        lexical={"stemming": "none", "stop_words": "none", "k1": 1.2, "b": 0.75},
        search={"mode": "lexical", "fusion": "rrf", "rrf_k": 30, "candidates": 20},
        learning={"conflict_policy": "link", "reinforce_similarity": 0.95})
    assert created.name == name and created.dimension == 384 and created.metric == "cosine"
    assert created.parameters["m"] == 8 and created.parameters["ef_search"] == 32
    assert created.lexical == {"stemming": "none", "stop_words": "none", "k1": 1.2, "b": 0.75}
    assert created.search["mode"] == "lexical" and created.search["fusion"] == "rrf"
    assert created.learning == {"conflict_policy": "link", "reinforce_similarity": 0.95}
    assert isinstance(created.created_at, datetime) and created.created_at.tzinfo is not None
    assert created.entry_count == 0

    fetched = client.get_namespace(name)
    assert fetched.name == name and fetched.parameters == created.parameters
    assert name in [namespace.name for namespace in client.list_namespaces()]

    # The same settings again: the namespace as it is; other settings: a conflict.
    assert client.create_namespace(
        name, metric="cosine", parameters={"m": 8, "ef_search": 32},
        lexical={"stemming": "none", "stop_words": "none", "k1": 1.2, "b": 0.75},
        search={"mode": "lexical", "fusion": "rrf", "rrf_k": 30, "candidates": 20},
        learning={"conflict_policy": "link", "reinforce_similarity": 0.95}).name == name
    with pytest.raises(Conflict) as conflict:
        client.create_namespace(name, metric="l2")
    assert conflict.value.status == 409 and conflict.value.code == "conflict"

    with pytest.raises(BadRequest) as refused:
        client.delete_namespace(name, confirm=False)
    assert refused.value.code == "invalid_argument" and "confirm" in refused.value.message

    client.remember(name, "something to delete")
    deleted = client.delete_namespace(name, confirm=True, reason="test cleanup")
    assert deleted.deleted == name and deleted.sequence is not None
    with pytest.raises(NamespaceNotFound) as missing:
        client.get_namespace(name)
    assert isinstance(missing.value, NotFound)
    assert missing.value.status == 404 and missing.value.code == "namespace_not_found"


def test_deleting_an_empty_namespace_has_no_sequence(client: Client) -> None:
    name = fresh_name()
    client.create_namespace(name)
    assert client.delete_namespace(name, confirm=True).sequence is None


def test_a_first_remember_creates_the_namespace(client: Client) -> None:
    name = fresh_name()
    first = client.remember(name, "the first memory creates the namespace")
    assert first.namespace_created is True
    second = client.remember(name, "the second does not")
    assert second.namespace_created is False
    assert client.get_namespace(name).entry_count == 2

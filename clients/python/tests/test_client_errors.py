"""Failures as exceptions: the daemon's status and code, and an unreachable socket."""
from __future__ import annotations

import os

import pytest

from engramd_client import (
    AsyncClient,
    BadRequest,
    Client,
    EngramError,
    NamespaceNotFound,
    NotFound,
    PayloadTooLarge,
    Unavailable,
)
from pyclient_helpers import fresh_name


def test_missing_entry_and_namespace(client: Client, namespace: str) -> None:
    with pytest.raises(NotFound) as entry:
        client.get(namespace, 999_999_999)
    assert (entry.value.status, entry.value.code) == (404, "not_found")
    assert not isinstance(entry.value, NamespaceNotFound)
    assert "999999999" in entry.value.message and "not_found" in str(entry.value)

    absent = fresh_name("absent")
    for call in (lambda: client.get(absent, 1), lambda: client.search(absent, "x"),
                 lambda: client.list_memories(absent), lambda: client.review(absent),
                 lambda: client.feedback(absent, 1, "useful")):
        with pytest.raises(NamespaceNotFound) as error:
            call()
        assert (error.value.status, error.value.code) == (404, "namespace_not_found")
        assert absent in error.value.message


def test_invalid_arguments_carry_the_code(client: Client, namespace: str) -> None:
    with pytest.raises(BadRequest) as confidence:
        client.remember(namespace, "too sure", confidence=2.0)
    assert confidence.value.code == "invalid_argument" and confidence.value.status == 400
    with pytest.raises(BadRequest) as date:
        client.remember(namespace, "a bad date", occurred_at="yesterday")
    assert date.value.code == "invalid_field" and "occurred_at" in date.value.message
    with pytest.raises(BadRequest) as empty:
        client.embed([])
    assert empty.value.code == "invalid_argument"
    with pytest.raises(EngramError) as bad_name:
        client.create_namespace("bad name with spaces")
    assert bad_name.value.status == 400


def test_unknown_keyword_arguments_are_a_type_error(client: Client, namespace: str) -> None:
    with pytest.raises(TypeError, match="colour"):
        client.remember(namespace, "x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="bogus"):
        client.list_memories(namespace, bogus=1)  # type: ignore[call-arg]


def test_a_body_over_the_limit_is_payload_too_large(client: Client, namespace: str) -> None:
    with pytest.raises(PayloadTooLarge) as large:
        client.remember(namespace, "a" * 5_000_000)
    assert (large.value.status, large.value.code) == (413, "payload_too_large")


def test_a_missing_socket_is_unavailable_and_names_the_path(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "no-daemon-here.sock")
    with Client(path) as engram:
        with pytest.raises(Unavailable) as error:
            engram.health()
    assert error.value.status is None and error.value.code == "unavailable"
    assert path in str(error.value) and "cannot connect" in str(error.value)


def test_a_socket_without_a_listener_is_unavailable(tmp_path: object) -> None:
    import socket as sockets
    path = os.path.join(str(tmp_path), "stale.sock")
    stale = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    stale.bind(path)  # bound but never listening: connections are refused
    try:
        with Client(path) as engram, pytest.raises(Unavailable, match="stale.sock"):
            engram.health()
    finally:
        stale.close()


def test_the_socket_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, engramd: object) -> None:
    socket = getattr(engramd, "socket")
    monkeypatch.setenv("ENGRAM_SOCKET", socket)
    with Client() as engram:
        assert engram.socket == socket and engram.health().status == "ok"
    monkeypatch.delenv("ENGRAM_SOCKET")
    monkeypatch.chdir(os.path.dirname(socket))
    assert Client().socket == os.path.join(os.path.dirname(socket), "run", "engram.sock")
    assert AsyncClient(socket).socket == socket


def test_names_that_are_path_syntax_reach_the_daemon_and_are_refused(client: Client) -> None:
    for name in (".", ".."):
        with pytest.raises(BadRequest) as refused:
            client.get_namespace(name)
        assert refused.value.code == "invalid_argument"

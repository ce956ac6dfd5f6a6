"""Each API call as data (method, path, query, body, and how to read the answer), shared by
the sync and the async client, which only move the bytes. Paths, members and query
parameters follow openapi/engram.json."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypedDict, TypeVar
from urllib.parse import quote

from . import _wire as w
from ._errors import InvalidResponse
from ._models import (
    AuditKind,
    AuditPage,
    BatchDedupe,
    BatchResult,
    DateLike,
    EditFields,
    Embeddings,
    EntryPage,
    ExportPage,
    FeedbackSignal,
    FusionOptions,
    Health,
    HNSWParameters,
    ImportResult,
    LearningPolicy,
    LearnOutcome,
    LexicalOptions,
    MemoryDraft,
    MemoryEntry,
    ListSort,
    MemoryFields,
    Metric,
    Namespace,
    NamespaceDeleted,
    RankOptions,
    RejectedClaim,
    ReviewPage,
    SearchDefaults,
    SearchFilter,
    SearchHit,
    SearchMode,
    Status,
    WriteOutcome,
)
from ._vectors import VectorLike, encode_vector, vector_as_list

T = TypeVar("T")

DEFAULT_SOCKET = "./run/engram.sock"
DEFAULT_TIMEOUT = 30.0
#: What the daemon's routes see as the host; any name does over a Unix socket.
BASE_URL = "http://engram"


def socket_path(socket: str | os.PathLike[str] | None) -> str:
    """The socket: the argument, else $ENGRAM_SOCKET, else ./run/engram.sock (made absolute,
    so messages name the file)."""
    chosen = os.fspath(socket) if socket is not None else (os.environ.get("ENGRAM_SOCKET") or DEFAULT_SOCKET)
    return os.path.abspath(chosen)


class ListFilters(TypedDict, total=False):
    """Filters and order of `list_memories` / `iter_memories`."""

    tags: Sequence[str]
    source: str
    status: Status
    conflicting: bool
    min_confidence: float
    max_confidence: float
    sort: ListSort


class AuditFilters(TypedDict, total=False):
    """Filters of `audit` / `iter_audit`. `kinds` are event kinds (any of them); `actor` is
    the recorded actor, e.g. ``"importer (uid:1000)"``."""

    through: int
    namespace: str
    actor: str
    kinds: Sequence[AuditKind]
    entry: int
    since: DateLike
    until: DateLike


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the reader of its answer's JSON document."""

    method: str
    path: str
    read: Callable[[Any], T]
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    #: The answer is text (Prometheus metrics), handed to `read` as a str.
    text: bool = False

    def target(self) -> str:
        """The path and query, every query name and value percent-encoded (a space as %20: the
        daemon does not read ``+`` as a space, which httpx's `params` would send)."""
        if not self.params:
            return self.path
        query = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in self.params.items())
        return f"{self.path}?{query}"

    def content(self) -> bytes | None:
        if self.body is None:
            return None
        return json.dumps(w.jsonable(self.body), separators=(",", ":"), allow_nan=False).encode()


def _path(*segments: str | int) -> str:
    """``/v1/...`` with every segment percent-encoded (``.`` and ``..`` too, which httpx would
    otherwise resolve away, so the daemon sees and refuses them as names)."""
    return "".join("/" + _segment(str(segment)) for segment in segments)


def _segment(text: str) -> str:
    return "%2E" * len(text) if text in (".", "..") else quote(text, safe="")


def _query(**values: object) -> dict[str, str]:
    """Query parameters without the None ones; booleans as true/false."""
    params: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            params[name] = ",".join(str(item) for item in value)
        else:
            params[name] = w.format_datetime(value) if isinstance(value, datetime) else str(value)
    return params


def _unexpected(fields: Mapping[str, object], allowed: Any) -> None:
    """A TypeError naming keyword arguments that `allowed` (a TypedDict) does not have, as a
    function with those keywords would raise for an untyped caller."""
    unknown = set(fields) - set(allowed.__required_keys__) - set(allowed.__optional_keys__)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")


def _audited(body: dict[str, Any], actor: str | None, reason: str | None) -> dict[str, Any]:
    if actor is not None:
        body["actor"] = actor
    if reason is not None:
        body["reason"] = reason
    return body


def _memory_body(text: str | None, vector: VectorLike | None, fields: Mapping[str, Any], allowed: Any, *,
                 b64: bool) -> dict[str, Any]:
    """A memory's members (without the audit ones): `text`, the vector (``vector_b64`` or a
    JSON array) and the `fields` that are not None, each one that `allowed` has."""
    _unexpected(fields, allowed)
    body: dict[str, Any] = {} if text is None else {"text": text}
    if vector is not None:
        if b64:
            body["vector_b64"] = encode_vector(vector)
        else:
            body["vector"] = vector_as_list(vector)
    body.update((key, value) for key, value in fields.items() if value is not None)
    return body


def _batch_item(index: int, item: MemoryDraft | str) -> dict[str, Any]:
    """An item of a batch body: a text alone, or a draft's members checked as `remember`'s
    keyword arguments are (a missing text or an unknown member is a TypeError, a vector that
    cannot be encoded a ValueError or TypeError), naming the item's index."""
    if isinstance(item, str):
        return {"text": item}
    if not isinstance(item, Mapping):
        raise TypeError(f"item {index}: expected a text or a MemoryDraft (a mapping), got {type(item).__name__}")
    fields: dict[str, Any] = dict(item)
    try:
        if "text" not in fields:
            raise TypeError("missing 'text'")
        text, vector = fields.pop("text"), fields.pop("vector", None)
        return _memory_body(text, vector, fields, MemoryFields, b64=True)
    except TypeError as error:
        raise TypeError(f"item {index}: {error}") from None
    except ValueError as error:
        raise ValueError(f"item {index}: {error}") from None


def _read_batch(count: int) -> Callable[[Any], BatchResult]:
    """Reads a batch's answer, which holds one result per item sent."""
    def reader(document: Any) -> BatchResult:
        result = BatchResult.from_json(document)
        if len(result.results) != count:
            raise InvalidResponse(f"{len(result.results)} results for {count} items", code="invalid_response")
        return result
    return reader


def _read_list(name: str, read: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def reader(document: Any) -> list[T]:
        return [read(item) for item in w.objects(document, name)]
    return reader


class Calls:
    """Builds the calls; `actor` goes into every body whose route takes one."""

    def __init__(self, actor: str | None) -> None:
        self.actor = actor

    # health and namespaces

    def health(self) -> Call[Health]:
        return Call("GET", "/v1/health", Health.from_json)

    def metrics(self) -> Call[str]:
        return Call("GET", "/metrics", str, text=True)

    def list_namespaces(self) -> Call[list[Namespace]]:
        return Call("GET", "/v1/namespaces", _read_list("namespaces", Namespace.from_json))

    def create_namespace(self, name: str, *, dimension: int | None, metric: Metric | None,
                         parameters: HNSWParameters | None, lexical: LexicalOptions | None,
                         search: SearchDefaults | None, learning: LearningPolicy | None) -> Call[Namespace]:
        settings = {"dimension": dimension, "metric": metric, "parameters": parameters, "lexical": lexical,
                    "search": search, "learning": learning}
        body = {key: value for key, value in settings.items() if value is not None}
        return Call("PUT", _path("v1", "namespaces", name), Namespace.from_json, body=body)

    def get_namespace(self, name: str) -> Call[Namespace]:
        return Call("GET", _path("v1", "namespaces", name), Namespace.from_json)

    def delete_namespace(self, name: str, *, confirm: bool, reason: str | None) -> Call[NamespaceDeleted]:
        return Call("DELETE", _path("v1", "namespaces", name), NamespaceDeleted.from_json,
                    params=_query(confirm=confirm, actor=self.actor, reason=reason))

    # entries

    def _entry_body(self, text: str | None, vector: VectorLike | None, reason: str | None,
                    fields: Mapping[str, Any], allowed: Any, *, b64: bool) -> dict[str, Any]:
        return _audited(_memory_body(text, vector, fields, allowed, b64=b64), self.actor, reason)

    def remember(self, namespace: str, text: str, vector: VectorLike | None, reason: str | None,
                 fields: MemoryFields) -> Call[WriteOutcome]:
        body = self._entry_body(text, vector, reason, fields, MemoryFields, b64=True)
        return Call("POST", _path("v1", "namespaces", namespace, "memories"), WriteOutcome.from_json, body=body)

    def remember_batch(self, namespace: str, items: Iterable[MemoryDraft | str], *, dedupe: BatchDedupe | None,
                       reason: str | None) -> Call[BatchResult]:
        # One request whatever the count: the daemon answers more than 1000 items with 413.
        if isinstance(items, (str, bytes)):
            raise TypeError("items: expected texts or MemoryDrafts, not a single string (pass [text] for one)")
        body: dict[str, Any] = {"items": [_batch_item(index, item) for index, item in enumerate(items)]}
        if dedupe is not None:
            body["dedupe"] = dedupe
        return Call("POST", _path("v1", "namespaces", namespace, "memories", "batch"),
                    _read_batch(len(body["items"])), body=_audited(body, self.actor, reason))

    def learn(self, namespace: str, text: str, vector: VectorLike | None, reason: str | None,
              fields: MemoryFields) -> Call[LearnOutcome]:
        body = self._entry_body(text, vector, reason, fields, MemoryFields, b64=True)
        return Call("POST", _path("v1", "namespaces", namespace, "learn"), LearnOutcome.from_json, body=body)

    def get(self, namespace: str, entry_id: int) -> Call[MemoryEntry]:
        return Call("GET", _path("v1", "namespaces", namespace, "memories", entry_id), MemoryEntry.from_json)

    def edit(self, namespace: str, entry_id: int, vector: VectorLike | None, reason: str | None,
             fields: EditFields) -> Call[WriteOutcome]:
        # The edit route takes `vector` as a JSON array only (no vector_b64).
        body = self._entry_body(None, vector, reason, fields, EditFields, b64=False)
        return Call("PATCH", _path("v1", "namespaces", namespace, "memories", entry_id), WriteOutcome.from_json,
                    body=body)

    def forget(self, namespace: str, entry_id: int, *, hard: bool, reason: str | None) -> Call[WriteOutcome]:
        # DELETE takes no body: the actor and the reason travel in the query.
        return Call("DELETE", _path("v1", "namespaces", namespace, "memories", entry_id), WriteOutcome.from_json,
                    params=_query(hard=True if hard else None, actor=self.actor, reason=reason))

    def revert(self, namespace: str, entry_id: int, version: int, *, vector: VectorLike | None,
               reason: str | None) -> Call[WriteOutcome]:
        body: dict[str, Any] = {"version": version}
        if vector is not None:
            body["vector"] = vector_as_list(vector)
        return Call("POST", _path("v1", "namespaces", namespace, "memories", entry_id, "revert"),
                    WriteOutcome.from_json, body=_audited(body, self.actor, reason))

    def history(self, namespace: str, entry_id: int, *, after: int | None, limit: int | None) -> Call[AuditPage]:
        return Call("GET", _path("v1", "namespaces", namespace, "memories", entry_id, "history"),
                    AuditPage.from_json, params=_query(after=after, limit=limit))

    def feedback(self, namespace: str, entry_id: int, signal: FeedbackSignal, *,
                 reason: str | None) -> Call[WriteOutcome]:
        return Call("POST", _path("v1", "namespaces", namespace, "memories", entry_id, "feedback"),
                    WriteOutcome.from_json, body=_audited({"signal": signal}, self.actor, reason))

    def rejected_claims(self, namespace: str, entry_id: int) -> Call[list[RejectedClaim]]:
        return Call("GET", _path("v1", "namespaces", namespace, "memories", entry_id, "claims"),
                    _read_list("claims", RejectedClaim.from_json))

    def list_memories(self, namespace: str, *, after: int | None, limit: int | None,
                      filters: ListFilters) -> Call[EntryPage]:
        _unexpected(filters, ListFilters)
        tags: Sequence[str] | None = filters.get("tags")
        if isinstance(tags, str):
            tags = [tags]
        params = _query(after=after, limit=limit, tag=tags, source=filters.get("source"),
                        status=filters.get("status"), conflicting=filters.get("conflicting"),
                        min_confidence=filters.get("min_confidence"), max_confidence=filters.get("max_confidence"),
                        sort=filters.get("sort"))
        return Call("GET", _path("v1", "namespaces", namespace, "memories"), EntryPage.from_json, params=params)

    # review

    def review(self, namespace: str, *, after: int | None, limit: int | None) -> Call[ReviewPage]:
        return Call("GET", _path("v1", "namespaces", namespace, "review"), ReviewPage.from_json,
                    params=_query(after=after, limit=limit))

    def decide(self, namespace: str, entry_id: int, decision: Literal["accept", "reject"],
               reason: str | None) -> Call[WriteOutcome]:
        return Call("POST", _path("v1", "namespaces", namespace, "review", entry_id, decision), WriteOutcome.from_json,
                    body=_audited({}, self.actor, reason))

    # search, audit, embed

    def search(self, namespace: str, text: str | None, *, vector: VectorLike | None, k: int | None,
               ef: int | None, filter: SearchFilter | None, rank: RankOptions | None, mode: SearchMode | None,
               fusion: FusionOptions | None, context: int | None) -> Call[list[SearchHit]]:
        if text is not None and vector is None:
            body: dict[str, Any] = {"text": text}
        elif vector is not None and text is None:
            body = {"vector_b64": encode_vector(vector)}
        else:
            raise ValueError("search takes a text or a vector (one of them)")
        options = {"k": k, "ef": ef, "filter": filter, "rank": rank, "mode": mode, "fusion": fusion, "context": context}
        body.update((key, value) for key, value in options.items() if value is not None)
        return Call("POST", _path("v1", "namespaces", namespace, "search"), _read_list("hits", SearchHit.from_json),
                    body=body)

    def audit(self, *, after: int | None, limit: int | None, filters: AuditFilters) -> Call[AuditPage]:
        _unexpected(filters, AuditFilters)
        kinds: Sequence[str] | None = filters.get("kinds")
        if isinstance(kinds, str):
            kinds = [kinds]
        params = _query(after=after, through=filters.get("through"), limit=limit,
                        namespace=filters.get("namespace"), actor=filters.get("actor"),
                        kind=None if kinds is None else sorted(kinds), entry=filters.get("entry"),
                        since=filters.get("since"), until=filters.get("until"))
        return Call("GET", "/v1/audit", AuditPage.from_json, params=params)

    def embed(self, texts: Sequence[str]) -> Call[Embeddings]:
        if isinstance(texts, str):
            texts = [texts]
        return Call("POST", "/v1/embed", Embeddings.from_json, body={"input": list(texts)})

    # export and import

    def export(self, namespace: str, *, after: int | None, limit: int | None) -> Call[ExportPage]:
        return Call("GET", _path("v1", "namespaces", namespace, "export"), ExportPage.from_json,
                    params=_query(after=after, limit=limit))

    def import_entries(self, namespace: str, entries: Sequence[Mapping[str, Any]],
                       claims: Sequence[Mapping[str, Any]] | None) -> Call[ImportResult]:
        body: dict[str, Any] = {"namespace": namespace, "entries": [dict(entry) for entry in entries]}
        if claims:
            body["claims"] = [dict(claim) for claim in claims]
        return Call("POST", "/v1/admin/import", ImportResult.from_json, body=body)


def check_cursor(previous: int | None, cursor: int | None) -> int | None:
    """The next page's cursor; refuses one that does not advance (which would loop)."""
    if cursor is not None and previous is not None and cursor <= previous:
        raise InvalidResponse(f"next_cursor {cursor} does not advance past {previous}", code="invalid_response")
    return cursor



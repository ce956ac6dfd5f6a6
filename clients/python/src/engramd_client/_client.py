"""`Client`: the synchronous client of engramd's socket API."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._api import DEFAULT_TIMEOUT, AuditFilters, Call, Calls, ListFilters, check_cursor, socket_path
from ._errors import NotFound
from ._models import (
    AuditEvent,
    AuditPage,
    BatchDedupe,
    BatchResult,
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
    MemoryFields,
    Metric,
    Namespace,
    NamespaceDeleted,
    RankOptions,
    RejectedClaim,
    ReviewItem,
    ReviewPage,
    SearchDefaults,
    SearchFilter,
    SearchHit,
    SearchMode,
    WriteOutcome,
)
from ._transport import HEADERS, latest_version, read, request_headers, transport_error
from ._vectors import VectorLike

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")


class Client:
    """A synchronous client of engramd over its Unix socket.

    `socket`: the daemon's socket (default: $ENGRAM_SOCKET, else ``./run/engram.sock``).
    `actor`: your application's user or agent name, recorded in the audit log beside the
    socket peer (``"importer (uid:1000)"``) on every write whose route takes one.
    `timeout`: seconds for connecting and for each read and write (None: no limit).

    Every method is one request (the ``iter_*`` ones, one per page) and raises an
    `EngramError` subclass on failure. Use it as a context manager, or call `close()`.
    """

    def __init__(self, socket: str | os.PathLike[str] | None = None, *, actor: str | None = None,
                 timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self.socket = socket_path(socket)
        self.actor = actor
        self.timeout = timeout
        self._calls = Calls(actor)
        self._http = httpx.Client(transport=httpx.HTTPTransport(uds=self.socket), base_url="http://engram",
                                  headers=HEADERS, timeout=timeout)

    def close(self) -> None:
        """Closes the kept-alive connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(socket={self.socket!r}, actor={self.actor!r})"

    def _send(self, call: Call[T]) -> T:
        try:
            response = self._http.request(call.method, call.target(), content=call.content(),
                                          headers=request_headers(call))
        except httpx.TransportError as error:
            raise transport_error(error, self.socket, self.timeout) from error
        return read(call, response.status_code, response.content)

    # ---- health and namespaces ---------------------------------------------------------

    def health(self) -> Health:
        """``GET /v1/health``."""
        return self._send(self._calls.health())

    def metrics(self) -> str:
        """``GET /metrics``: Prometheus text."""
        return self._send(self._calls.metrics())

    def list_namespaces(self) -> list[Namespace]:
        """``GET /v1/namespaces``."""
        return self._send(self._calls.list_namespaces())

    def create_namespace(self, name: str, *, dimension: int | None = None, metric: Metric | None = None,
                         parameters: HNSWParameters | None = None, lexical: LexicalOptions | None = None,
                         search: SearchDefaults | None = None, learning: LearningPolicy | None = None) -> Namespace:
        """``PUT /v1/namespaces/{name}``: creates it, or returns it when it exists with the same
        settings (`Conflict` when they differ; an absent setting means its default)."""
        return self._send(self._calls.create_namespace(name, dimension=dimension, metric=metric,
                                                       parameters=parameters, lexical=lexical, search=search,
                                                       learning=learning))

    def get_namespace(self, name: str) -> Namespace:
        """``GET /v1/namespaces/{name}`` (`NamespaceNotFound` when absent)."""
        return self._send(self._calls.get_namespace(name))

    def delete_namespace(self, name: str, *, confirm: bool, reason: str | None = None) -> NamespaceDeleted:
        """``DELETE /v1/namespaces/{name}`` with every entry in it. The daemon refuses
        (`BadRequest`) unless `confirm` is True."""
        return self._send(self._calls.delete_namespace(name, confirm=confirm, reason=reason))

    # ---- entries -----------------------------------------------------------------------

    def remember(self, namespace: str, text: str, *, vector: VectorLike | None = None, reason: str | None = None,
                 **fields: Unpack[MemoryFields]) -> WriteOutcome:
        """``POST /v1/namespaces/{ns}/memories``: stores a new entry, searchable at once. Without
        `vector` the daemon embeds `text`; a vector (list of floats or numpy array) travels as
        ``vector_b64``. `fields`: tags, metadata, source, confidence, pinned, expires_at,
        occurred_at, valid_from, valid_to, thread, position."""
        return self._send(self._calls.remember(namespace, text, vector, reason, fields))

    def remember_batch(self, namespace: str, items: Iterable[MemoryDraft | str], *,
                       dedupe: BatchDedupe | None = None, reason: str | None = None) -> BatchResult:
        """``POST /v1/namespaces/{ns}/memories/batch``: stores many memories in one request (a
        bulk load; the daemon embeds the texts together). `items`: texts, or `MemoryDraft`
        dicts (text, optional vector sent as ``vector_b64``, remember's other fields); at most
        1000 per call (more: `PayloadTooLarge`; split a larger load into several calls).
        `dedupe`: ``none`` (default: every valid item a new entry, all in one transaction) or
        ``learn`` (each item through `learn`'s rules in order, so a repeat reinforces the first
        copy). `reason` and the client's actor go into every item's audit event.

        A bad item does not fail the call: its result (``results[i]`` for item i) has status
        ``failed`` and an `error` with the daemon's code, and the other items are stored.
        Raises for the whole request only (e.g. `NamespaceNotFound`, `PayloadTooLarge`)."""
        return self._send(self._calls.remember_batch(namespace, items, dedupe=dedupe, reason=reason))

    def learn(self, namespace: str, text: str, *, vector: VectorLike | None = None, reason: str | None = None,
              **fields: Unpack[MemoryFields]) -> LearnOutcome:
        """``POST /v1/namespaces/{ns}/learn``: stores the fact, reinforces a near-duplicate,
        holds back a possible contradiction for review or refuses a rejected claim
        (`LearnOutcome.action` says which)."""
        return self._send(self._calls.learn(namespace, text, vector, reason, fields))

    def get(self, namespace: str, entry_id: int) -> MemoryEntry:
        """``GET /v1/namespaces/{ns}/memories/{id}`` (`NotFound` when absent or forgotten)."""
        return self._send(self._calls.get(namespace, entry_id))

    def edit(self, namespace: str, entry_id: int, *, vector: VectorLike | None = None, reason: str | None = None,
             **fields: Unpack[EditFields]) -> WriteOutcome:
        """``PATCH /v1/namespaces/{ns}/memories/{id}``: changes the given fields (text, tags,
        metadata, source, confidence, pinned, expires_at/clear_expiry, occurred_at,
        valid_from/valid_to/clear_validity, thread, position); a new text without `vector` is
        re-embedded, and a `vector` must come with a new text (it travels as a JSON array: the
        route takes no ``vector_b64``). A person's text edit keeps the old text as a rejected
        claim."""
        return self._send(self._calls.edit(namespace, entry_id, vector, reason, fields))

    update = edit

    def forget(self, namespace: str, entry_id: int, *, hard: bool = False, reason: str | None = None) -> WriteOutcome:
        """``DELETE /v1/namespaces/{ns}/memories/{id}``: a soft delete (`restore` brings it
        back), or with `hard` one that also scrubs its content from the audit log and cannot be
        undone. The outcome carries the entry as it was."""
        return self._send(self._calls.forget(namespace, entry_id, hard=hard, reason=reason))

    def revert(self, namespace: str, entry_id: int, version: int, *, vector: VectorLike | None = None,
               reason: str | None = None) -> WriteOutcome:
        """``POST /v1/namespaces/{ns}/memories/{id}/revert``: restores `version`'s content as a
        new version; also brings back a forgotten entry (`Conflict` for a hard-deleted one)."""
        return self._send(self._calls.revert(namespace, entry_id, version, vector=vector, reason=reason))

    def restore(self, namespace: str, entry_id: int, *, version: int | None = None,
                reason: str | None = None) -> WriteOutcome:
        """Brings back a forgotten (soft-deleted) entry with the content of `version`, by
        default the last version its history shows (a revert)."""
        if version is None:
            version = latest_version(self.iter_history(namespace, entry_id))
            if version is None:
                raise NotFound(f"no history of entry {entry_id} in namespace {namespace!r}", code="not_found")
        return self.revert(namespace, entry_id, version, reason=reason)

    def feedback(self, namespace: str, entry_id: int, signal: FeedbackSignal, *,
                 reason: str | None = None) -> WriteOutcome:
        """``POST /v1/namespaces/{ns}/memories/{id}/feedback``: ``useful``, ``not_useful`` or
        ``contradicted``; the entry's confidence follows."""
        return self._send(self._calls.feedback(namespace, entry_id, signal, reason=reason))

    def history(self, namespace: str, entry_id: int, *, after: int | None = None,
                limit: int | None = None) -> AuditPage:
        """``GET /v1/namespaces/{ns}/memories/{id}/history``: one page of the entry's events."""
        return self._send(self._calls.history(namespace, entry_id, after=after, limit=limit))

    def iter_history(self, namespace: str, entry_id: int, *, page_size: int = 100) -> Iterator[AuditEvent]:
        """Every audit event of the entry, oldest first, page after page."""
        cursor: int | None = None
        while True:
            page = self.history(namespace, entry_id, after=cursor, limit=page_size)
            yield from page.events
            cursor = check_cursor(cursor, page.next_cursor)
            if cursor is None:
                return

    def rejected_claims(self, namespace: str, entry_id: int) -> list[RejectedClaim]:
        """``GET /v1/namespaces/{ns}/memories/{id}/claims``: the claims the entry holds, oldest
        first."""
        return self._send(self._calls.rejected_claims(namespace, entry_id))

    def list_memories(self, namespace: str, *, after: int | None = None, limit: int | None = None,
                      **filters: Unpack[ListFilters]) -> EntryPage:
        """``GET /v1/namespaces/{ns}/memories``: one page; pass `next_cursor` as `after`.
        `filters`: tags (any of them), source, status (default ``any``: pending facts are
        listed, marked), conflicting, min_confidence, max_confidence, sort (``id``, ``updated``,
        ``confidence``, ``use``; other than id, most first and the cursor is a position)."""
        return self._send(self._calls.list_memories(namespace, after=after, limit=limit, filters=filters))

    def iter_memories(self, namespace: str, *, page_size: int = 100, after: int | None = None,
                      **filters: Unpack[ListFilters]) -> Iterator[MemoryEntry]:
        """Every entry `list_memories` selects, page after page (following `next_cursor`)."""
        cursor = after
        while True:
            page = self.list_memories(namespace, after=cursor, limit=page_size, **filters)
            yield from page.entries
            cursor = check_cursor(cursor, page.next_cursor)
            if cursor is None:
                return

    # ---- search ------------------------------------------------------------------------

    def search(self, namespace: str, text: str | None = None, *, vector: VectorLike | None = None,
               k: int | None = None, ef: int | None = None, filter: SearchFilter | None = None,
               rank: RankOptions | None = None, mode: SearchMode | None = None,
               fusion: FusionOptions | None = None, context: int | None = None) -> list[SearchHit]:
        """``POST /v1/namespaces/{ns}/search``: the best `k` entries for `text` (in `mode`, by
        default the namespace's: hybrid) or for `vector` (always a vector search; sent as
        ``vector_b64``). `filter` narrows, `rank` blends in confidence and recency, `fusion`
        overrides the hybrid fusion, `context` (0-20) adds each hit's thread neighbours."""
        return self._send(self._calls.search(namespace, text, vector=vector, k=k, ef=ef, filter=filter, rank=rank,
                                             mode=mode, fusion=fusion, context=context))

    # ---- review ------------------------------------------------------------------------

    def review(self, namespace: str, *, after: int | None = None, limit: int | None = None) -> ReviewPage:
        """``GET /v1/namespaces/{ns}/review``: one page of facts under review (pending or
        conflicting), each with the live entries it may contradict."""
        return self._send(self._calls.review(namespace, after=after, limit=limit))

    def iter_review(self, namespace: str, *, page_size: int = 100) -> Iterator[ReviewItem]:
        """Every fact under review, in id order, page after page."""
        cursor: int | None = None
        while True:
            page = self.review(namespace, after=cursor, limit=page_size)
            yield from page.items
            cursor = check_cursor(cursor, page.next_cursor)
            if cursor is None:
                return

    def accept(self, namespace: str, entry_id: int, *, reason: str | None = None) -> WriteOutcome:
        """``POST /v1/namespaces/{ns}/review/{id}/accept``: the fact becomes live, a person's
        word (`BadRequest` ``invalid_argument`` when it is not under review)."""
        return self._send(self._calls.decide(namespace, entry_id, "accept", reason))

    def reject(self, namespace: str, entry_id: int, *, reason: str | None = None) -> WriteOutcome:
        """``POST /v1/namespaces/{ns}/review/{id}/reject``: the fact is removed and its text
        becomes a rejected claim, which `learn` refuses from then on."""
        return self._send(self._calls.decide(namespace, entry_id, "reject", reason))

    # ---- audit -------------------------------------------------------------------------

    def audit(self, *, after: int | None = None, limit: int | None = None,
              **filters: Unpack[AuditFilters]) -> AuditPage:
        """``GET /v1/audit``: one page of the audit log (events with ``after < sequence``).
        `filters`: through, namespace, actor, kinds, entry, since, until. A filtered page may
        hold fewer events than `limit`, even none, and still go on (`next_cursor`)."""
        return self._send(self._calls.audit(after=after, limit=limit, filters=filters))

    def iter_audit(self, *, after: int | None = None, page_size: int = 100,
                   **filters: Unpack[AuditFilters]) -> Iterator[AuditEvent]:
        """Every audit event after `after` that the filters keep, page after page."""
        cursor = after
        while True:
            page = self.audit(after=cursor, limit=page_size, **filters)
            yield from page.events
            cursor = check_cursor(cursor, page.next_cursor)
            if cursor is None:
                return

    # ---- embeddings, export, import ----------------------------------------------------

    def embed(self, texts: Sequence[str] | str) -> Embeddings:
        """``POST /v1/embed``: the daemon's model's vectors of 1-2048 texts, in order
        (`Embeddings.array()` for a numpy array)."""
        return self._send(self._calls.embed(texts))

    def export(self, namespace: str, *, after: int | None = None, limit: int | None = None) -> ExportPage:
        """``GET /v1/namespaces/{ns}/export``: one page of entries with every field and
        ``vector_b64``, in id order."""
        return self._send(self._calls.export(namespace, after=after, limit=limit))

    def iter_export(self, namespace: str, *, page_size: int = 100) -> Iterator[ExportPage]:
        """Every export page (the last one carries `orphaned_claims`)."""
        cursor: int | None = None
        while True:
            page = self.export(namespace, after=cursor, limit=page_size)
            yield page
            cursor = check_cursor(cursor, page.next_cursor)
            if cursor is None:
                return

    def import_entries(self, namespace: str, entries: Sequence[Mapping[str, Any]], *,
                       claims: Sequence[Mapping[str, Any]] | None = None) -> ImportResult:
        """``POST /v1/admin/import``: exported entries stored under their ids (re-importing is
        idempotent: ``unchanged``); `claims`: an export's orphaned claims."""
        return self._send(self._calls.import_entries(namespace, entries, claims))

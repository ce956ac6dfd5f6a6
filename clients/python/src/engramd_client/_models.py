"""The API's documents as Python types: TypedDicts for what a caller sends (settings, filters,
options; plain dicts type-check against them), frozen dataclasses for what comes back (dates
parsed as aware UTC datetimes). Specified in openapi/engram.json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Union

from . import _wire as w
from ._errors import InvalidResponse
from ._vectors import VectorLike, vectors_as_array

if TYPE_CHECKING:
    from ._vectors import FloatArray

SearchMode = Literal["vector", "lexical", "hybrid"]
FusionMethod = Literal["blend", "rrf"]
Metric = Literal["cosine", "l2"]
Status = Literal["active", "pending", "any"]
ListSort = Literal["id", "updated", "confidence", "use"]
FeedbackSignal = Literal["useful", "not_useful", "contradicted"]
LearnAction = Literal["created", "reinforced", "matched_pinned", "rejected", "pending", "conflicting"]
AuditKind = Literal[
    "created", "updated", "reinforced", "feedback", "deleted", "reverted",
    "expired", "restored", "accepted", "rejected", "refused",
]
ClaimCause = Literal["corrected", "forgotten", "contradicted", "reviewed"]
#: How `remember_batch` treats its items: ``none`` (each a new entry) or ``learn`` (learn's rules).
BatchDedupe = Literal["none", "learn"]
#: What became of one item of `remember_batch`: ``created`` or ``failed``; with ``dedupe="learn"``,
#: learn's action.
BatchStatus = Literal["created", "failed", "reinforced", "matched_pinned", "rejected", "pending", "conflicting"]
#: A date-time to send: an aware `datetime` (a naive one is taken as UTC) or an ISO 8601 string.
DateLike = Union[datetime, str]


# ---- What a caller sends -----------------------------------------------------------------


class HNSWParameters(TypedDict, total=False):
    """A namespace's HNSW graph parameters (each defaults to the daemon's)."""

    m: int
    ef_construction: int
    ef_search: int
    flat_threshold: int
    consolidation_fraction: float
    seed: int


class LexicalOptions(TypedDict, total=False):
    """A namespace's lexical (BM25) index; fixed at creation."""

    stemming: Literal["none", "english"]
    stop_words: Literal["none", "english"]
    k1: float
    b: float


class SearchDefaults(TypedDict, total=False):
    """A namespace's defaults for text searches."""

    mode: SearchMode
    fusion: FusionMethod
    vector_weight: float
    lexical_weight: float
    rrf_k: float
    candidates: int


class LearningPolicy(TypedDict, total=False):
    """What `learn` does in a namespace; an absent member takes the daemon's ``[engine]`` value."""

    conflict_policy: Literal["pending", "link", "store"]
    reinforce_similarity: float
    conflict_similarity: float
    rejected_similarity: float


class FusionOptions(TypedDict, total=False):
    """One search's overrides of the namespace's fusion settings."""

    method: FusionMethod
    vector_weight: float
    lexical_weight: float
    rrf_k: float
    candidates: int


# `from` is a keyword, hence the functional form.
TimeRange = TypedDict("TimeRange", {"from": DateLike, "to": DateLike}, total=False)


class SearchFilter(TypedDict, total=False):
    """A search's filter; every member optional."""

    tags_any: Sequence[str]
    tags_all: Sequence[str]
    source: Sequence[str]
    min_confidence: float
    max_confidence: float
    created: TimeRange
    updated: TimeRange
    occurred: TimeRange
    metadata: Mapping[str, Any]
    pinned: bool
    valid_at: DateLike
    thread: str
    status: Status
    conflicting: bool


class RankOptions(TypedDict, total=False):
    """Ranking weights (absent ones take the daemon's ``[engine.ranking]``)."""

    similarity: float
    confidence: float
    recency: float
    recency_half_life: float


class MemoryFields(TypedDict, total=False):
    """Optional fields of `remember` and `learn`."""

    tags: Sequence[str]
    metadata: Mapping[str, Any]
    source: str
    confidence: float
    pinned: bool
    expires_at: DateLike
    occurred_at: DateLike
    valid_from: DateLike
    valid_to: DateLike
    thread: str
    position: int


class _DraftText(TypedDict):
    text: str


class MemoryDraft(_DraftText, MemoryFields, total=False):
    """One item of `remember_batch`: `text` (required), an optional `vector` (a list of floats
    or a numpy array; sent as ``vector_b64``) and remember's optional fields. A plain dict
    type-checks against it, and ``MemoryDraft(text=..., tags=[...])`` builds one."""

    vector: VectorLike


class EditFields(MemoryFields, total=False):
    """The fields `edit` may change (absent ones stay as they are)."""

    text: str
    clear_expiry: bool
    clear_validity: bool


# ---- What comes back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    support: int
    contradictions: int
    useful: int
    not_useful: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(w.member(d, "support", int), w.member(d, "contradictions", int),
                   w.member(d, "useful", int), w.member(d, "not_useful", int))


@dataclass(frozen=True)
class MemoryEntry:
    """One memory. `pending`, `learned` and `conflicts_with` are the review state (False/empty
    when not set)."""

    id: int
    namespace: str
    text: str
    tags: list[str]
    metadata: dict[str, Any]
    source: str
    confidence: float
    evidence: Evidence
    pinned: bool
    created_at: datetime
    updated_at: datetime
    occurred_at: datetime
    use_count: int
    version: int
    slot: int | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    thread: str | None = None
    position: int | None = None
    pending: bool = False
    learned: bool = False
    conflicts_with: list[int] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MemoryEntry:
        return cls(
            id=w.member(d, "id", int), namespace=w.member(d, "namespace", str), text=w.member(d, "text", str),
            tags=list(w.member(d, "tags", list)), metadata=dict(w.member(d, "metadata", dict)),
            source=w.member(d, "source", str), confidence=w.number(d, "confidence"),
            evidence=Evidence.from_json(w.member(d, "evidence", dict)), pinned=w.member(d, "pinned", bool),
            created_at=w.date(d, "created_at"), updated_at=w.date(d, "updated_at"),
            occurred_at=w.date(d, "occurred_at"), use_count=w.member(d, "use_count", int),
            version=w.member(d, "version", int), slot=w.optional(d, "slot", int),
            last_used_at=w.optional_date(d, "last_used_at"), expires_at=w.optional_date(d, "expires_at"),
            valid_from=w.optional_date(d, "valid_from"), valid_to=w.optional_date(d, "valid_to"),
            thread=w.optional(d, "thread", str), position=w.optional(d, "position", int),
            pending=bool(w.optional(d, "pending", bool)), learned=bool(w.optional(d, "learned", bool)),
            conflicts_with=list(w.optional(d, "conflicts_with", list) or []),
        )


def _entry(d: Mapping[str, Any], name: str) -> MemoryEntry:
    return MemoryEntry.from_json(w.member(d, name, dict))


def _optional_entry(d: Mapping[str, Any], name: str) -> MemoryEntry | None:
    value = w.optional(d, name, dict)
    return None if value is None else MemoryEntry.from_json(value)


def _entries(d: Mapping[str, Any], name: str) -> list[MemoryEntry]:
    return [MemoryEntry.from_json(item) for item in w.objects(d, name)]


@dataclass(frozen=True)
class WriteOutcome:
    """The answer to a write: the entry (for a forget or a review rejection, as it was) and the
    audit `sequence` of the event it recorded."""

    entry: MemoryEntry
    sequence: int
    namespace_created: bool = False

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> WriteOutcome:
        return cls(_entry(d, "entry"), w.member(d, "sequence", int),
                   bool(w.optional(d, "namespace_created", bool)))


@dataclass(frozen=True)
class BatchItemError:
    """Why an item of a batch was not stored: the code and message the single `remember`
    would have raised with (e.g. ``invalid_argument``, ``invalid_field``,
    ``dimension_mismatch``)."""

    code: str
    message: str

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> BatchItemError:
        return cls(w.member(d, "code", str), w.member(d, "message", str))


@dataclass(frozen=True)
class BatchItemResult:
    """What became of the item at `index`: `status` ``created`` or ``failed`` (then `error`
    says why); with ``dedupe="learn"``, learn's action. `id`: the entry created, reinforced or
    matched (for ``rejected``, the entry holding the correction, when live); `sequence`: the
    item's audit sequence (None when nothing was written); `similarity`: with
    ``dedupe="learn"``, as in `LearnOutcome`."""

    index: int
    status: BatchStatus
    id: int | None = None
    sequence: int | None = None
    similarity: float | None = None
    error: BatchItemError | None = None

    @property
    def ok(self) -> bool:
        """Not ``failed`` (a ``rejected`` or ``matched_pinned`` item is ok, yet wrote nothing)."""
        return self.status != "failed"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> BatchItemResult:
        error = w.optional(d, "error", dict)
        return cls(w.member(d, "index", int), w.member(d, "status", str), w.optional(d, "id", int),
                   w.optional(d, "sequence", int), w.optional_number(d, "similarity"),
                   None if error is None else BatchItemError.from_json(error))


@dataclass(frozen=True)
class BatchResult:
    """The answer to `remember_batch`: one result per item, in the items' order (``results[i]``
    is item i's); `created`: new entries (with ``dedupe="learn"``, pending and conflicting
    ones too); `failed`: items not stored; `last_sequence`: the highest audit sequence written
    (None when nothing was); `namespace_created`: the batch created the namespace."""

    results: list[BatchItemResult]
    created: int
    failed: int
    last_sequence: int | None = None
    namespace_created: bool = False

    @property
    def ok(self) -> bool:
        """Whether no item failed."""
        return self.failed == 0

    @property
    def failures(self) -> list[BatchItemResult]:
        """The failed items' results (each with its `index` and `error`)."""
        return [result for result in self.results if not result.ok]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> BatchResult:
        results = [BatchItemResult.from_json(item) for item in w.objects(d, "results")]
        for position, result in enumerate(results):
            if result.index != position:
                raise InvalidResponse(f"results[{position}] has index {result.index}", code="invalid_response")
        return cls(results, w.member(d, "created", int), w.member(d, "failed", int),
                   w.optional(d, "last_sequence", int), bool(w.optional(d, "namespace_created", bool)))


@dataclass(frozen=True)
class RejectedClaim:
    """A text a person turned away; `learn` refuses it from then on."""

    entry_id: int
    sequence: int
    text: str
    cause: ClaimCause
    from_entry: int
    actor: str
    rejected_at: datetime
    reason: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RejectedClaim:
        return cls(w.member(d, "entry_id", int), w.member(d, "sequence", int), w.member(d, "text", str),
                   w.member(d, "cause", str), w.member(d, "from_entry", int), w.member(d, "actor", str),
                   w.date(d, "rejected_at"), w.optional(d, "reason", str))


@dataclass(frozen=True)
class LearnOutcome:
    """What `learn` did (`action`). `entry` is the created, reinforced or matched entry (for
    ``rejected``, the entry holding the claim, when live); `sequence` is None for
    ``matched_pinned``; `rejected_by` is set for ``rejected`` only."""

    action: LearnAction
    entry: MemoryEntry | None = None
    sequence: int | None = None
    similarity: float | None = None
    namespace_created: bool = False
    rejected_by: RejectedClaim | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LearnOutcome:
        claim = w.optional(d, "rejected_by", dict)
        return cls(w.member(d, "action", str), _optional_entry(d, "entry"), w.optional(d, "sequence", int),
                   w.optional_number(d, "similarity"), bool(w.optional(d, "namespace_created", bool)),
                   None if claim is None else RejectedClaim.from_json(claim))


@dataclass(frozen=True)
class ScoreComponents:
    """The scores a search computed for a hit, where its mode computed them."""

    vector: float | None = None
    lexical: float | None = None
    fused: float | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ScoreComponents:
        return cls(w.optional_number(d, "vector"), w.optional_number(d, "lexical"), w.optional_number(d, "fused"))


@dataclass(frozen=True)
class HitContext:
    """A hit's neighbours in its thread, nearest first."""

    before: list[MemoryEntry]
    after: list[MemoryEntry]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> HitContext:
        return cls(_entries(d, "before"), _entries(d, "after"))


@dataclass(frozen=True)
class SearchHit:
    """A search result. `score` orders the hits; lexical hits have no `distance` or
    `similarity`; `context` is set when the search asked for it."""

    entry: MemoryEntry
    score: float
    distance: float | None = None
    similarity: float | None = None
    components: ScoreComponents = field(default_factory=ScoreComponents)
    context: HitContext | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SearchHit:
        components = w.optional(d, "components", dict)
        context = w.optional(d, "context", dict)
        return cls(_entry(d, "entry"), w.number(d, "score"), w.optional_number(d, "distance"),
                   w.optional_number(d, "similarity"),
                   ScoreComponents() if components is None else ScoreComponents.from_json(components),
                   None if context is None else HitContext.from_json(context))


@dataclass(frozen=True)
class DamagedRecord:
    """A record the daemon could not read (run ``engram verify``)."""

    problem: str
    id: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DamagedRecord:
        return cls(w.member(d, "problem", str), w.optional(d, "id", int))


def _damaged(d: Mapping[str, Any]) -> list[DamagedRecord]:
    return [DamagedRecord.from_json(item) for item in w.objects(d, "damaged", required=False)]


@dataclass(frozen=True)
class EntryPage:
    """A page of `list_memories`; `next_cursor` (None on the last page) is the next `after`."""

    entries: list[MemoryEntry]
    next_cursor: int | None = None
    damaged: list[DamagedRecord] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> EntryPage:
        return cls(_entries(d, "entries"), w.optional(d, "next_cursor", int), _damaged(d))


@dataclass(frozen=True)
class AuditEvent:
    """One audit event. `before`/`after` are the entry around the change (where it has them);
    `claim` is the text the event turned away; `scrubbed` when a hard delete removed its
    content."""

    sequence: int
    kind: AuditKind
    time: datetime
    actor: str
    namespace: str
    entry_id: int
    before: MemoryEntry | None = None
    after: MemoryEntry | None = None
    reason: str | None = None
    claim: str | None = None
    scrubbed: bool = False

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AuditEvent:
        return cls(w.member(d, "sequence", int), w.member(d, "kind", str), w.date(d, "time"),
                   w.member(d, "actor", str), w.member(d, "namespace", str), w.member(d, "entry_id", int),
                   _optional_entry(d, "before"), _optional_entry(d, "after"), w.optional(d, "reason", str),
                   w.optional(d, "claim", str), bool(w.optional(d, "scrubbed", bool)))


@dataclass(frozen=True)
class AuditPage:
    """A page of audit events (of `audit` or `history`); `next_cursor` (None at the end) is
    the next `after`. A filtered page may hold fewer events than asked for, even none, and
    still have a `next_cursor`."""

    events: list[AuditEvent]
    next_cursor: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AuditPage:
        return cls([AuditEvent.from_json(e) for e in w.objects(d, "events")], w.optional(d, "next_cursor", int))


@dataclass(frozen=True)
class ReviewItem:
    """A fact under review and the live entries it may contradict."""

    entry: MemoryEntry
    conflicts: list[MemoryEntry]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ReviewItem:
        return cls(_entry(d, "entry"), _entries(d, "conflicts"))


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewItem]
    next_cursor: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ReviewPage:
        return cls([ReviewItem.from_json(i) for i in w.objects(d, "items")], w.optional(d, "next_cursor", int))


@dataclass(frozen=True)
class Namespace:
    """A namespace's settings (fixed at creation) and live figures."""

    name: str
    dimension: int
    metric: Metric
    parameters: HNSWParameters
    created_at: datetime
    entry_count: int
    deleted_nodes: int
    free_slots: int
    max_level: int
    index_bytes: int
    lexical: LexicalOptions
    search: SearchDefaults
    learning: LearningPolicy
    lexical_terms: int
    lexical_bytes: int
    embedder_id: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Namespace:
        return cls(
            name=w.member(d, "name", str), dimension=w.member(d, "dimension", int),
            metric=w.member(d, "metric", str), parameters=w.member(d, "parameters", dict),
            created_at=w.date(d, "created_at"), entry_count=w.member(d, "entry_count", int),
            deleted_nodes=w.member(d, "deleted_nodes", int), free_slots=w.member(d, "free_slots", int),
            max_level=w.member(d, "max_level", int), index_bytes=w.member(d, "index_bytes", int),
            lexical=w.member(d, "lexical", dict), search=w.member(d, "search", dict),
            learning=w.member(d, "learning", dict), lexical_terms=w.member(d, "lexical_terms", int),
            lexical_bytes=w.member(d, "lexical_bytes", int), embedder_id=w.optional(d, "embedder_id", str),
        )


@dataclass(frozen=True)
class NamespaceDeleted:
    """`deleted` names the namespace; `sequence` is None when it held no entries."""

    deleted: str
    sequence: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> NamespaceDeleted:
        return cls(w.member(d, "deleted", str), w.optional(d, "sequence", int))


@dataclass(frozen=True)
class Health:
    status: str
    version: str
    uptime_seconds: float
    pid: int
    details: dict[str, str]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Health:
        return cls(w.member(d, "status", str), w.member(d, "version", str), w.number(d, "uptime_seconds"),
                   w.member(d, "pid", int), dict(w.member(d, "details", dict)))


@dataclass(frozen=True)
class Embeddings:
    """The daemon model's vectors of some texts, in order (lists of floats; `array()` gives a
    numpy float32 array of shape (texts, dimension))."""

    model: str
    dimension: int
    vectors: list[list[float]]
    tokens: int | None = None

    def array(self) -> FloatArray:
        """The vectors as a numpy float32 array (needs numpy)."""
        return vectors_as_array(self.vectors)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Embeddings:
        vectors = [[float(x) for x in row] for row in w.member(d, "vectors", list)]
        return cls(w.member(d, "model", str), w.member(d, "dimension", int), vectors, w.optional(d, "tokens", int))


@dataclass(frozen=True)
class ExportPage:
    """A page of `export`: each entry a JSON document with every field and its `vector_b64`
    (decode it with `decode_vector`), to hand back unchanged to `import_entries`.
    `orphaned_claims` (last page only) go to `import_entries(claims=...)`."""

    entries: list[dict[str, Any]]
    next_cursor: int | None = None
    orphaned_claims: list[dict[str, Any]] = field(default_factory=list)
    damaged: list[DamagedRecord] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ExportPage:
        return cls(w.objects(d, "entries"), w.optional(d, "next_cursor", int),
                   w.objects(d, "orphaned_claims", required=False), _damaged(d))


@dataclass(frozen=True)
class ImportedEntry:
    id: int
    status: Literal["created", "unchanged", "conflict", "invalid"]
    message: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """One result per imported entry, in order; `sequence` of the last created event (None
    when nothing was created); `claims`: orphaned claims stored (when some were sent)."""

    results: list[ImportedEntry]
    sequence: int | None = None
    claims: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ImportResult:
        results = [ImportedEntry(w.member(r, "id", int), w.member(r, "status", str), w.optional(r, "message", str))
                   for r in w.objects(d, "results")]
        return cls(results, w.optional(d, "sequence", int), w.optional(d, "claims", int))

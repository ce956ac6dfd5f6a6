"""A Python client of engramd, Engram's memory daemon (HTTP/JSON over a Unix socket).

    from engramd_client import Client

    with Client() as engram:              # socket: $ENGRAM_SOCKET, else ./run/engram.sock
        engram.remember("support", "Refunds are processed within 5 business days")
        for hit in engram.search("support", "how long does a refund take?", k=3):
            print(hit.score, hit.entry.text)

`AsyncClient` has the same calls as coroutines. Failures raise `EngramError` subclasses.
"""

from ._api import AuditFilters, ListFilters
from ._async_client import AsyncClient
from ._client import Client
from ._errors import (
    BadRequest,
    Conflict,
    EngramError,
    InvalidResponse,
    NamespaceNotFound,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RequestTimeout,
    ServerError,
    Unavailable,
)
from ._models import (
    AuditEvent,
    AuditKind,
    AuditPage,
    BatchDedupe,
    BatchItemError,
    BatchItemResult,
    BatchResult,
    BatchStatus,
    ClaimCause,
    DamagedRecord,
    DateLike,
    EditFields,
    Embeddings,
    EntryPage,
    Evidence,
    ExportPage,
    FeedbackSignal,
    FusionMethod,
    FusionOptions,
    Health,
    HitContext,
    HNSWParameters,
    ImportedEntry,
    ImportResult,
    LearnAction,
    LearningPolicy,
    LearnOutcome,
    LexicalOptions,
    ListSort,
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
    ScoreComponents,
    SearchDefaults,
    SearchFilter,
    SearchHit,
    SearchMode,
    Status,
    TimeRange,
    WriteOutcome,
)
from ._transport import VERSION as __version__
from ._vectors import VectorLike, decode_vector, encode_vector

__all__ = [
    "AsyncClient", "AuditEvent", "AuditFilters", "AuditKind", "AuditPage", "BadRequest", "BatchDedupe",
    "BatchItemError", "BatchItemResult", "BatchResult", "BatchStatus", "ClaimCause", "Client",
    "Conflict", "DamagedRecord", "DateLike", "EditFields", "Embeddings", "EngramError", "EntryPage", "Evidence",
    "ExportPage", "FeedbackSignal", "FusionMethod", "FusionOptions", "HNSWParameters", "Health", "HitContext",
    "ImportResult", "ImportedEntry", "InvalidResponse", "LearnAction", "LearnOutcome", "LearningPolicy",
    "LexicalOptions", "ListFilters", "ListSort", "MemoryDraft", "MemoryEntry", "MemoryFields", "Metric", "Namespace",
    "NamespaceDeleted", "NamespaceNotFound", "NotFound", "PayloadTooLarge", "PermissionDenied", "RankOptions",
    "RejectedClaim", "RequestTimeout", "ReviewItem", "ReviewPage", "ScoreComponents", "SearchDefaults",
    "SearchFilter", "SearchHit", "SearchMode", "ServerError", "Status", "TimeRange", "Unavailable", "VectorLike",
    "WriteOutcome", "__version__", "decode_vector", "encode_vector",
]

import Embeddings
import HNSW
import LMDB
import MemoryStore

/// Every error the engine throws. Each has a stable machine-readable `code` (the server maps
/// it to an HTTP status and puts it in `{"error": {"code": …}}`) and a human `message`.
///
/// Store, LMDB, HNSW and embedder errors are translated into these by
/// ``EngineError/init(_:)``, so callers never need to know the layers below.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field is missing, malformed or out of range (empty text, k out of range, bad tag…).
    case invalidArgument(String)
    /// No such entry (or version) in the namespace; expired entries count as absent.
    case notFound(String)
    /// The namespace does not exist (and the operation does not create namespaces).
    case namespaceNotFound(String)
    /// The vector's length is not the namespace's dimension.
    case dimensionMismatch(String)
    /// The request contradicts the stored state (namespace exists with another configuration,
    /// text search in a namespace built by another embedder…).
    case conflict(String)
    /// Text over 32 KiB or metadata over 16 KiB (or a write too large for one transaction).
    case payloadTooLarge(String)
    /// The store cannot grow (map size limit or disk full); nothing was written.
    case storageFull(String)
    /// The embedder failed on this text.
    case embeddingFailed(String)
    /// The store is unusable (opened elsewhere, newer schema, not a store).
    case unavailable(String)
    /// A damaged record or an unexpected failure below the engine; nothing was changed.
    case internalError(String)
    /// A long operation (an index rebuild) was cancelled by its caller; nothing of it was kept.
    case cancelled(String)

    /// The stable code: one of `invalid_argument`, `not_found`, `namespace_not_found`,
    /// `dimension_mismatch`, `conflict`, `payload_too_large`, `storage_full`,
    /// `embedding_failed`, `unavailable`, `internal`, `cancelled`.
    public var code: String {
        switch self {
        case .invalidArgument: "invalid_argument"
        case .notFound: "not_found"
        case .namespaceNotFound: "namespace_not_found"
        case .dimensionMismatch: "dimension_mismatch"
        case .conflict: "conflict"
        case .payloadTooLarge: "payload_too_large"
        case .storageFull: "storage_full"
        case .embeddingFailed: "embedding_failed"
        case .unavailable: "unavailable"
        case .internalError: "internal"
        case .cancelled: "cancelled"
        }
    }

    /// A message fit for an API response.
    public var message: String {
        switch self {
        case .invalidArgument(let m), .notFound(let m), .namespaceNotFound(let m), .dimensionMismatch(let m),
             .conflict(let m), .payloadTooLarge(let m), .storageFull(let m), .embeddingFailed(let m),
             .unavailable(let m), .internalError(let m), .cancelled(let m):
            m
        }
    }

    public var description: String { "\(code): \(message)" }

    /// Translates any error from the layers below (an `EngineError` passes through).
    public init(_ error: any Error) {
        switch error {
        case let error as EngineError:
            self = error
        case let error as MemoryStoreError:
            self = Self.translate(error)
        case let error as LMDBError:
            self = Self.translate(error)
        case let error as HNSWError:
            switch error {
            case .dimensionMismatch: self = .dimensionMismatch(error.description)
            case .keyNotFound, .duplicateKey, .vectorSourceUnavailable: self = .internalError(error.description)
            case .capacityExceeded: self = .storageFull(error.description)
            default: self = .invalidArgument(error.description)
            }
        case let error as EmbeddingError:
            if case .invalidInput = error { self = .invalidArgument(error.description) } else {
                self = .embeddingFailed(error.description)
            }
        default:
            self = .internalError(String(describing: error))
        }
    }

    static func translate(_ error: MemoryStoreError) -> EngineError {
        switch error {
        case .invalidNamespaceName: .invalidArgument(error.description)
        case .namespaceNotFound: .namespaceNotFound(error.description)
        case .namespaceConflict: .conflict(error.description)
        case .entryNotFound: .notFound(error.description)
        case .invalidVector(let detail):
            detail.contains("dimension") ? .dimensionMismatch(error.description) : .invalidArgument(error.description)
        case .invalidArgument(let detail):
            detail.contains("more than") ? .payloadTooLarge(detail) : .invalidArgument(detail)
        case .corrupt: .internalError(error.description)
        case .cancelled: .cancelled(error.description)
        case .exhausted: .storageFull(error.description)
        case .newerSchema, .notAMemoryStore, .locked: .unavailable(error.description)
        }
    }

    static func translate(_ error: LMDBError) -> EngineError {
        if error == .mapFull || error == .noSpace {
            return .storageFull("the store is full: \(error.description)")
        }
        if error == .transactionFull {
            return .payloadTooLarge("the write is too large for one transaction: \(error.description)")
        }
        return .internalError(error.description)
    }
}

extension EngineError {
    /// The error with `place` ("item 3") prefixed to its message, for batch requests.
    func locating(_ place: String) -> EngineError {
        switch self {
        case .invalidArgument(let m): .invalidArgument("\(place): \(m)")
        case .dimensionMismatch(let m): .dimensionMismatch("\(place): \(m)")
        case .payloadTooLarge(let m): .payloadTooLarge("\(place): \(m)")
        case .embeddingFailed(let m): .embeddingFailed("\(place): \(m)")
        default: self
        }
    }
}

/// Runs `body`, translating whatever it throws into an ``EngineError``.
@inline(__always)
func translatingErrors<R>(_ body: () throws -> R) throws(EngineError) -> R {
    do {
        return try body()
    } catch {
        throw EngineError(error)
    }
}

/// Domain errors of the store. Storage failures (disk full, map full, damaged pages) are
/// `LMDB.LMDBError`s and pass through unchanged, so callers can tell "your request is wrong"
/// from "the disk is full".
public enum MemoryStoreError: Error, Equatable, CustomStringConvertible {
    /// The store was written by a newer Engram (schema `found` > `supported`).
    case newerSchema(found: UInt32, supported: UInt32)
    /// The LMDB environment at the path holds databases, but not an Engram store.
    case notAMemoryStore(String)
    /// Another process has the store open (one process owns a store: it holds the index).
    case locked(String)
    case invalidNamespaceName(String)
    case namespaceNotFound(String)
    /// `createNamespace` with a name that exists with another dimension or metric.
    case namespaceConflict(String)
    case entryNotFound(namespace: String, id: UInt64)
    /// Wrong dimension, NaN/Inf component, zero vector under cosine.
    case invalidVector(String)
    /// A field out of range: text or metadata too large, confidence outside 0…1, an audit
    /// kind the operation does not record…
    case invalidArgument(String)
    /// A record failed its checksum or could not be decoded; says which.
    case corrupt(String)
    /// A long operation (an index rebuild) stopped because its caller cancelled it; nothing
    /// of it was kept.
    case cancelled(String)
    /// The store has handed out every entry id, sequence number or namespace id it can.
    case exhausted(String)

    public var description: String {
        switch self {
        case .newerSchema(let found, let supported):
            return "the store has schema version \(found), written by a newer Engram; this build reads up to \(supported)"
        case .notAMemoryStore(let detail): return "not an Engram memory store: \(detail)"
        case .locked(let detail): return "the store is open in another process: \(detail)"
        case .invalidNamespaceName(let name):
            return "invalid namespace name \"\(name)\": use 1–128 characters of A–Z, a–z, 0–9, '.', '_', '-' (not . or ..)"
        case .namespaceNotFound(let name): return "namespace \"\(name)\" does not exist"
        case .namespaceConflict(let detail): return "namespace exists with another configuration: \(detail)"
        case .entryNotFound(let namespace, let id): return "no entry \(id) in namespace \"\(namespace)\""
        case .invalidVector(let detail): return "invalid vector: \(detail)"
        case .invalidArgument(let detail): return detail
        case .corrupt(let detail): return "damaged store record: \(detail)"
        case .cancelled(let detail): return "cancelled: \(detail)"
        case .exhausted(let detail): return "the store is full: \(detail)"
        }
    }
}

extension MemoryStoreError {
    /// The error with `place` ("item 7") prefixed to its message, for batch writes.
    func locating(_ place: String) -> MemoryStoreError {
        switch self {
        case .invalidVector(let detail): return .invalidVector("\(place): \(detail)")
        case .invalidArgument(let detail): return .invalidArgument("\(place): \(detail)")
        default: return self
        }
    }
}

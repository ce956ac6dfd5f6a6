import LMDB

/// The store's layout on LMDB: one named database per record kind.
///
/// | database | key | value |
/// | --- | --- | --- |
/// | `meta` | ASCII name | big-endian integer: `schema_version` (UInt32), `next_entry_id`, `next_sequence` (UInt64), `next_namespace_id` (UInt32), `applied_log_sequence` (UInt64) and `log_identity` (UTF-8), replicated stores only |
/// | `namespaces` | name (UTF-8) | record envelope of `StoredNamespace` (JSON) |
/// | `entries` | namespace id (UInt32 BE) + entry id (UInt64 BE) | record envelope of `MemoryEntry` (JSON) |
/// | `graph_nodes` | namespace id + slot (UInt32 BE) | `HNSWNodeRecord.encoded()` (binary, CRC-32C) |
/// | `vectors` | namespace id + slot | dimension × float32 LE, then CRC-32C (UInt32 LE) of those bytes |
/// | `graph_state` | namespace id | `HNSWGraphState.encoded()` (binary, CRC-32C) |
/// | `audit` | sequence (UInt64 BE) | record envelope of `AuditEvent` (JSON) |
/// | `audit_by_namespace` | name + 0x00 + sequence | empty |
/// | `audit_by_entry` | entry id + sequence | empty |
/// | `lexical_documents` | namespace id + entry id | `LexicalRecordCodec`: the entry's terms and their counts (binary, CRC-32C) |
/// | `lexical_stats` | namespace id | `LexicalStatistics`: documents, Σ lengths (binary, CRC-32C) |
/// | `rejected_claims` | namespace id + holder entry id + sequence + ordinal (UInt32 BE) | `ClaimCodec`: the vector (as in `vectors`), then the record envelope of `RejectedClaim` (JSON) |
///
/// Namespaces get a numeric id (never reused) so entry, node and vector keys are short and a
/// namespace deleted and created again never meets the old one's records. The audit index by
/// namespace is keyed by *name*, so a namespace's history survives its deletion and
/// re-creation. Big-endian keys make LMDB's byte order numeric order, so prefix scans list a
/// namespace's entries by id and the audit log by sequence.
enum Schema {
    /// Version 3: the layout above (version 1 had no lexical index, version 2 no rejected
    /// claims). A store with a higher number is refused; a lower one is migrated by
    /// `migrations` at open.
    static let currentVersion: UInt32 = 3

    /// Migration steps: `migrations[v]` upgrades a version-`v` store to `v + 1`, in as many
    /// transactions as it needs; the open writes `v + 1` as the schema version only after the
    /// step returns, so a step interrupted (a crash, a full disk) runs again from the start at
    /// the next open, and must be written to allow that.
    static let migrations: [UInt32: @Sendable (Environment, Databases) throws -> Void] = [
        // 1 → 2: the lexical index of every namespace, from its entries' texts, with the
        // default options (the namespace records of version 1 have none), in batches.
        1: { env, dbs in
            let namespaces = try env.read { txn in try txn.entries(in: dbs.namespaces) }
            for record in namespaces {
                let name = String(decoding: record.key, as: UTF8.self)
                let stored = try RecordCodec.decode(StoredNamespace.self, from: record.value, what: "namespace \"\(name)\"")
                try LexicalLoader.write(env, dbs, stored)
            }
        },
        // 2 → 3: `rejected_claims`, created empty at open; the number changes so that an
        // older daemon, which would not remove claims with a hard delete, refuses the store.
        2: { _, _ in },
    ]

    enum Meta {
        static let schemaVersion = Array("schema_version".utf8)
        static let nextEntryID = Array("next_entry_id".utf8)
        static let nextSequence = Array("next_sequence".utf8)
        static let nextNamespaceID = Array("next_namespace_id".utf8)
        /// The last sequence of the replication log applied to this store (replicated
        /// daemons only), big-endian UInt64, written in the transaction of the write it applied.
        static let appliedLogSequence = Array("applied_log_sequence".utf8)
        /// Which replication log the store applies: `<stream>@<its creation time>`, UTF-8.
        static let logIdentity = Array("log_identity".utf8)
    }

    static let names = ["meta", "namespaces", "entries", "graph_nodes", "vectors", "graph_state",
                        "audit", "audit_by_namespace", "audit_by_entry", "lexical_documents", "lexical_stats", "rejected_claims"]
}

/// The database handles, opened once at open.
struct Databases: Sendable {
    let meta: Database
    let namespaces: Database
    let entries: Database
    let nodes: Database
    let vectors: Database
    let graphState: Database
    let audit: Database
    let auditByNamespace: Database
    let auditByEntry: Database
    let lexicalDocuments: Database
    let lexicalStatistics: Database
    let rejectedClaims: Database
    /// Filler records of ``MemoryStore/scrubFreePages()``; empty between scrubs.
    let scrubScratch: Database

    init(_ txn: WriteTransaction) throws {
        meta = try txn.openDatabase(named: "meta")
        namespaces = try txn.openDatabase(named: "namespaces")
        entries = try txn.openDatabase(named: "entries")
        nodes = try txn.openDatabase(named: "graph_nodes")
        vectors = try txn.openDatabase(named: "vectors")
        graphState = try txn.openDatabase(named: "graph_state")
        audit = try txn.openDatabase(named: "audit")
        auditByNamespace = try txn.openDatabase(named: "audit_by_namespace")
        auditByEntry = try txn.openDatabase(named: "audit_by_entry")
        lexicalDocuments = try txn.openDatabase(named: "lexical_documents")
        lexicalStatistics = try txn.openDatabase(named: "lexical_stats")
        rejectedClaims = try txn.openDatabase(named: "rejected_claims")
        scrubScratch = try txn.openDatabase(named: "scrub_scratch")
    }
}

/// Key builders (see `Schema`). Each is O(key length).
enum Keys {
    static func namespace(_ ns: UInt32) -> [UInt8] {
        var key: [UInt8] = []
        key.appendBigEndian(ns)
        return key
    }

    static func entry(_ ns: UInt32, _ id: UInt64) -> [UInt8] {
        var key = namespace(ns)
        key.appendBigEndian(id)
        return key
    }

    static func slot(_ ns: UInt32, _ slot: UInt32) -> [UInt8] {
        var key = namespace(ns)
        key.appendBigEndian(slot)
        return key
    }

    static func audit(_ sequence: UInt64) -> UInt64Key { UInt64Key(sequence) }

    static func auditByNamespacePrefix(_ name: String) -> [UInt8] {
        Array(name.utf8) + [0]
    }

    static func auditByNamespace(_ name: String, _ sequence: UInt64) -> [UInt8] {
        var key = auditByNamespacePrefix(name)
        key.appendBigEndian(sequence)
        return key
    }

    static func auditByEntry(_ id: UInt64, _ sequence: UInt64) -> [UInt8] {
        var key = UInt64Key(id).bytes
        key.appendBigEndian(sequence)
        return key
    }
}

/// The counters in `meta`, read and written together by every write.
struct Counters: Equatable {
    var nextEntryID: UInt64
    var nextSequence: UInt64
    var nextNamespaceID: UInt32

    static let initial = Counters(nextEntryID: 1, nextSequence: 1, nextNamespaceID: 1)

    static func read(_ txn: Transaction, _ dbs: Databases) throws -> Counters {
        func value<T: FixedWidthInteger>(_ key: [UInt8], _: T.Type) throws -> T {
            guard let bytes = try txn.get(key, in: dbs.meta) else {
                throw MemoryStoreError.corrupt("meta: \(String(decoding: key, as: UTF8.self)) is missing")
            }
            guard bytes.count == MemoryLayout<T>.size, let number = T(bigEndianBytes: bytes) else {
                throw MemoryStoreError.corrupt("meta: \(String(decoding: key, as: UTF8.self)) has \(bytes.count) bytes")
            }
            return number
        }
        let counters = Counters(nextEntryID: try value(Schema.Meta.nextEntryID, UInt64.self),
                                nextSequence: try value(Schema.Meta.nextSequence, UInt64.self),
                                nextNamespaceID: try value(Schema.Meta.nextNamespaceID, UInt32.self))
        guard (1...limit).contains(counters.nextEntryID), (1...limit).contains(counters.nextSequence),
              counters.nextNamespaceID >= 1 else {
            throw MemoryStoreError.corrupt("meta: counters out of range (next id \(counters.nextEntryID), "
                + "next sequence \(counters.nextSequence), next namespace \(counters.nextNamespaceID))")
        }
        return counters
    }

    /// The largest value `nextEntryID` and `nextSequence` may reach. Counters read from disk
    /// are checked against it, and ``advanced(entries:events:namespaces:)`` refuses to pass
    /// it, so no arithmetic on them can overflow.
    static let limit: UInt64 = 1 << 63

    /// These counters after handing out `entries` ids, `events` sequence numbers and
    /// `namespaces` namespace ids. Throws `exhausted` instead of passing ``limit``
    /// (or `UInt32.max` namespaces): the store is then full, it does not wrap around.
    func advanced(entries: Int = 0, events: Int = 0, namespaces: Int = 0) throws -> Counters {
        guard entries >= 0, events >= 0, namespaces >= 0,
              UInt64(entries) <= Self.limit - nextEntryID, UInt64(events) <= Self.limit - nextSequence,
              UInt64(namespaces) <= UInt64(UInt32.max - nextNamespaceID) else {
            throw MemoryStoreError.exhausted("it has used up its entry ids, sequence numbers or namespace ids")
        }
        return Counters(nextEntryID: nextEntryID + UInt64(entries), nextSequence: nextSequence + UInt64(events),
                        nextNamespaceID: nextNamespaceID + UInt32(namespaces))
    }

    func write(_ txn: WriteTransaction, _ dbs: Databases) throws {
        try txn.put(UInt64Key(nextEntryID), forKey: Schema.Meta.nextEntryID, in: dbs.meta)
        try txn.put(UInt64Key(nextSequence), forKey: Schema.Meta.nextSequence, in: dbs.meta)
        var ns: [UInt8] = []
        ns.appendBigEndian(nextNamespaceID)
        try txn.put(ns, forKey: Schema.Meta.nextNamespaceID, in: dbs.meta)
    }
}

public import HNSW
public import Lexical
import LMDB

/// Reads: each runs in its own LMDB read transaction (one consistent snapshot of the last
/// commit), in parallel with other reads and with the writer.
extension MemoryStore {
    /// The entry, or `nil` if there is none (never was, or deleted).
    /// - Throws: `namespaceNotFound`; `corrupt` if its record fails its checksum.
    public func get(namespace name: String, id: UInt64) throws -> MemoryEntry? {
        let ns = try handle(name)
        return try env.read { try readEntry($0, ns, id) }
    }

    /// The entries of `ids`, in order (`nil` where there is none), from one read transaction:
    /// one consistent snapshot, and one transaction instead of one per id (what a search
    /// returning k hits would otherwise open). O(ids · log n).
    /// - Throws: as ``get(namespace:id:)``.
    public func get(namespace name: String, ids: [UInt64]) throws -> [MemoryEntry?] {
        let ns = try handle(name)
        return try env.read { txn in try ids.map { try readEntry(txn, ns, $0) } }
    }

    /// The entry's stored vector (L2-normalised under cosine), or `nil` if there is no entry.
    public func vector(namespace name: String, id: UInt64) throws -> [Float]? {
        let ns = try handle(name)
        return try env.read { txn -> [Float]? in
            guard let entry = try readEntry(txn, ns, id) else { return nil }
            return try readVector(txn, ns, entry)
        }
    }

    /// A page of `namespace`'s entries in id order (= creation order), starting after id
    /// `after` (0: from the start). O(log n + limit).
    /// - Precondition: `limit` ≥ 1 (else `invalidArgument`).
    public func entries(namespace name: String, after: UInt64 = 0, limit: Int = 100) throws -> EntryPage {
        guard limit >= 1 else { throw MemoryStoreError.invalidArgument("limit must be at least 1") }
        let ns = try handle(name)
        return try env.read { txn in
            let page = try readEntryPage(txn, ns, after: after, limit: limit) { entry in entry }
            return EntryPage(entries: page.items, nextCursor: page.more ? page.lastID : nil, damaged: page.damaged)
        }
    }

    /// Audit events with sequence > `after`, in sequence order, at most `limit`.
    /// O(log n + limit).
    public func audit(after: UInt64 = 0, limit: Int = 100) throws -> [AuditEvent] {
        guard limit >= 1 else { throw MemoryStoreError.invalidArgument("limit must be at least 1") }
        guard after < .max else { return [] }
        return try env.read { txn in
            var events: [AuditEvent] = []
            try txn.forEach(in: dbs.audit, range: .from(UInt64Key(after + 1))) { key, value in
                let sequence = UInt64(bigEndianBytes: key) ?? 0
                events.append(try RecordCodec.decode(AuditEvent.self, from: Array(value), what: "audit event \(sequence)"))
                return events.count < limit ? .continue : .stop
            }
            return events
        }
    }

    /// The events of one namespace (by name: its history survives deletion and re-creation),
    /// sequence > `after`, at most `limit`. O(log n + limit).
    public func audit(namespace name: String, after: UInt64 = 0, limit: Int = 100) throws -> [AuditEvent] {
        guard limit >= 1 else { throw MemoryStoreError.invalidArgument("limit must be at least 1") }
        return try env.read { txn in
            try readAudit(txn, keysIn: dbs.auditByNamespace, prefix: Keys.auditByNamespacePrefix(name), after: after, limit: limit)
        }
    }

    /// The events of one entry (ids are global), sequence > `after`, at most `limit`: its
    /// history, including after it was deleted. O(log n + limit).
    public func audit(entryID: UInt64, after: UInt64 = 0, limit: Int = 100) throws -> [AuditEvent] {
        guard limit >= 1 else { throw MemoryStoreError.invalidArgument("limit must be at least 1") }
        return try env.read { txn in
            try readAudit(txn, keysIn: dbs.auditByEntry, prefix: UInt64Key(entryID).bytes, after: after, limit: limit)
        }
    }

    /// The sequence number of the last event (0 for an empty log).
    public var lastSequence: UInt64 {
        get throws { try env.read { try Counters.read($0, dbs) }.nextSequence - 1 }
    }

    /// The `k` entries of `namespace` nearest to `vector`, closest first, among those `filter`
    /// admits (it receives entry ids). Delegates to the namespace's `HNSWIndex`; see there for
    /// `ef` and filtered search.
    public func search(_ query: QueryVector, k: Int, ef: Int? = nil,
                       filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        let ns = try indexedHandle(query.namespace)
        do {
            if let filter { return try ns.index.search(query.values, k: k, ef: ef, filter: filter) }
            return try ns.index.search(query.values, k: k, ef: ef)
        } catch {
            throw Self.searchError(error)
        }
    }

    /// The BM25 score of every entry of `namespace` holding a term of `text` (the namespace's
    /// tokenisation and `k1`/`b`). Reads only the in-memory index. O(text + Σ df of its terms).
    /// - Throws: `namespaceNotFound`; `invalidArgument` for a namespace opened without indexes.
    public func lexicalScores(namespace name: String, text: String) throws -> LexicalScores {
        let ns = try indexedHandle(name)
        let terms = ns.lexical.tokenizer.terms(of: text)
        let options = ns.config.lexical
        return ns.lexical.read { $0.scores(for: terms, k1: options.k1, b: options.b) }
    }

    /// The distance from `query` to each entry's stored vector (found by the entry's slot), or
    /// `nil` for an entry no longer in the index. O(entries·dimension); no disk read unless the
    /// index reads its vectors from the store (`MemoryStoreOptions.vectorsInMemory`).
    public func distances(_ query: QueryVector, to entries: [MemoryEntry]) throws -> [Float?] {
        let ns = try indexedHandle(query.namespace)
        do {
            return try ns.index.distances(query.values, nodes: entries.map { (key: $0.id, slot: $0.slot) })
        } catch {
            throw Self.searchError(error)
        }
    }

    /// A search's error as the store reports it: the request's fault (`invalidArgument`), or
    /// the store's own when the index could not read its vectors from it (passed on as is).
    static func searchError(_ error: HNSWError) -> any Error {
        if case .vectorSourceUnavailable = error { return error }
        return MemoryStoreError.invalidArgument(error.description)
    }

    /// ``search(_:k:ef:filter:)`` for a vector not yet checked (tools and tests).
    /// - Throws: `invalidVector` when it does not fit the namespace, `namespaceNotFound`.
    public func search(namespace name: String, vector: [Float], k: Int, ef: Int? = nil,
                       filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        guard let config = namespaceConfig(name) else { throw MemoryStoreError.namespaceNotFound(name) }
        let query: QueryVector
        do {
            query = try QueryVector(vector, for: config)
        } catch {
            throw MemoryStoreError.invalidVector(error.description)
        }
        return try search(query, k: k, ef: ef, filter: filter)
    }

    /// The namespace's index (tests and diagnostics). Not public: a write made to the index
    /// directly would never reach the disk.
    func index(namespace name: String) throws -> HNSWIndex {
        try handle(name).index
    }

    // MARK: helpers

    func readEntry(_ txn: Transaction, _ ns: NamespaceHandle, _ id: UInt64) throws -> MemoryEntry? {
        guard let bytes = try txn.get(Keys.entry(ns.id, id), in: dbs.entries) else { return nil }
        return try RecordCodec.decode(MemoryEntry.self, from: bytes, what: "entry \(id) of \"\(ns.config.name)\"")
    }

    /// One page of an entry walk: the records read, the damaged ones skipped, and where the
    /// next page starts.
    struct EntryPageRead<T> {
        var items: [T] = []
        var damaged: [DamagedRecord] = []
        /// The id of the last record looked at (read or skipped): the next page's `after`.
        var lastID: UInt64?
        var more = false
    }

    /// Up to `limit` of `ns`'s entries with id > `after`, in id order, each passed through
    /// `transform` inside the transaction (which may read more, e.g. the vector), and whether
    /// more follow. O(log n + limit). The one page walk behind listings, export and rebuild.
    ///
    /// A record that fails its checksum or does not decode, or whose `transform` finds its
    /// vector damaged, is skipped and reported in `damaged` (it counts towards `limit`, so a
    /// run of damaged records still moves the walk on): one flipped bit costs one entry, not
    /// the listing.
    func readEntryPage<T>(_ txn: Transaction, _ ns: NamespaceHandle, after: UInt64, limit: Int,
                          _ transform: (MemoryEntry) throws -> T) throws -> EntryPageRead<T> {
        var page = EntryPageRead<T>()
        guard after < .max else { return page }
        let range = KeyRange(lowerBound: Keys.entry(ns.id, after + 1), upperBound: KeyRange.prefix(Keys.namespace(ns.id)).upperBound)
        try txn.forEach(in: dbs.entries, range: range) { key, value in
            if page.items.count + page.damaged.count == limit {
                page.more = true
                return .stop
            }
            guard key.count == 12, let id = UInt64(bigEndianBytes: key, at: 4) else {
                page.damaged.append(DamagedRecord(id: nil, problem: "an entry key of \(key.count) bytes in \"\(ns.config.name)\""))
                return .continue
            }
            page.lastID = id
            do {
                let entry = try RecordCodec.decode(MemoryEntry.self, from: Array(value), what: "entry \(id) of \"\(ns.config.name)\"")
                page.items.append(try transform(entry))
            } catch let error as MemoryStoreError {
                guard case .corrupt(let problem) = error else { throw error }
                page.damaged.append(DamagedRecord(id: id, problem: problem))
            }
            return .continue
        }
        if page.more && page.lastID == nil {
            // Only unreadable keys so far: no cursor to continue from, and stopping would look
            // like the end of the namespace.
            throw MemoryStoreError.corrupt("entries of \"\(ns.config.name)\" after id \(after): a page of unreadable keys")
        }
        return page
    }

    /// The stored vector of `entry`. - Throws: `corrupt` if missing or damaged.
    func readVector(_ txn: Transaction, _ ns: NamespaceHandle, _ entry: MemoryEntry) throws -> [Float] {
        let what = "vector of entry \(entry.id) (slot \(entry.slot)) of \"\(ns.config.name)\""
        guard let vector = try txn.withValue(forKey: Keys.slot(ns.id, entry.slot), in: dbs.vectors, {
            try VectorCodec.decode($0, dimension: ns.config.dimension, what: what)
        }) else { throw MemoryStoreError.corrupt("\(what) is missing") }
        return vector
    }

    /// Events listed by one of the audit indexes: keys `prefix + sequence`.
    func readAudit(_ txn: Transaction, keysIn index: Database, prefix: [UInt8], after: UInt64, limit: Int) throws -> [AuditEvent] {
        var sequences: [UInt64] = []
        guard after < .max else { return [] }
        var start = prefix
        start.appendBigEndian(after + 1)
        let range = KeyRange(lowerBound: start, upperBound: KeyRange.prefix(prefix).upperBound)
        try txn.forEach(in: index, range: range) { key, _ in
            if let sequence = UInt64(bigEndianBytes: key, at: prefix.count), key.count == prefix.count + 8 {
                sequences.append(sequence)
            }
            return sequences.count < limit ? .continue : .stop
        }
        return try sequences.map { sequence in
            guard let bytes = try txn.get(Keys.audit(sequence), in: dbs.audit) else {
                throw MemoryStoreError.corrupt("audit index lists event \(sequence), which is missing")
            }
            return try RecordCodec.decode(AuditEvent.self, from: bytes, what: "audit event \(sequence)")
        }
    }
}

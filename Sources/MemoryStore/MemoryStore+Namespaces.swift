import HNSW
import LMDB

/// Namespaces: each owns its entries and its HNSW graph, with a fixed dimension and metric.
extension MemoryStore {
    /// Creates a namespace, or returns the existing one when it has the same dimension,
    /// metric, HNSW parameters and embedder (idempotent, like `PUT /v1/namespaces/{ns}`).
    ///
    /// - Returns: the stored configuration (its `createdAt` is the first creation's).
    /// - Throws: `invalidNamespaceName`, `namespaceConflict`, `invalidArgument` for bad
    ///   dimension or parameters, `LMDBError` from the commit.
    @discardableResult
    public func createNamespace(_ config: NamespaceConfig) throws -> NamespaceConfig {
        try Validation.namespaceName(config.name)
        return try exclusive {
            if let existing = namespaceTable.withLock({ $0[config.name] }) {
                let a = existing.config, b = config
                guard a.dimension == b.dimension, a.metric == b.metric, a.parameters == b.parameters,
                      a.embedderID == b.embedderID, a.lexical == b.lexical, a.search == b.search,
                      a.learning == b.learning else {
                    throw MemoryStoreError.namespaceConflict(
                        "\"\(a.name)\" has dimension \(a.dimension), metric \(a.metric.rawValue), embedder \(a.embedderID ?? "none")"
                            + (a.lexical != b.lexical || a.search != b.search || a.learning != b.learning
                                ? ", and other lexical, search or learning settings" : ""))
                }
                if let problem = b.lexical.problem ?? b.search.problem ?? b.learning.problem { throw MemoryStoreError.invalidArgument(problem) }
                return existing.config
            }
            let counters = try currentCounters()
            let index: HNSWIndex
            do {
                index = try HNSWIndex(dimension: config.dimension, metric: config.metric, parameters: config.parameters,
                                      vectorSource: vectorSource(namespace: counters.nextNamespaceID, config: config))
            } catch {
                throw MemoryStoreError.invalidArgument("\(error)")
            }
            if let problem = config.lexical.problem ?? config.search.problem ?? config.learning.problem { throw MemoryStoreError.invalidArgument(problem) }
            let stored = StoredNamespace(id: counters.nextNamespaceID, config: config)
            var set = WriteSet(dbs)
            set.put(try RecordCodec.encode(stored), key: Array(config.name.utf8), in: dbs.namespaces, flags: .noOverwrite)
            let next = try counters.advanced(namespaces: 1)
            try commit(set, from: counters, to: next)
            namespaceTable.withLock {
                $0[config.name] = NamespaceHandle(id: stored.id, config: config, index: index, lexical: LexicalTable(options: config.lexical))
            }
            return config
        }
    }

    /// The configuration of `name`, or `nil`.
    public func namespaceConfig(_ name: String) -> NamespaceConfig? {
        namespaceTable.withLock { $0[name]?.config }
    }

    /// One namespace with its figures, or `nil`. O(1).
    public func namespace(_ name: String) -> NamespaceInfo? {
        namespaceTable.withLock { $0[name] }.map(Self.info)
    }

    /// Every namespace, by name.
    public func namespaces() -> [NamespaceInfo] {
        namespaceTable.withLock { Array($0.values) }.sorted { $0.config.name < $1.config.name }.map(Self.info)
    }

    static func info(_ handle: NamespaceHandle) -> NamespaceInfo {
        let statistics = handle.index.statistics
        let (terms, bytes) = handle.lexical.read { ($0.termCount, $0.allocatedBytes) }
        return NamespaceInfo(config: handle.config, entryCount: statistics.liveNodes, index: statistics,
                             lexicalTerms: terms, lexicalBytes: bytes)
    }

    /// Deletes a namespace with all its entries, graph and vectors in one transaction. Each
    /// entry gets a `deleted` event (the log keeps what was deleted); the namespace's earlier
    /// events stay listed under its name.
    ///
    /// Entries whose record is damaged are deleted too, with an event whose `before` is `nil`
    /// (deleting the namespace is how an operator gets rid of them).
    /// - Returns: the sequence of the last event written, or `nil` if the namespace was empty.
    /// - Complexity: O(entries + nodes) in one transaction; LMDB bounds the pages one
    ///   transaction may dirty, so a namespace of millions of entries may need `transactionFull`
    ///   handling by deleting entries in batches first.
    @discardableResult
    public func deleteNamespace(_ name: String, context: AuditContext) throws -> UInt64? {
        try exclusive {
            let ns = try handle(name)
            let prefix = KeyRange.prefix(Keys.namespace(ns.id))
            let (counters, entries, nodeKeys, vectorKeys, lexicalKeys, claimKeys) = try env.read { txn in
                var entries: [(id: UInt64, entry: MemoryEntry?)] = []
                try txn.forEach(in: dbs.entries, range: prefix) { key, value in
                    let id = UInt64(bigEndianBytes: key, at: 4) ?? 0
                    let entry = try? RecordCodec.decode(MemoryEntry.self, from: Array(value), what: "entry \(id)")
                    entries.append((id, entry))
                    return .continue
                }
                return (try Counters.read(txn, dbs), entries,
                        try txn.keys(in: dbs.nodes, range: prefix), try txn.keys(in: dbs.vectors, range: prefix),
                        try txn.keys(in: dbs.lexicalDocuments, range: prefix), try txn.keys(in: dbs.rejectedClaims, range: prefix))
            }
            var set = WriteSet(dbs)
            let next = try counters.advanced(events: entries.count)
            for (offset, (id, entry)) in entries.enumerated() {
                set.delete(Keys.entry(ns.id, id), in: dbs.entries)
                try set.appendAudit(AuditEvent(
                    sequence: counters.nextSequence + UInt64(offset), kind: .deleted, time: context.time, actor: context.actor, namespace: name,
                    entryID: id, before: entry, after: nil, reason: context.reason ?? "namespace deleted"))
            }
            for key in nodeKeys { set.delete(key, in: dbs.nodes) }
            for key in vectorKeys { set.delete(key, in: dbs.vectors) }
            for key in lexicalKeys { set.delete(key, in: dbs.lexicalDocuments) }
            for key in claimKeys { set.delete(key, in: dbs.rejectedClaims) }
            set.delete(Keys.namespace(ns.id), in: dbs.lexicalStatistics)
            set.delete(Keys.namespace(ns.id), in: dbs.graphState)
            set.delete(Array(name.utf8), in: dbs.namespaces)
            try commit(set, from: counters, to: next)
            namespaceTable.withLock { _ = $0.removeValue(forKey: name) }
            return entries.isEmpty ? nil : next.nextSequence - 1
        }
    }
}

import LMDB

/// What ``MemoryStore/salvage(from:into:context:)`` copied from one namespace.
public struct SalvageReport: Sendable, Equatable {
    public var namespace: String
    /// Entries copied (every field, the id and the vector kept).
    public var copied: Int
    /// Records that could not be read (entry or vector), left behind.
    public var damaged: [DamagedRecord]
}

extension MemoryStore {
    /// Copies every readable entry of the store at `path` into `target` (a new, empty store),
    /// keeping ids, fields and vectors, and builds its indexes as it goes; damaged records and
    /// pages are skipped and reported. The way out of a store that `verify` finds damaged.
    ///
    /// The damaged store is read without LMDB (`Environment.readableRecords`): LMDB aborts
    /// the process on a damaged page, and its cursors stop at one. Records carry their own
    /// checksums, so a page that reads but holds garbage costs its records and nothing else.
    /// Nobody may have the store at `path` open (its process lock is taken: `locked` otherwise). The audit history is not copied: each
    /// salvaged entry starts a new history with a `created` event carrying `context`. The
    /// readable rejected claims come too: with their entries, or as orphaned claims under
    /// their holders' ids (``importOrphanedClaims(_:namespace:)``).
    /// - Complexity: one read of the namespaces, and per namespace one of the entries and
    ///   vectors databases; one insertion per entry into `target`.
    public static func salvage(from path: String, into target: MemoryStore, context: AuditContext) throws -> [SalvageReport] {
        let lock = try ProcessLock(store: path)  // no daemon meanwhile
        defer { withExtendedLifetime(lock) {} }
        var pageProblems: [String] = []
        var namespaces: [StoredNamespace] = []
        pageProblems += try Environment.readableRecords(atPath: path, of: "namespaces") { key, value in
            let name = String(decoding: key, as: UTF8.self)
            if let stored = try? RecordCodec.decode(StoredNamespace.self, from: value, what: "namespace \(name)") {
                namespaces.append(stored)
            } else {
                pageProblems.append("namespace record \"\(name)\" is damaged: its entries cannot be placed")
            }
        }
        var reports: [SalvageReport] = []
        for stored in namespaces.sorted(by: { $0.config.name < $1.config.name }) {
            var report = SalvageReport(namespace: stored.config.name, copied: 0, damaged: [])
            let (vectors, vectorProblems) = try readableVectors(path, stored)
            report.damaged += vectorProblems.map { DamagedRecord(id: nil, problem: $0) }
            let (claims, claimProblems) = try readableClaims(path, stored)
            report.damaged += claimProblems.map { DamagedRecord(id: nil, problem: $0) }
            var items: [ImportItem] = []
            let entryProblems = try Environment.readableRecords(atPath: path, of: "entries") { key, value in
                guard key.count == 12, UInt32(bigEndianBytes: key, at: 0) == stored.id,
                      let id = UInt64(bigEndianBytes: key, at: 4) else { return }
                do {
                    let entry = try RecordCodec.decode(MemoryEntry.self, from: value, what: "entry \(id) of \"\(stored.config.name)\"")
                    guard let vector = vectors[entry.slot] else {
                        report.damaged.append(DamagedRecord(id: id, problem: "entry \(id): its vector is missing or damaged"))
                        return
                    }
                    items.append(ImportItem(id: id, draft: MemoryDraft(entry), vector: vector, claims: claims[id] ?? []))
                } catch {
                    report.damaged.append(DamagedRecord(id: id, problem: "\(error)"))
                }
            }
            report.damaged += entryProblems.map { DamagedRecord(id: nil, problem: $0) }
            _ = try target.createNamespace(stored.config)
            for start in stride(from: 0, to: items.count, by: 1000) {
                let batch = Array(items[start..<min(items.count, start + 1000)])
                let outcome = try target.importEntries(batch, namespace: stored.config.name, context: context)
                for (item, result) in zip(batch, outcome.outcomes) {
                    if result.status == .created {
                        report.copied += 1
                    } else {
                        report.damaged.append(DamagedRecord(id: item.id, problem: result.message ?? "\(result.status)"))
                    }
                }
            }
            // Claims whose holders were gone already (or were not readable) keep their ids.
            let copiedIDs = Set(items.map(\.id))
            let orphans = claims.filter { !copiedIDs.contains($0.key) }.sorted { $0.key < $1.key }.flatMap(\.value)
            for start in stride(from: 0, to: orphans.count, by: 1000) {
                try target.importOrphanedClaims(Array(orphans[start..<min(orphans.count, start + 1000)]),
                                                namespace: stored.config.name)
            }
            reports.append(report)
        }
        if !pageProblems.isEmpty {
            reports.insert(SalvageReport(namespace: "(store)", copied: 0,
                                         damaged: pageProblems.map { DamagedRecord(id: nil, problem: $0) }), at: 0)
        }
        return reports
    }

    /// The readable rejected claims of namespace `stored`, by holder, and the problems met.
    private static func readableClaims(_ path: String, _ stored: StoredNamespace) throws
        -> ([UInt64: [(claim: RejectedClaim, vector: [Float])]], [String]) {
        var claims: [UInt64: [(claim: RejectedClaim, vector: [Float])]] = [:]
        var problems: [String] = []
        problems += try Environment.readableRecords(atPath: path, of: "rejected_claims") { key, value in
            guard key.count == Keys.claimKeyLength, UInt32(bigEndianBytes: key, at: 0) == stored.id,
                  let owner = UInt64(bigEndianBytes: key, at: 4) else { return }
            let what = "rejected claim of entry \(owner) of \"\(stored.config.name)\""
            do {
                let parts = try value.withUnsafeBytes { raw in
                    (try ClaimCodec.claim(raw, dimension: stored.config.dimension, what: what),
                     try ClaimCodec.vector(raw, dimension: stored.config.dimension, what: what))
                }
                claims[owner, default: []].append((parts.0, parts.1))
            } catch {
                problems.append("\(error)")
            }
        }
        return (claims, problems)
    }

    /// The readable vectors of namespace `stored`, by slot, and the problems met.
    private static func readableVectors(_ path: String, _ stored: StoredNamespace) throws -> ([UInt32: [Float]], [String]) {
        var vectors: [UInt32: [Float]] = [:]
        var problems: [String] = []
        problems += try Environment.readableRecords(atPath: path, of: "vectors") { key, value in
            guard key.count == 8, UInt32(bigEndianBytes: key, at: 0) == stored.id,
                  let slot = UInt32(bigEndianBytes: key, at: 4) else { return }
            do {
                vectors[slot] = try value.withUnsafeBytes {
                    try VectorCodec.decode($0, dimension: stored.config.dimension,
                                           what: "vector of slot \(slot) of \"\(stored.config.name)\"")
                }
            } catch {
                problems.append("\(error)")
            }
        }
        return (vectors, problems)
    }
}

extension MemoryDraft {
    /// Every field of `entry` (its id, namespace and slot aside), to write it elsewhere.
    public init(_ entry: MemoryEntry) {
        self.init(text: entry.text, tags: entry.tags, metadata: entry.metadata, source: entry.source,
                  confidence: entry.confidence, evidence: entry.evidence, pinned: entry.pinned,
                  createdAt: entry.createdAt, updatedAt: entry.updatedAt, lastUsedAt: entry.lastUsedAt,
                  useCount: entry.useCount, version: entry.version, expiresAt: entry.expiresAt,
                  occurredAt: entry.occurredAt, validFrom: entry.validFrom, validTo: entry.validTo, thread: entry.thread,
                  position: entry.position, pending: entry.pending, conflictsWith: entry.conflictsWith, learned: entry.learned)
    }
}

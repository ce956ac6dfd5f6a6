import HNSW
import Lexical
import LMDB

/// What `MemoryStore.verify()` found.
public struct VerificationReport: Sendable, Equatable {
    /// Every inconsistency, each naming the namespace, record and what is wrong. Empty when
    /// the store is consistent. Capped at `maxProblems` (the last line then says how many more).
    public var problems: [String] = []
    public var namespaces = 0
    public var entries = 0
    public var graphNodes = 0
    public var vectors = 0
    public var auditEvents = 0

    public var isConsistent: Bool { problems.isEmpty }

    public static let maxProblems = 10_000
    var suppressed = 0

    mutating func add(_ problem: String) {
        if problems.count < Self.maxProblems { problems.append(problem) } else { suppressed += 1 }
    }

    mutating func finish() {
        if suppressed > 0 { problems.append("… and \(suppressed) more problems") }
        suppressed = 0
    }
}

extension MemoryStore {
    /// Checks every invariant of the store and reports each violation; never throws and
    /// never traps on damaged data (a read that fails becomes a reported problem).
    ///
    /// Checked: schema version and counters; every record's checksum and decoding; keys agree
    /// with record contents; each entry has its live graph node and its vector, and each live
    /// node its entry; each live or deleted node has a vector and each vector a node; links
    /// point to existing, non-free slots of a high enough level; graph state counts, entry
    /// point and top level agree with the nodes; the audit log runs 1…last without gaps,
    /// matches the counter, and its two indexes list exactly its events; each entry is what
    /// its latest audit event recorded (usage counters aside); each entry has a lexical
    /// document equal to its text's terms and each document an entry, with statistics that
    /// agree; and each in-memory index (graph and lexical) equals its persisted form and is
    /// structurally sound.
    ///
    /// Runs in two read transactions: the comparison with the in-memory indexes holds the
    /// write lock (writes wait) so memory and disk are compared at the same commit; the rest
    /// runs beside the writer. O(records + nodes·M0).
    public func verify() -> VerificationReport {
        var report = VerificationReport()
        // Pages first: LMDB aborts the process on a damaged page rather than failing a read,
        // so the record checks below run only over a sound file.
        do {
            let structure = try env.checkPageStructure()
            if !structure.isIntact {
                structure.problems.forEach { report.add("data file: \($0)") }
                report.add(Self.damagedPagesAdvice)
                report.finish()
                return report
            }
        } catch {
            report.add("data file: cannot check its pages: \(error)")
        }
        do {
            try writeLock.withLock { _ in
                try env.read { txn in try compareIndexes(txn, &report) }
            }
        } catch {
            report.add("could not compare the in-memory indexes with the store: \(error)")
        }
        do {
            try env.read { txn in try checkRecords(txn, &report) }
        } catch {
            report.add("could not read the store: \(error)")
        }
        report.finish()
        return report
    }

    static let damagedPagesAdvice = "the data file has damaged pages, which LMDB cannot read safely: "
        + "stop the daemon and copy what is readable with engram salvage --data DIR --to NEW"

    /// The page-structure problems of the store at `path`, read without LMDB
    /// (`Environment.checkPageStructure(atPath:)`): what to check before opening a store that
    /// may be damaged, since opening already reads it through LMDB, which aborts on a damaged
    /// page. Empty when every reachable page is sound. Takes the store's process lock for the
    /// walk (`locked` when a daemon holds the store). O(used pages).
    public static func pageStructureProblems(path: String) throws -> [String] {
        let lock = try ProcessLock(store: path)
        defer { withExtendedLifetime(lock) {} }
        let report = try Environment.checkPageStructure(atPath: path)
        return report.isIntact ? [] : report.problems.map { "data file: \($0)" } + [damagedPagesAdvice]
    }

    /// Each loaded namespace's index against its persisted records and state.
    private func compareIndexes(_ txn: Transaction, _ report: inout VerificationReport) throws {
        let handles = namespaceTable.withLock { Array($0.values) }.sorted { $0.config.name < $1.config.name }
        for ns in handles where ns.indexLoaded {
            let name = "namespace \"\(ns.config.name)\""
            guard let bytes = try txn.get(Array(ns.config.name.utf8), in: dbs.namespaces) else {
                report.add("\(name) is loaded but has no namespace record")
                continue
            }
            if let stored = try? RecordCodec.decode(StoredNamespace.self, from: bytes, what: name), stored.id != ns.id {
                report.add("\(name) is loaded with id \(ns.id) but stored with id \(stored.id)")
            }
            for problem in ns.index.verifyStructure() { report.add("\(name): in-memory graph: \(problem)") }
            let (state, records) = ns.index.snapshot()
            if let stateBytes = try txn.get(Keys.namespace(ns.id), in: dbs.graphState) {
                if let stored = try? HNSWGraphState(decoding: stateBytes), !Self.agree(stored: stored, index: state, records) {
                    report.add("\(name): stored graph state \(stored) differs from the index's \(state)")
                }
            } else if state.slotCount > 0 {
                report.add("\(name): the index has \(state.slotCount) slots but no graph state is stored")
            }
            for record in records {
                let stored = try txn.get(Keys.slot(ns.id, record.slot), in: dbs.nodes)
                if record.state == .free {
                    if stored != nil { report.add("\(name): slot \(record.slot) is free in the index but has a stored node") }
                } else if let stored {
                    if let decoded = try? HNSWNodeRecord(decoding: stored), decoded != record {
                        report.add("\(name): slot \(record.slot): stored node differs from the index (stored \(decoded.state), key \(decoded.key); index \(record.state), key \(record.key))")
                    }
                } else {
                    report.add("\(name): slot \(record.slot) (key \(record.key)) is in the index but has no stored node")
                }
            }
            let storedCount = try txn.count(in: dbs.nodes, range: .prefix(Keys.namespace(ns.id)))
            let indexCount = records.filter { $0.state != .free }.count
            if storedCount != indexCount {
                report.add("\(name): \(storedCount) stored graph nodes, the index has \(indexCount)")
            }
            try compareLexical(txn, ns, name, &report)
        }
    }

    /// The namespace's in-memory lexical index against its stored documents. O(Σ terms).
    private func compareLexical(_ txn: Transaction, _ ns: NamespaceHandle, _ name: String,
                                _ report: inout VerificationReport) throws {
        var storedCount = 0
        var differing: [UInt64] = []
        try ns.lexical.read { index in
            try txn.forEach(in: dbs.lexicalDocuments, range: .prefix(Keys.namespace(ns.id))) { key, value in
                guard key.count == 12, let id = UInt64(bigEndianBytes: key, at: 4),
                      let stored = try? LexicalRecordCodec.decode(value, what: "") else { return .continue }
                storedCount += 1
                if index.document(id) != stored { differing.append(id) }
                return .continue
            }
            if index.documentCount != storedCount {
                report.add("\(name): \(storedCount) stored lexical documents, the in-memory lexical index has \(index.documentCount)")
            }
        }
        for id in differing.prefix(10) { report.add("\(name): entry \(id): the in-memory lexical index differs from its stored document") }
    }

    /// Whether a stored graph state describes the index's graph. The generator state is not
    /// compared, and the index may have more slots than stored if they are all free: an
    /// `HNSWIndex` batch that rolls back (a failed commit) returns its new slots to the free
    /// list and keeps its drawn levels instead of shrinking the graph, and neither changes
    /// what a search or a restore sees (a restore treats slots without a record as free).
    static func agree(stored: HNSWGraphState, index: HNSWGraphState, _ records: [HNSWNodeRecord]) -> Bool {
        stored.liveCount == index.liveCount && stored.deletedCount == index.deletedCount
            && stored.entryPoint == index.entryPoint && stored.maxLevel == index.maxLevel
            && stored.slotCount <= index.slotCount
            && records.allSatisfy { Int($0.slot) < stored.slotCount || $0.state == .free }
    }

    /// Per-namespace facts gathered while scanning.
    private struct Scan {
        var name: String
        var config: NamespaceConfig
        var entrySlots: [UInt64: UInt32] = [:]
        var nodes: [UInt32: HNSWNodeRecord] = [:]
        var vectorSlots: Set<UInt32> = []
        /// Entries with a lexical record, and the Σ of those records' lengths.
        var lexicalIDs: Set<UInt64> = []
        var lexicalLength: UInt64 = 0
    }

    private func checkRecords(_ txn: Transaction, _ report: inout VerificationReport) throws {
        // Meta.
        if let bytes = try txn.get(Schema.Meta.schemaVersion, in: dbs.meta) {
            let version = bytes.count == 4 ? UInt32(bigEndianBytes: bytes) : nil
            if version != Schema.currentVersion {
                report.add("meta: schema version is \(version.map(String.init) ?? "unreadable"), expected \(Schema.currentVersion)")
            }
        } else {
            report.add("meta: schema version is missing")
        }
        var counters: Counters?
        do { counters = try Counters.read(txn, dbs) } catch { report.add("\(error)") }

        // Namespaces.
        var scans: [UInt32: Scan] = [:]
        try txn.forEach(in: dbs.namespaces) { key, value in
            let name = String(decoding: key, as: UTF8.self)
            report.namespaces += 1
            do {
                let stored = try RecordCodec.decode(StoredNamespace.self, from: Array(value), what: "namespace \"\(name)\"")
                if stored.config.name != name { report.add("namespace record \"\(name)\" names \"\(stored.config.name)\"") }
                if let other = scans[stored.id] { report.add("namespaces \"\(other.name)\" and \"\(name)\" share id \(stored.id)") }
                if let counters, stored.id >= counters.nextNamespaceID {
                    report.add("namespace \"\(name)\" has id \(stored.id), not below the counter \(counters.nextNamespaceID)")
                }
                scans[stored.id] = Scan(name: name, config: stored.config)
            } catch {
                report.add("\(error)")
            }
            return .continue
        }
        let loaded = Set(namespaceTable.withLock { Array($0.keys) })
        let stored = Set(scans.values.map(\.name))
        for name in loaded.subtracting(stored).sorted() { report.add("namespace \"\(name)\" is loaded but not stored") }
        for name in stored.subtracting(loaded).sorted() { report.add("namespace \"\(name)\" is stored but not loaded") }

        var maxEntryID: UInt64 = 0
        var digests: [UInt64: Int] = [:]
        try scanEntries(txn, &scans, &report, &maxEntryID, &digests)
        try scanGraph(txn, &scans, &report)
        try scanLexical(txn, &scans, &report)
        try scanClaims(txn, scans, &report)
        for id in scans.keys.sorted() { checkNamespace(txn, id, scans[id]!, &report) }
        try scanAudit(txn, counters, &report, &maxEntryID, digests)
        if let counters, maxEntryID >= counters.nextEntryID {
            report.add("meta: next entry id \(counters.nextEntryID) is not above the largest id in use, \(maxEntryID)")
        }
    }

    /// A hash of what the audit log must agree with: the entry without its usage statistics
    /// (`recordUse` changes those without an event).
    static func auditDigest(_ entry: MemoryEntry) -> Int {
        var normalized = entry
        normalized.useCount = 0
        normalized.lastUsedAt = nil
        var hasher = Hasher()
        normalized.hash(into: &hasher)
        return hasher.finalize()
    }

    private func scanEntries(_ txn: Transaction, _ scans: inout [UInt32: Scan], _ report: inout VerificationReport,
                             _ maxEntryID: inout UInt64, _ digests: inout [UInt64: Int]) throws {
        try txn.forEach(in: dbs.entries) { key, value in
            report.entries += 1
            guard key.count == 12, let ns = UInt32(bigEndianBytes: key), let id = UInt64(bigEndianBytes: key, at: 4) else {
                report.add("entries: key of \(key.count) bytes")
                return .continue
            }
            maxEntryID = max(maxEntryID, id)
            guard scans[ns] != nil else {
                report.add("entry \(id) belongs to namespace id \(ns), which does not exist")
                return .continue
            }
            let name = scans[ns]!.name
            do {
                let entry = try RecordCodec.decode(MemoryEntry.self, from: Array(value), what: "namespace \"\(name)\": entry \(id)")
                if entry.id != id { report.add("namespace \"\(name)\": entry stored under id \(id) says id \(entry.id)") }
                if entry.namespace != name { report.add("namespace \"\(name)\": entry \(id) says namespace \"\(entry.namespace)\"") }
                scans[ns]!.entrySlots[id] = entry.slot
                digests[id] = Self.auditDigest(entry)
            } catch {
                report.add("\(error)")
            }
            return .continue
        }
    }

    /// Each rejected claim: readable (both checksums), of an existing namespace, keyed by its
    /// owner and sequence, with a finite vector of the namespace's dimension. (Its owner may
    /// be gone: a forgotten entry holds its own claim. Its sequence is the event's in the store
    /// where it was rejected, which an import keeps.) O(claims).
    private func scanClaims(_ txn: Transaction, _ scans: [UInt32: Scan], _ report: inout VerificationReport) throws {
        try txn.forEach(in: dbs.rejectedClaims) { key, value in
            guard key.count == Keys.claimKeyLength, let ns = UInt32(bigEndianBytes: key), let owner = UInt64(bigEndianBytes: key, at: 4),
                  let sequence = UInt64(bigEndianBytes: key, at: 12) else {
                report.add("rejected claims: key of \(key.count) bytes")
                return .continue
            }
            guard let scan = scans[ns] else {
                report.add("rejected claim \(sequence) belongs to namespace id \(ns), which does not exist")
                return .continue
            }
            do {
                let what = "rejected claim \(sequence) of \"\(scan.name)\""
                let claim = try ClaimCodec.claim(value, dimension: scan.config.dimension, what: what)
                let vector = try ClaimCodec.vector(value, dimension: scan.config.dimension, what: what)
                if claim.entryID != owner || claim.sequence != sequence {
                    report.add("\(what) is stored under entry \(owner), sequence \(sequence) but names entry "
                        + "\(claim.entryID), sequence \(claim.sequence)")
                }
                if !vector.allSatisfy(\.isFinite) { report.add("\(what) has a vector with NaN or infinite components") }
            } catch {
                report.add("\(error)")
            }
            return .continue
        }
    }

    /// Each lexical record against its entry's text (tokenised again under the namespace's
    /// options), each entry against its record, and each namespace's statistics against the
    /// records. O(entries·text).
    private func scanLexical(_ txn: Transaction, _ scans: inout [UInt32: Scan], _ report: inout VerificationReport) throws {
        try txn.forEach(in: dbs.lexicalDocuments) { key, value in
            guard key.count == 12, let ns = UInt32(bigEndianBytes: key), let id = UInt64(bigEndianBytes: key, at: 4) else {
                report.add("lexical documents: key of \(key.count) bytes")
                return .continue
            }
            guard let scan = scans[ns] else {
                report.add("lexical document of entry \(id) belongs to namespace id \(ns), which does not exist")
                return .continue
            }
            let name = "namespace \"\(scan.name)\""
            do {
                let document = try LexicalRecordCodec.decode(value, what: "\(name): entry \(id)")
                scans[ns]!.lexicalIDs.insert(id)
                scans[ns]!.lexicalLength += UInt64(document.length)
                guard let bytes = try txn.get(Keys.entry(ns, id), in: dbs.entries) else {
                    report.add("\(name): lexical document of entry \(id), which does not exist")
                    return .continue
                }
                guard let entry = try? RecordCodec.decode(MemoryEntry.self, from: bytes, what: "") else { return .continue }
                let expected = LexicalDocument(terms: LexicalTokenizer(options: scan.config.lexical).terms(of: entry.text))
                if expected != document {
                    report.add("\(name): lexical document of entry \(id) does not match its text (run engram index rebuild)")
                }
            } catch {
                report.add("\(error)")
            }
            return .continue
        }
        for (ns, scan) in scans.sorted(by: { $0.key < $1.key }) {
            let name = "namespace \"\(scan.name)\""
            for id in scan.entrySlots.keys.sorted() where !scan.lexicalIDs.contains(id) {
                report.add("\(name): entry \(id) has no lexical document")
            }
            let actual = LexicalStatistics(documents: UInt64(scan.lexicalIDs.count), totalLength: scan.lexicalLength)
            do {
                let stored = try txn.get(Keys.namespace(ns), in: dbs.lexicalStatistics)
                    .map { try LexicalStatistics(decoding: $0, what: name) } ?? LexicalStatistics(documents: 0, totalLength: 0)
                if stored != actual {
                    report.add("\(name): lexical statistics say \(stored.documents) documents of total length \(stored.totalLength), "
                        + "the records hold \(actual.documents) of \(actual.totalLength)")
                }
            } catch {
                report.add("\(error)")
            }
        }
    }

    private func scanGraph(_ txn: Transaction, _ scans: inout [UInt32: Scan], _ report: inout VerificationReport) throws {
        try txn.forEach(in: dbs.nodes) { key, value in
            report.graphNodes += 1
            guard key.count == 8, let ns = UInt32(bigEndianBytes: key), let slot = UInt32(bigEndianBytes: key, at: 4) else {
                report.add("graph nodes: key of \(key.count) bytes")
                return .continue
            }
            guard let name = scans[ns]?.name else {
                report.add("graph node of slot \(slot) belongs to namespace id \(ns), which does not exist")
                return .continue
            }
            do {
                let record = try HNSWNodeRecord(decoding: Array(value))
                if record.slot != slot { report.add("namespace \"\(name)\": graph node stored under slot \(slot) says slot \(record.slot)") }
                scans[ns]!.nodes[slot] = record
            } catch {
                report.add("namespace \"\(name)\": graph node of slot \(slot): \(error)")
            }
            return .continue
        }
        try txn.forEach(in: dbs.vectors) { key, value in
            report.vectors += 1
            guard key.count == 8, let ns = UInt32(bigEndianBytes: key), let slot = UInt32(bigEndianBytes: key, at: 4) else {
                report.add("vectors: key of \(key.count) bytes")
                return .continue
            }
            guard let scan = scans[ns] else {
                report.add("vector of slot \(slot) belongs to namespace id \(ns), which does not exist")
                return .continue
            }
            do {
                let vector = try VectorCodec.decode(value, dimension: scan.config.dimension,
                                                    what: "namespace \"\(scan.name)\": vector of slot \(slot)")
                if let bad = vector.firstIndex(where: { !$0.isFinite }) {
                    report.add("namespace \"\(scan.name)\": vector of slot \(slot) has a non-finite component \(bad)")
                }
                scans[ns]!.vectorSlots.insert(slot)
            } catch {
                report.add("\(error)")
            }
            return .continue
        }
        try txn.forEach(in: dbs.graphState) { key, _ in
            if let ns = UInt32(bigEndianBytes: key), key.count == 4, scans[ns] != nil { return .continue }
            report.add("graph state stored for namespace id \(UInt32(bigEndianBytes: key).map(String.init) ?? "?"), which does not exist")
            return .continue
        }
    }

    /// Cross-checks of one namespace's entries, nodes, vectors and graph state.
    private func checkNamespace(_ txn: Transaction, _ id: UInt32, _ scan: Scan, _ report: inout VerificationReport) {
        let name = "namespace \"\(scan.name)\""
        for (entryID, slot) in scan.entrySlots.sorted(by: { $0.key < $1.key }) {
            if let node = scan.nodes[slot] {
                if node.state != .live || node.key != entryID {
                    report.add("\(name): entry \(entryID) points to slot \(slot), whose node is \(node.state) with key \(node.key)")
                }
            } else {
                report.add("\(name): entry \(entryID) points to slot \(slot), which has no graph node")
            }
            if !scan.vectorSlots.contains(slot) { report.add("\(name): entry \(entryID) has no vector (slot \(slot))") }
        }
        var live = 0, deleted = 0, topLevel = -1
        for (slot, node) in scan.nodes.sorted(by: { $0.key < $1.key }) {
            switch node.state {
            case .live:
                live += 1
                if scan.entrySlots[node.key] != slot {
                    report.add("\(name): live graph node at slot \(slot) has key \(node.key), which has no entry pointing to it")
                }
            case .deleted:
                deleted += 1
            case .free:
                report.add("\(name): slot \(slot) is stored as a free node (free slots have no record)")
                continue
            }
            topLevel = max(topLevel, node.level)
            if !scan.vectorSlots.contains(slot) { report.add("\(name): graph node at slot \(slot) has no vector") }
            for (level, links) in node.links.enumerated() {
                for target in links {
                    if target == slot {
                        report.add("\(name): slot \(slot) level \(level) links to itself")
                    } else if let other = scan.nodes[target], other.state != .free {
                        if other.level < level {
                            report.add("\(name): slot \(slot) level \(level) links to slot \(target), whose level is \(other.level)")
                        }
                    } else {
                        report.add("\(name): slot \(slot) level \(level) links to slot \(target), which is not a node")
                    }
                }
            }
        }
        for slot in scan.vectorSlots.sorted() where scan.nodes[slot] == nil {
            report.add("\(name): vector of slot \(slot) has no graph node")
        }
        let stateBytes: [UInt8]?
        do { stateBytes = try txn.get(Keys.namespace(id), in: dbs.graphState) } catch {
            report.add("\(name): graph state unreadable: \(error)")
            return
        }
        guard let stateBytes else {
            if !scan.nodes.isEmpty { report.add("\(name): \(scan.nodes.count) graph nodes but no graph state") }
            return
        }
        guard let state = try? HNSWGraphState(decoding: stateBytes) else {
            report.add("\(name): graph state fails its checksum or cannot be decoded")
            return
        }
        if state.liveCount != live { report.add("\(name): graph state counts \(state.liveCount) live nodes, the nodes say \(live)") }
        if state.deletedCount != deleted {
            report.add("\(name): graph state counts \(state.deletedCount) deleted nodes, the nodes say \(deleted)")
        }
        if scan.entrySlots.count != live { report.add("\(name): \(scan.entrySlots.count) entries but \(live) live graph nodes") }
        if let beyond = scan.nodes.keys.first(where: { Int($0) >= state.slotCount }) {
            report.add("\(name): graph node at slot \(beyond) is beyond the \(state.slotCount) slots of the graph state")
        }
        if live + deleted > 0 {
            if let entry = state.entryPoint, let node = scan.nodes[entry] {
                if node.level != state.maxLevel { report.add("\(name): entry point \(entry) has level \(node.level), the graph's top is \(state.maxLevel)") }
            } else {
                report.add("\(name): graph entry point \(state.entryPoint.map(String.init) ?? "none") is not a node")
            }
            if topLevel != state.maxLevel { report.add("\(name): graph state says top level \(state.maxLevel), the nodes reach \(topLevel)") }
        }
    }

    private func scanAudit(_ txn: Transaction, _ counters: Counters?, _ report: inout VerificationReport,
                           _ maxEntryID: inout UInt64, _ digests: [UInt64: Int]) throws {
        var expected: UInt64 = 1
        var owners: [UInt64: (namespace: String, entry: UInt64)] = [:]
        /// Per entry: its latest event's sequence, kind and the digest of its `after`.
        var latest: [UInt64: (sequence: UInt64, kind: AuditKind, after: Int?)] = [:]
        try txn.forEach(in: dbs.audit) { key, value in
            report.auditEvents += 1
            guard key.count == 8, let sequence = UInt64(bigEndianBytes: key) else {
                report.add("audit: key of \(key.count) bytes")
                return .continue
            }
            guard sequence < Counters.limit else {
                report.add("audit: event \(sequence) is beyond any sequence the store hands out")
                return .continue
            }
            if sequence != expected {
                report.add(sequence > expected ? "audit: events \(expected)…\(sequence - 1) are missing"
                                               : "audit: event \(sequence) is out of order")
            }
            expected = sequence + 1
            do {
                let event = try RecordCodec.decode(AuditEvent.self, from: Array(value), what: "audit event \(sequence)")
                if event.sequence != sequence { report.add("audit: event stored under \(sequence) says \(event.sequence)") }
                owners[sequence] = (event.namespace, event.entryID)
                if event.kind.changesEntry { latest[event.entryID] = (sequence, event.kind, event.after.map(Self.auditDigest)) }
                maxEntryID = max(maxEntryID, event.entryID)
                if try !txn.contains(Keys.auditByNamespace(event.namespace, sequence), in: dbs.auditByNamespace) {
                    report.add("audit: event \(sequence) is missing from the namespace index")
                }
                if try !txn.contains(Keys.auditByEntry(event.entryID, sequence), in: dbs.auditByEntry) {
                    report.add("audit: event \(sequence) is missing from the entry index")
                }
            } catch let error as MemoryStoreError {
                report.add("\(error)")
            }
            return .continue
        }
        // Entries and log agree: each entry is what its latest event left, and no entry whose
        // latest event created or changed it has vanished.
        for (id, digest) in digests.sorted(by: { $0.key < $1.key }) {
            guard let last = latest[id] else {
                report.add("entry \(id) has no audit event")
                continue
            }
            if last.after != digest {
                report.add("entry \(id) differs from what its latest audit event (\(last.sequence), \(last.kind)) recorded")
            }
        }
        for (id, last) in latest.sorted(by: { $0.key < $1.key }) where last.after != nil && digests[id] == nil {
            report.add("entry \(id) is missing, but its latest audit event (\(last.sequence), \(last.kind)) did not delete it")
        }
        if let counters, counters.nextSequence != expected {
            report.add("meta: next sequence is \(counters.nextSequence), the log ends at \(expected - 1)")
        }
        try txn.forEach(in: dbs.auditByNamespace) { key, _ in
            guard key.count >= 10, key[key.count - 9] == 0, let sequence = UInt64(bigEndianBytes: key, at: key.count - 8) else {
                report.add("audit namespace index: malformed key of \(key.count) bytes")
                return .continue
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: key[0..<(key.count - 9)]), as: UTF8.self)
            if let owner = owners[sequence] {
                if owner.namespace != name { report.add("audit namespace index lists event \(sequence) under \"\(name)\", the event says \"\(owner.namespace)\"") }
            } else {
                report.add("audit namespace index lists event \(sequence), which is missing or unreadable")
            }
            return .continue
        }
        try txn.forEach(in: dbs.auditByEntry) { key, _ in
            guard key.count == 16, let entry = UInt64(bigEndianBytes: key), let sequence = UInt64(bigEndianBytes: key, at: 8) else {
                report.add("audit entry index: malformed key of \(key.count) bytes")
                return .continue
            }
            if let owner = owners[sequence] {
                if owner.entry != entry { report.add("audit entry index lists event \(sequence) under entry \(entry), the event says \(owner.entry)") }
            } else {
                report.add("audit entry index lists event \(sequence), which is missing or unreadable")
            }
            return .continue
        }
    }
}

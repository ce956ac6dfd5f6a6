import HNSW
import Lexical
import LMDB

/// A namespace's lexical index in memory, shared by searches and the store's writer.
///
/// Kept true by the store: every write that adds, changes the text of, or removes an entry
/// writes the entry's ``LexicalDocument`` and the namespace's statistics in its own LMDB
/// transaction (see ``MemoryStore/addLexical(_:to:set:)``), and applies the same changes here
/// after the commit, before the write returns (read-your-writes). At open the index is loaded
/// from the stored documents; searches never read LMDB.
final class LexicalTable: @unchecked Sendable {
    // `index` is guarded by `lock`: searches hold it shared; the store's writer (which also
    // holds the store's `writeLock`) holds it exclusively to apply a committed write.
    private let lock = ReadWriteLock()
    private var index: InvertedIndex
    let tokenizer: LexicalTokenizer

    init(options: LexicalOptions, index: InvertedIndex = InvertedIndex()) {
        tokenizer = LexicalTokenizer(options: options)
        self.index = index
    }

    var options: LexicalOptions { tokenizer.options }

    /// The document of `text` under this namespace's options. O(text).
    func document(of text: String) -> LexicalDocument {
        LexicalDocument(terms: tokenizer.terms(of: text))
    }

    /// Runs `body` with shared access to the index.
    func read<R>(_ body: (InvertedIndex) throws -> R) rethrows -> R {
        try lock.withReadLock { try body(index) }
    }

    /// The statistics after `changes` (documents and Σ lengths), computed from the current
    /// index without changing it. O(changes).
    func statistics(after changes: [LexicalChange]) -> LexicalStatistics {
        lock.withReadLock {
            var count = Int64(index.documentCount)
            var total = Int64(index.totalLength)
            var replaced: [UInt64: Int64] = [:]  // key → length now (−1: absent)
            func current(_ key: UInt64) -> Int64 {
                if let known = replaced[key] { return known }
                return index.length(of: key).map(Int64.init) ?? -1
            }
            for change in changes {
                let before = current(change.key)
                if before >= 0 {
                    count -= 1
                    total -= before
                }
                if let document = change.document {
                    count += 1
                    total += Int64(document.length)
                    replaced[change.key] = Int64(document.length)
                } else {
                    replaced[change.key] = -1
                }
            }
            return LexicalStatistics(documents: UInt64(max(0, count)), totalLength: UInt64(max(0, total)))
        }
    }

    /// Applies committed `changes`. Precondition: the store's `writeLock` held. O(Σ terms).
    func apply(_ changes: [LexicalChange]) {
        guard !changes.isEmpty else { return }
        lock.withWriteLock {
            for change in changes {
                if let document = change.document {
                    index.insert(document, key: change.key)
                } else {
                    index.remove(change.key)
                }
            }
        }
    }
}

/// One entry's change in the lexical index: its new document, or `nil` for its removal.
struct LexicalChange {
    var key: UInt64
    var document: LexicalDocument?
}

/// A namespace's collection statistics as stored in `lexical_stats`.
struct LexicalStatistics: Equatable, Sendable {
    var documents: UInt64
    var totalLength: UInt64

    /// 16 bytes big-endian, then CRC-32C (LE) of them.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(documents)
        bytes.appendBigEndian(totalLength)
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    init(documents: UInt64, totalLength: UInt64) {
        self.documents = documents
        self.totalLength = totalLength
    }

    init(decoding bytes: [UInt8], what: @autoclosure () -> String) throws {
        guard bytes.count == 20, let documents = UInt64(bigEndianBytes: bytes, at: 0),
              let total = UInt64(bigEndianBytes: bytes, at: 8) else {
            throw MemoryStoreError.corrupt("\(what()): lexical statistics of \(bytes.count) bytes")
        }
        let stored = UInt32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self) })
        guard stored == CRC32C.checksum(Array(bytes[0..<16])) else {
            throw MemoryStoreError.corrupt("\(what()): lexical statistics checksum mismatch")
        }
        self.documents = documents
        totalLength = total
    }
}

/// Stored lexical documents: ``LexicalDocument/encoded()``, then its CRC-32C (LE).
enum LexicalRecordCodec {
    static func encode(_ document: LexicalDocument) -> [UInt8] {
        var bytes = document.encoded()
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// - Throws: `MemoryStoreError.corrupt` for a wrong checksum or an unreadable document.
    static func decode(_ raw: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws -> LexicalDocument {
        guard raw.count >= 5 else { throw MemoryStoreError.corrupt("\(what()): lexical record of \(raw.count) bytes") }
        let body = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)])
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self))
        guard stored == CRC32C.checksum(body) else {
            throw MemoryStoreError.corrupt("\(what()): lexical record checksum mismatch")
        }
        do {
            return try LexicalDocument(decoding: body)
        } catch {
            throw MemoryStoreError.corrupt("\(what()): lexical record: \(error)")
        }
    }
}

extension WriteSet {
    /// The lexical records of `changes` (documents written or deleted) and `statistics`.
    mutating func addLexical(_ changes: [LexicalChange], statistics: LexicalStatistics, namespace ns: UInt32) {
        for change in changes {
            let key = Keys.entry(ns, change.key)
            if let document = change.document {
                put(LexicalRecordCodec.encode(document), key: key, in: dbs.lexicalDocuments)
            } else {
                delete(key, in: dbs.lexicalDocuments)
            }
        }
        put(statistics.encoded(), key: Keys.namespace(ns), in: dbs.lexicalStatistics)
    }
}

extension MemoryStore {
    /// Adds `changes` to `set` with the statistics they lead to. Apply them to `ns.lexical`
    /// once `set` has committed. Precondition: `writeLock` held.
    func addLexical(_ changes: [LexicalChange], to ns: NamespaceHandle, set: inout WriteSet) {
        guard !changes.isEmpty else { return }
        set.addLexical(changes, statistics: ns.lexical.statistics(after: changes), namespace: ns.id)
    }
}

/// Loading and rebuilding a namespace's lexical index.
enum LexicalLoader {
    /// The namespace's index from its stored documents, checked against its statistics.
    /// O(Σ terms).
    /// - Throws: `MemoryStoreError.corrupt` for a damaged record or statistics that disagree.
    static func load(_ txn: Transaction, _ dbs: Databases, _ ns: StoredNamespace) throws -> LexicalTable {
        let what = "namespace \"\(ns.config.name)\""
        var index = InvertedIndex()
        try txn.forEach(in: dbs.lexicalDocuments, range: .prefix(Keys.namespace(ns.id))) { key, value in
            guard key.count == 12, let id = UInt64(bigEndianBytes: key, at: 4) else {
                throw MemoryStoreError.corrupt("\(what): lexical record key of \(key.count) bytes")
            }
            index.insert(try LexicalRecordCodec.decode(value, what: "\(what): entry \(id)"), key: id)
            return .continue
        }
        let stored = try txn.get(Keys.namespace(ns.id), in: dbs.lexicalStatistics)
            .map { try LexicalStatistics(decoding: $0, what: what) } ?? LexicalStatistics(documents: 0, totalLength: 0)
        let actual = LexicalStatistics(documents: UInt64(index.documentCount), totalLength: index.totalLength)
        guard stored == actual else {
            throw MemoryStoreError.corrupt("\(what): lexical statistics say \(stored.documents) documents of total length "
                + "\(stored.totalLength), the records hold \(actual.documents) of \(actual.totalLength) (run engram index rebuild)")
        }
        return LexicalTable(options: ns.config.lexical, index: index)
    }

    /// The lexical index of `ns` made anew from its entries' texts (damaged entry records are
    /// left out), with the keys of the lexical records stored now. O(entries·text).
    static func recompute(_ txn: Transaction, _ dbs: Databases, _ ns: StoredNamespace) throws -> LexicalRebuild {
        let table = LexicalTable(options: ns.config.lexical)
        let prefix = Keys.namespace(ns.id)
        var rebuild = LexicalRebuild()
        try txn.forEach(in: dbs.entries, range: .prefix(prefix)) { key, value in
            guard key.count == 12, let id = UInt64(bigEndianBytes: key, at: 4),
                  let entry = try? RecordCodec.decode(MemoryEntry.self, from: Array(value), what: "entry \(id)") else {
                return .continue
            }
            rebuild.documents.append(LexicalChange(key: id, document: table.document(of: entry.text)))
            return .continue
        }
        rebuild.storedKeys = try txn.keys(in: dbs.lexicalDocuments, range: .prefix(prefix))
        table.apply(rebuild.documents)
        rebuild.table = table
        return rebuild
    }

    /// Entries tokenised and written per transaction by ``write(_:_:_:)``.
    static let batchSize = 2000

    /// Replaces the namespace's stored lexical documents and statistics by those of its
    /// entries' texts, in transactions of at most ``batchSize`` records (a schema migration at
    /// open, where no other writer exists yet). Restartable: an interrupted run leaves some
    /// documents written and no statistics changed, and the next run deletes and writes
    /// everything again. Damaged entry records are left out. O(entries·text).
    static func write(_ env: Environment, _ dbs: Databases, _ ns: StoredNamespace) throws {
        let prefix = Keys.namespace(ns.id)
        while true {
            let stale = try env.read { txn in try txn.keys(in: dbs.lexicalDocuments, range: .prefix(prefix), limit: batchSize) }
            guard !stale.isEmpty else { break }
            try env.write { txn in
                for key in stale { _ = try txn.delete(key, in: dbs.lexicalDocuments) }
            }
        }
        let tokenizer = LexicalTokenizer(options: ns.config.lexical)
        var after: [UInt8]?
        var documents: UInt64 = 0
        var totalLength: UInt64 = 0
        while true {
            var batch: [([UInt8], LexicalDocument)] = []
            var last: [UInt8]?
            try env.read { txn in
                let range: KeyRange = after.map { KeyRange(lowerBound: $0 + [0], upperBound: KeyRange.prefix(prefix).upperBound) }
                    ?? .prefix(prefix)
                var seen = 0
                try txn.forEach(in: dbs.entries, range: range) { key, value in
                    seen += 1
                    last = Array(key)
                    if key.count == 12, let id = UInt64(bigEndianBytes: key, at: 4),
                       let entry = try? RecordCodec.decode(MemoryEntry.self, from: Array(value), what: "entry \(id)") {
                        batch.append((Array(key), LexicalDocument(terms: tokenizer.terms(of: entry.text))))
                    }
                    return seen < batchSize ? .continue : .stop
                }
            }
            guard let last else { break }
            try env.write { txn in
                for (key, document) in batch {
                    try txn.put(LexicalRecordCodec.encode(document), forKey: key, in: dbs.lexicalDocuments)
                }
            }
            for (_, document) in batch {
                documents += 1
                totalLength += UInt64(document.length)
            }
            after = last
        }
        let statistics = LexicalStatistics(documents: documents, totalLength: totalLength)
        try env.write { txn in try txn.put(statistics.encoded(), forKey: prefix, in: dbs.lexicalStatistics) }
    }
}

/// A namespace's lexical index recomputed from its entries: what to write to replace the
/// stored one, and the index in memory.
struct LexicalRebuild {
    var documents: [LexicalChange] = []
    var storedKeys: [[UInt8]] = []
    var table: LexicalTable?

    /// Deletes every stored record, writes the recomputed ones and the statistics.
    func write(to set: inout WriteSet, namespace ns: UInt32) {
        for key in storedKeys { set.delete(key, in: set.dbs.lexicalDocuments) }
        let total = documents.reduce(UInt64(0)) { $0 + UInt64($1.document?.length ?? 0) }
        set.addLexical(documents, statistics: LexicalStatistics(documents: UInt64(documents.count), totalLength: total),
                       namespace: ns)
    }
}

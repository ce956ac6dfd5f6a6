#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A namespace's lexical index in memory: for each term, the documents holding it and how
/// often (postings), each document's length, and the collection's size, scored with Okapi
/// BM25. Documents are keyed by entry id.
///
/// Layout: terms get dense `UInt32` ids; each term's postings are one flat array of
/// `(document slot, count)`; documents live in slots (`UInt32`), reused after removal, with
/// their key, length and term list in parallel arrays. A value type with no locking: the store
/// wraps it (readers share, the writer excludes).
public struct InvertedIndex: Sendable {
    struct Posting: Sendable {
        var document: UInt32
        var count: UInt32
    }

    struct TermCount: Sendable {
        var term: UInt32
        var count: UInt32
    }

    private var termIDs: [String: UInt32] = [:]
    private var termNames: [String] = []
    private var postings: [[Posting]] = []
    private var documentKeys: [UInt64] = []
    private var documentLengths: [UInt32] = []
    private var documentTerms: [[TermCount]] = []
    private var slotOfKey: [UInt64: UInt32] = [:]
    private var freeSlots: [UInt32] = []
    /// Ids of terms no document holds any more, reused by new terms.
    private var freeTermIDs: [UInt32] = []
    private var postingCount = 0
    private var termBytes = 0

    /// Documents indexed.
    public private(set) var documentCount = 0
    /// Σ document lengths.
    public private(set) var totalLength: UInt64 = 0

    public init() {}

    /// Mean document length (0 when empty).
    public var averageLength: Double {
        documentCount == 0 ? 0 : Double(totalLength) / Double(documentCount)
    }

    /// Distinct terms the indexed documents hold.
    public var termCount: Int { termIDs.count }

    /// Approximate bytes the index's content takes (postings and per-document term lists at 8
    /// bytes an item, term names, and a fixed overhead per term and document); computed from
    /// counts, not allocations, so equal content gives an equal figure. O(1).
    public var allocatedBytes: Int {
        2 * postingCount * MemoryLayout<Posting>.stride + termBytes + termIDs.count * 64 + documentCount * 64
    }

    /// The length of `key`'s document, or `nil` when it has none.
    public func length(of key: UInt64) -> UInt32? {
        slotOfKey[key].map { documentLengths[Int($0)] }
    }

    /// Whether `key` is indexed.
    public func contains(_ key: UInt64) -> Bool { slotOfKey[key] != nil }

    /// Every indexed key (any order).
    public var keys: Dictionary<UInt64, UInt32>.Keys { slotOfKey.keys }

    /// Indexes `document` under `key`, replacing what `key` had. O(terms + Σ df of the
    /// replaced document's terms).
    public mutating func insert(_ document: LexicalDocument, key: UInt64) {
        remove(key)
        let slot: UInt32
        if let reused = freeSlots.popLast() {
            slot = reused
        } else {
            slot = UInt32(documentKeys.count)
            documentKeys.append(0)
            documentLengths.append(0)
            documentTerms.append([])
        }
        var list: [TermCount] = []
        list.reserveCapacity(document.terms.count)
        for (term, count) in document.terms {
            let id: UInt32
            if let known = termIDs[term] {
                id = known
            } else if let reused = freeTermIDs.popLast() {
                id = reused
                termIDs[term] = id
                termNames[Int(id)] = term
                termBytes += term.utf8.count
            } else {
                id = UInt32(termNames.count)
                termIDs[term] = id
                termNames.append(term)
                postings.append([])
                termBytes += term.utf8.count
            }
            postings[Int(id)].append(Posting(document: slot, count: count))
            list.append(TermCount(term: id, count: count))
        }
        documentKeys[Int(slot)] = key
        documentLengths[Int(slot)] = document.length
        documentTerms[Int(slot)] = list
        slotOfKey[key] = slot
        documentCount += 1
        postingCount += list.count
        totalLength += UInt64(document.length)
    }

    /// Removes `key`'s document; `false` if it had none. O(Σ df of its terms): each posting
    /// list is searched for the document and the last posting moved into its place.
    @discardableResult
    public mutating func remove(_ key: UInt64) -> Bool {
        guard let slot = slotOfKey.removeValue(forKey: key) else { return false }
        for entry in documentTerms[Int(slot)] {
            let term = Int(entry.term)
            if let position = postings[term].firstIndex(where: { $0.document == slot }) {
                postings[term].swapAt(position, postings[term].count - 1)
                postings[term].removeLast()
                postingCount -= 1
            }
            if postings[term].isEmpty {
                // No document holds the term any more: forget it, keep its id for reuse.
                termIDs[termNames[term]] = nil
                termBytes -= termNames[term].utf8.count
                termNames[term] = ""
                postings[term] = []
                freeTermIDs.append(entry.term)
            }
        }
        totalLength -= UInt64(documentLengths[Int(slot)])
        documentCount -= 1
        documentTerms[Int(slot)] = []
        documentLengths[Int(slot)] = 0
        freeSlots.append(slot)
        return true
    }

    /// The document indexed under `key`, rebuilt from the index (verification). O(terms).
    public func document(_ key: UInt64) -> LexicalDocument? {
        guard let slot = slotOfKey[key] else { return nil }
        var counts: [String: UInt32] = [:]
        for entry in documentTerms[Int(slot)] { counts[termNames[Int(entry.term)]] = entry.count }
        return LexicalDocument(counts: counts)
    }

    /// Number of documents holding `term`.
    public func documentFrequency(_ term: String) -> Int {
        termIDs[term].map { postings[Int($0)].count } ?? 0
    }

    /// Distinct terms a query is scored on: the first ones, in query order. A query text of
    /// 32 KiB can hold thousands of terms, each costing its whole posting list.
    public static let maxQueryTerms = 256

    /// BM25 scores of every document holding at least one of `queryTerms` (a tokenizer's output;
    /// a repeated term counts as often as it occurs; terms past ``maxQueryTerms`` distinct
    /// ones are ignored):
    /// `Σ_t idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·len/avglen))`, with
    /// `idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))` (never negative).
    /// O(Σ df of the query's terms).
    public func scores(for queryTerms: [String], k1: Double, b: Double) -> LexicalScores {
        var weights: [UInt32: Double] = [:]
        var distinct = Set<String>()
        for term in queryTerms {
            if distinct.count == Self.maxQueryTerms && !distinct.contains(term) { continue }
            distinct.insert(term)
            if let id = termIDs[term] { weights[id, default: 0] += 1 }
        }
        var scores: [UInt64: Double] = [:]
        guard documentCount > 0, !weights.isEmpty else { return LexicalScores(scores: scores) }
        let n = Double(documentCount)
        let averageLength = max(self.averageLength, 1)
        let expected = weights.keys.reduce(0) { $0 + postings[Int($1)].count }
        scores.reserveCapacity(min(expected, documentCount))
        for (id, repeats) in weights {
            let list = postings[Int(id)]
            let df = Double(list.count)
            guard df > 0 else { continue }
            let idf = log(1 + (n - df + 0.5) / (df + 0.5)) * repeats
            for posting in list {
                let tf = Double(posting.count)
                let length = Double(documentLengths[Int(posting.document)])
                let norm = k1 * (1 - b + b * length / averageLength)
                scores[documentKeys[Int(posting.document)], default: 0] += idf * tf * (k1 + 1) / (tf + norm)
            }
        }
        return LexicalScores(scores: scores)
    }
}

/// A lexical query's result: the BM25 score of every matching entry.
public struct LexicalScores: Sendable {
    /// Entry id → score (> 0). Entries without any query term are absent (score 0).
    public let scores: [UInt64: Double]

    /// The best `limit` entries that `admits` accepts, best first (ties: lower id first).
    /// O(m log m) for m matches.
    public func ranked(limit: Int, admitting admits: (UInt64) -> Bool) -> [(key: UInt64, score: Double)] {
        var list = scores.filter { admits($0.key) }.map { (key: $0.key, score: $0.value) }
        list.sort { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }
        if list.count > limit { list.removeLast(list.count - limit) }
        return list
    }
}

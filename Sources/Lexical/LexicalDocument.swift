/// One entry as the lexical index sees it: how often each term occurs, and the length (all
/// terms counted with repeats) that BM25 normalises by.
public struct LexicalDocument: Sendable, Hashable {
    /// Distinct terms in ascending byte order, each with its count (≥ 1).
    public private(set) var terms: [(term: String, count: UInt32)]
    /// Σ counts.
    public private(set) var length: UInt32

    /// The document of `terms` (a tokenizer's output, repeats kept). O(n log n).
    public init(terms list: [String]) {
        var counts: [String: UInt32] = [:]
        for term in list { counts[term, default: 0] &+= 1 }
        self.init(counts: counts)
    }

    init(counts: [String: UInt32]) {
        terms = counts.map { (term: $0.key, count: $0.value) }.sorted { $0.term.utf8.lexicographicallyPrecedes($1.term.utf8) }
        length = terms.reduce(0) { $0 &+ $1.count }
    }

    public static func == (a: LexicalDocument, b: LexicalDocument) -> Bool {
        a.length == b.length && a.terms.elementsEqual(b.terms) { $0.term == $1.term && $0.count == $1.count }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(length)
        for (term, count) in terms {
            hasher.combine(term)
            hasher.combine(count)
        }
    }

    // MARK: binary form

    /// Longest term, in UTF-8 bytes: the tokenizer drops longer ones and a stored record with
    /// one is damaged.
    public static let maxTermBytes = 256

    /// `count` (varint), then per term: byte length (varint), UTF-8 bytes, count (varint).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + terms.count * 8)
        Varint.append(UInt64(terms.count), to: &bytes)
        for (term, count) in terms {
            Varint.append(UInt64(term.utf8.count), to: &bytes)
            bytes.append(contentsOf: term.utf8)
            Varint.append(UInt64(count), to: &bytes)
        }
        return bytes
    }

    /// Decodes ``encoded()`` output read from disk, checking everything: bounds, UTF-8, counts
    /// ≥ 1, terms strictly ascending (so a record has one reading), no trailing bytes, a total
    /// length that fits. - Throws: ``LexicalRecordError``. O(bytes).
    public init(decoding bytes: some Collection<UInt8>) throws(LexicalRecordError) {
        var reader = Array(bytes)[...]
        let count = try Varint.read(&reader)
        guard count <= UInt64(reader.count / 3) else { throw LexicalRecordError("term count \(count) exceeds the record") }
        var list: [(term: String, count: UInt32)] = []
        list.reserveCapacity(Int(count))
        var total: UInt32 = 0
        for _ in 0..<count {
            let size = try Varint.read(&reader)
            guard size >= 1, size <= UInt64(Self.maxTermBytes), size <= UInt64(reader.count) else {
                throw LexicalRecordError("term of \(size) bytes")
            }
            let raw = reader.prefix(Int(size))
            reader = reader.dropFirst(Int(size))
            guard let term = String(validating: raw, as: UTF8.self) else { throw LexicalRecordError("term is not UTF-8") }
            let occurrences = try Varint.read(&reader)
            guard occurrences >= 1, let small = UInt32(exactly: occurrences) else {
                throw LexicalRecordError("term count \(occurrences) out of range")
            }
            let (sum, overflow) = total.addingReportingOverflow(small)
            guard !overflow else { throw LexicalRecordError("document length overflows") }
            total = sum
            if let previous = list.last, !previous.term.utf8.lexicographicallyPrecedes(term.utf8) {
                throw LexicalRecordError("terms out of order")
            }
            list.append((term, small))
        }
        guard reader.isEmpty else { throw LexicalRecordError("\(reader.count) trailing bytes") }
        terms = list
        length = total
    }
}

/// A lexical record that cannot be read.
public struct LexicalRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// LEB128 unsigned integers.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Reads one varint of at most 10 bytes. - Throws: when the input ends inside it or it overflows.
    static func read(_ reader: inout ArraySlice<UInt8>) throws(LexicalRecordError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = reader.first {
            reader = reader.dropFirst()
            guard shift < 64, shift < 63 || byte <= 1 else { throw LexicalRecordError("varint overflows") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw LexicalRecordError("record ends inside a number")
    }
}

import EngramJSON
import Foundation

/// The JSON of `POST …/search`'s response, `{"hits":[{"distance":…,"entry":{…},"score":…,
/// "similarity":…}]}`, written by hand into one byte array.
///
/// Why: Foundation's `JSONEncoder` (through the `Encodable` containers, a `JSONEncoderValue`
/// tree and a sorted copy of every object) made ten hits, each a full ``MemoryEntry``, cost
/// about as much as the search itself; this writer halved what the route adds beyond the engine
/// (docs/performance.md#json-and-wire-codecs). It produces the *same document byte for byte*
/// as ``WireJSON/encoder()`` writes for ``SearchResponse``, so clients and the OpenAPI contract
/// see no difference:
/// - keys in the order `JSONEncoder`'s `.sortedKeys` gives on Linux (UTF-8 lexicographic),
///   optional fields omitted when `nil` (synthesized `encodeIfPresent`);
/// - numbers as `JSONEncoder` writes them: integers in decimal, `Float`/`Double` as Swift's
///   shortest round-trip `description` with a trailing `.0` dropped (`1.0` → `1`,
///   `1e-05` stays); NaN and ±infinity are refused, as `JSONEncoder` refuses them;
/// - strings escaped like `JSONEncoder` with `.withoutEscapingSlashes`: `"` and `\`, the
///   short forms `\b \f \n \r \t`, other control characters as `\u00xx` (lower-case hex);
///   everything else, non-ASCII included, is copied as UTF-8;
/// - dates as ISO 8601 with fractional seconds, as the format style the routes use
///   (``WireJSON/encoder()``) writes them: by ``WireDate`` (same bytes, by arithmetic), or
///   through the style itself outside WireDate's range, each such date once per document.
///
/// Complexity: O(output bytes), plus O(m log m) to sort each metadata object of m keys.
/// Containers nested 512 deep (counting from the document's outer object, as `JSONEncoder`
/// counts; the metadata object is the fifth) are refused like `JSONEncoder` refuses them.
package enum SearchResponseEncoder {
    /// Why a response could not be written; the route turns it into a 500, as it did for
    /// `JSONEncoder`'s `EncodingError`.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// NaN or ±infinity at the given field, which JSON cannot represent.
        case nonFiniteNumber(String)
        /// Metadata nested deeper than 512 levels.
        case tooDeep

        public var description: String {
            switch self {
            case .nonFiniteNumber(let field): "cannot encode a non-finite number in \(field)"
            case .tooDeep: "metadata nested too deeply to encode"
            }
        }
    }

    static let maximumDepth = 512

    /// `{"hits":[…]}` for `hits`, in their order.
    public static func encode(_ hits: [SearchHit]) throws(Failure) -> [UInt8] {
        var writer = Writer()
        var estimate = 16
        for hit in hits { estimate += 640 + hit.entry.text.utf8.count + hit.entry.namespace.utf8.count }
        writer.bytes.reserveCapacity(estimate)
        writer.raw("{\"hits\":[")
        for (index, hit) in hits.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            try writer.hit(hit)
        }
        writer.raw("]}")
        return writer.bytes
    }

    /// `value` as `JSONEncoder` writes a `Double`: `description` without a trailing `.0`;
    /// `nil` for NaN and infinities.
    static func numberText(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    /// As ``numberText(_:)-(Double)`` for a `Float`, whose shortest form differs from its
    /// widened `Double`'s (`0.1` rather than `0.10000000149011612`).
    static func numberText(_ value: Float) -> String? {
        guard value.isFinite else { return nil }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// The byte sink and the per-type writers. Keys are written literally, already in sorted order.
private struct Writer {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// ASCII known to need no escaping (keys and punctuation).
    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Decimal digits of `value`, without going through `String`.
    mutating func unsigned(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var position = buffer.count
            var rest = value
            while rest > 0 {
                position -= 1
                buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position...]))
        }
    }

    mutating func signed(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        unsigned(value.magnitude)
    }

    mutating func double(_ value: Double, field: String) throws(SearchResponseEncoder.Failure) {
        guard let text = SearchResponseEncoder.numberText(value) else { throw .nonFiniteNumber(field) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func float(_ value: Float, field: String) throws(SearchResponseEncoder.Failure) {
        guard let text = SearchResponseEncoder.numberText(value) else { throw .nonFiniteNumber(field) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// Dates outside ``WireDate``'s range already formatted in this document: a search response
    /// repeats its timestamps (`updated_at` equals `created_at` until an entry is edited; every
    /// hit of one search carries the same `last_used_at`), and Foundation's ISO 8601 formatter
    /// is costly per date (see docs/performance.md#json-and-wire-codecs). Memoizing returns
    /// exactly what the formatter returned.
    var formattedDates: [Date: String] = [:]

    mutating func date(_ value: Date) {
        byte(UInt8(ascii: "\""))
        if WireDate.format(value, into: &bytes) {
            // Foundation's text, by arithmetic (see WireDate).
        } else if let text = formattedDates[value] {
            bytes.append(contentsOf: text.utf8)
        } else {
            let text = WireDate.string(value)
            formattedDates[value] = text
            bytes.append(contentsOf: text.utf8)
        }
        byte(UInt8(ascii: "\""))
    }

    /// A quoted, escaped string (see ``SearchResponseEncoder`` for the rules).
    mutating func string(_ value: String) {
        byte(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { utf8 in
            var mark = 0
            for index in utf8.indices {
                let unit = utf8[index]
                guard unit < 0x20 || unit == UInt8(ascii: "\"") || unit == UInt8(ascii: "\\") else { continue }
                if mark < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark..<index])) }
                mark = index + 1
                switch unit {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    raw("\\u00")
                    bytes.append(Self.hex[Int(unit >> 4)])
                    bytes.append(Self.hex[Int(unit & 0x0F)])
                }
            }
            if mark < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark...])) }
        }
        byte(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// One ``SearchHit``: keys `components`, `context`, `distance`, `entry`, `score`,
    /// `similarity`, in that order; `nil` optionals omitted.
    mutating func hit(_ hit: SearchHit) throws(SearchResponseEncoder.Failure) {
        byte(UInt8(ascii: "{"))
        if let components = hit.components {
            raw("\"components\":{")
            var first = true
            let members: [(key: StaticString, name: String, value: Double?)] = [
                ("\"fused\":", "fused", components.fused), ("\"lexical\":", "lexical", components.lexical),
                ("\"vector\":", "vector", components.vector),
            ]
            for member in members {
                guard let value = member.value else { continue }
                if !first { byte(UInt8(ascii: ",")) }
                first = false
                raw(member.key)
                try double(value, field: member.name)
            }
            raw("},")
        }
        if let context = hit.context {
            raw("\"context\":{\"after\":[")
            for (index, entry) in context.after.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                try self.entry(entry, metadataDepth: 7)
            }
            raw("],\"before\":[")
            for (index, entry) in context.before.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                try self.entry(entry, metadataDepth: 7)
            }
            raw("]},")
        }
        if let distance = hit.distance {
            raw("\"distance\":")
            try float(distance, field: "distance")
            byte(UInt8(ascii: ","))
        }
        raw("\"entry\":")
        try entry(hit.entry, metadataDepth: 5)
        raw(",\"score\":")
        try double(hit.score, field: "score")
        if let similarity = hit.similarity {
            raw(",\"similarity\":")
            try double(similarity, field: "similarity")
        }
        byte(UInt8(ascii: "}"))
    }

    /// One ``MemoryEntry`` with its CodingKeys' names in sorted order; `nil` optionals omitted.
    /// - Parameter metadataDepth: the nesting depth of the entry's `metadata` object in the
    ///   document (5 for a hit's entry, 7 for one in its `context` lists), checked against
    ///   the depth limit `JSONEncoder` enforces.
    mutating func entry(_ entry: MemoryEntry, metadataDepth: Int) throws(SearchResponseEncoder.Failure) {
        raw("{\"confidence\":")
        try double(entry.confidence, field: "confidence")
        if !entry.conflictsWith.isEmpty {
            raw(",\"conflicts_with\":[")
            for (index, id) in entry.conflictsWith.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                unsigned(id)
            }
            byte(UInt8(ascii: "]"))
        }
        raw(",\"created_at\":")
        date(entry.createdAt)
        raw(",\"evidence\":{\"contradictions\":")
        unsigned(entry.evidence.contradictions)
        raw(",\"not_useful\":")
        unsigned(entry.evidence.notUseful)
        raw(",\"support\":")
        unsigned(entry.evidence.support)
        raw(",\"useful\":")
        unsigned(entry.evidence.useful)
        byte(UInt8(ascii: "}"))
        if let expiresAt = entry.expiresAt {
            raw(",\"expires_at\":")
            date(expiresAt)
        }
        raw(",\"id\":")
        unsigned(entry.id)
        if let lastUsedAt = entry.lastUsedAt {
            raw(",\"last_used_at\":")
            date(lastUsedAt)
        }
        if entry.learned { raw(",\"learned\":true") }
        raw(",\"metadata\":")
        try object(entry.metadata, depth: metadataDepth)
        raw(",\"namespace\":")
        string(entry.namespace)
        raw(",\"occurred_at\":")
        date(entry.occurredAt)
        if entry.pending { raw(",\"pending\":true") }
        raw(",\"pinned\":")
        bool(entry.pinned)
        if let position = entry.position {
            raw(",\"position\":")
            signed(position)
        }
        raw(",\"slot\":")
        unsigned(UInt64(entry.slot))
        raw(",\"source\":")
        string(entry.source)
        raw(",\"tags\":[")
        for (index, tag) in entry.tags.enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            string(tag)
        }
        raw("],\"text\":")
        string(entry.text)
        if let thread = entry.thread {
            raw(",\"thread\":")
            string(thread)
        }
        raw(",\"updated_at\":")
        date(entry.updatedAt)
        raw(",\"use_count\":")
        unsigned(entry.useCount)
        if let validFrom = entry.validFrom {
            raw(",\"valid_from\":")
            date(validFrom)
        }
        if let validTo = entry.validTo {
            raw(",\"valid_to\":")
            date(validTo)
        }
        raw(",\"version\":")
        unsigned(entry.version)
        byte(UInt8(ascii: "}"))
    }

    /// A metadata object, keys sorted by their UTF-8 bytes as `JSONEncoder` sorts them.
    mutating func object(_ members: [String: JSONValue], depth: Int) throws(SearchResponseEncoder.Failure) {
        guard depth < SearchResponseEncoder.maximumDepth else { throw .tooDeep }
        byte(UInt8(ascii: "{"))
        let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (index, member) in sorted.enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            string(member.key)
            byte(UInt8(ascii: ":"))
            try value(member.value, depth: depth + 1)
        }
        byte(UInt8(ascii: "}"))
    }

    mutating func value(_ value: JSONValue, depth: Int) throws(SearchResponseEncoder.Failure) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): bool(flag)
        case .number(let number): try double(number, field: "metadata")
        case .string(let text): string(text)
        case .array(let elements):
            guard depth < SearchResponseEncoder.maximumDepth else { throw .tooDeep }
            byte(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                try self.value(element, depth: depth + 1)
            }
            byte(UInt8(ascii: "]"))
        case .object(let members): try object(members, depth: depth)
        }
    }
}

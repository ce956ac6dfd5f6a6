import EngramJSON
import Foundation

/// Reads `POST …/search`'s response, `{"hits": [SearchHit]}`, without `JSONDecoder`.
///
/// Why: decoding the hits with `JSONDecoder` cost the client more than the daemon's whole HTTP
/// handling of the request (docs/performance.md#json-and-wire-codecs). This reader walks the bytes once with ``JSONReader`` and builds
/// the same values. It returns `nil` for any document it does not take (malformed, a key given
/// twice, a date in an unusual form…), and the client then decodes with `JSONDecoder`, so a
/// response decodes to exactly what it did before, or fails with the same message.
///
/// Dates: the daemon writes ISO 8601 with milliseconds and `Z` (`2026-11-29T13:02:24.123Z`);
/// ``WireDate/parse(_:)`` converts those by arithmetic to the very `Date` Foundation's parser
/// gives, and leaves every other form to Foundation's parser (once per distinct text). O(bytes).
public enum SearchResponseReader {
    public static func hits(_ body: [UInt8]) -> [SearchHit]? {
        body.withUnsafeBytes { raw -> [SearchHit]? in
            var reader = JSONReader(raw)
            var dates = DateParser()
            var hits: [SearchHit]?
            do throws(JSONReader.Failure) {
                var seen = SeenKeys()
                try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
                    guard key == "hits" else { return try reader.skipValue() }
                    try seen.first(0, key, reader)
                    var list: [SearchHit] = []
                    try reader.forEachElement { (reader) throws(JSONReader.Failure) in
                        list.append(try hit(&reader, dates: &dates))
                    }
                    hits = list
                }
                try reader.expectEnd()
            } catch {
                return nil
            }
            return hits
        }
    }

    private static func hit(_ reader: inout JSONReader, dates: inout DateParser) throws(JSONReader.Failure) -> SearchHit {
        var entry: MemoryEntry?, distance: Float?, similarity: Double?, score: Double?
        var components: ScoreComponents?
        var context: HitContext?
        var seen = SeenKeys()
        try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
            switch key {
            case "entry":
                try seen.first(0, key, reader)
                entry = try MemoryEntry(reading: &reader) { (reader: inout JSONReader) throws(JSONReader.Failure) in
                    try dates.date(&reader)
                }
            case "distance": try seen.first(1, key, reader); distance = try reader.float()
            case "similarity": try seen.first(2, key, reader); similarity = try reader.double()
            case "score": try seen.first(3, key, reader); score = try reader.double()
            case "components": try seen.first(4, key, reader); components = try Self.components(&reader)
            case "context":
                try seen.first(5, key, reader)
                var before: [MemoryEntry] = [], after: [MemoryEntry] = []
                var seenLists = SeenKeys()
                try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
                    guard key == "before" || key == "after" else { return try reader.skipValue() }
                    try seenLists.first(key == "before" ? 0 : 1, key, reader)
                    var list: [MemoryEntry] = []
                    try reader.forEachElement { (reader) throws(JSONReader.Failure) in
                        list.append(try MemoryEntry(reading: &reader) { (reader: inout JSONReader) throws(JSONReader.Failure) in
                            try dates.date(&reader)
                        })
                    }
                    if key == "before" { before = list } else { after = list }
                }
                context = HitContext(before: before, after: after)
            default: try reader.skipValue()
            }
        }
        guard let entry, let score else { throw reader.failure("hit without every field") }
        return SearchHit(entry: entry, distance: distance, similarity: similarity, score: score, components: components,
                         context: context)
    }

    private static func components(_ reader: inout JSONReader) throws(JSONReader.Failure) -> ScoreComponents {
        var components = ScoreComponents()
        var seen = SeenKeys()
        try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
            switch key {
            case "vector": try seen.first(0, key, reader); components.vector = try reader.double()
            case "lexical": try seen.first(1, key, reader); components.lexical = try reader.double()
            case "fused": try seen.first(2, key, reader); components.fused = try reader.double()
            default: try reader.skipValue()
            }
        }
        return components
    }
}

/// ISO 8601 dates as the daemon writes them, to the same `Date` as ``WireJSON``'s decoder.
struct DateParser {
    /// Foundation's answers for texts the fast path leaves to it, per document.
    private var parsed: [String: Date] = [:]

    mutating func date(_ reader: inout JSONReader) throws(JSONReader.Failure) -> Date {
        var probe = reader  // a copy, so a date the fast path declines is read again as text
        if let raw = try probe.plainStringBytes(), let date = WireDate.parse(raw) {
            reader = probe
            return date
        }
        let text = try reader.string()
        if let date = parsed[text] { return date }
        guard let date = WireJSON.parseDate(text) else { throw reader.failure("expected an ISO 8601 date, got \"\(text)\"") }
        parsed[text] = date
        return date
    }
}

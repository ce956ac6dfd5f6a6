
import EngramJSON

extension SearchRequest {
    /// The common search body without its vector — `{"k": 10, "ef": 64}`, maybe with `text`
    /// and `mode` — read with ``JSONReader`` instead of `JSONDecoder`; `nil` for anything else (a
    /// `filter` or `rank`, an unknown key, a key given twice, a number that is not a plain
    /// integer, `null`s aside), which the route then decodes strictly with `JSONDecoder`, so
    /// every accepted body means what it meant and every refused one gets the same error.
    ///
    /// Why: `JSONDecoder`'s generic containers spent a tenth of what the daemon adds to a
    /// vector search on these few bytes (docs/performance.md#json-and-wire-codecs). O(bytes).
    package static func readPlain(_ bytes: [UInt8]) -> SearchRequest? {
        bytes.withUnsafeBytes { raw -> SearchRequest? in
            var reader = JSONReader(raw)
            var body = SearchRequest()
            var seen = SeenKeys()
            do throws(JSONReader.Failure) {
                try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
                    switch key {
                    case "k":
                        try seen.first(0, key, reader)
                        body.k = reader.consumeNull() ? nil : try integer(&reader)
                    case "ef":
                        try seen.first(1, key, reader)
                        body.ef = reader.consumeNull() ? nil : try integer(&reader)
                    case "text":
                        try seen.first(2, key, reader)
                        body.text = reader.consumeNull() ? nil : try reader.string()
                    case "mode":
                        try seen.first(3, key, reader)
                        if !reader.consumeNull() {
                            guard let mode = SearchMode(rawValue: try reader.string()) else { throw reader.failure("left to JSONDecoder") }
                            body.mode = mode
                        }
                    default:
                        throw reader.failure("left to JSONDecoder")
                    }
                }
                try reader.expectEnd()
            } catch {
                return nil
            }
            return body
        }
    }

    /// A plain non-negative integer that fits `Int` (negative ones are left to `JSONDecoder`
    /// and the engine's range check, like everything unusual).
    private static func integer(_ reader: inout JSONReader) throws(JSONReader.Failure) -> Int {
        guard let value = Int(exactly: try reader.uint64()) else { throw reader.failure("out of range") }
        return value
    }
}

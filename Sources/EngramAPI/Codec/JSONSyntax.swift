
import EngramJSON

/// Strict JSON syntax (RFC 8259) of a request body, checked before `JSONDecoder` decodes it.
///
/// Why: Foundation's `JSONDecoder` accepts some text that is not JSON — a trailing comma
/// (`[1, 2,]`, `{"a": 1,}`) among it — while the routes that read bodies with ``JSONReader``
/// refuse it, so the same body was valid on one route and invalid on the next. O(bytes),
/// no allocation beyond the reader's container stack.
enum JSONSyntax {
    /// `malformed_json` (with the byte offset) unless `bytes` is exactly one JSON value; `nil`
    /// when it is.
    static func failure(_ bytes: UnsafeRawBufferPointer) -> APIError? {
        var reader = JSONReader(bytes)
        do {
            reader.skipWhitespace()
            try reader.skipValue()
            try reader.expectEnd()
            return nil
        } catch {
            return APIError.malformedJSON(error.description)
        }
    }
}

import EngramJSON
public import Foundation
import Synchronization

/// The API's JSON conventions, shared by every document: snake-case keys (each document
/// carries its own `CodingKeys`), sorted keys, unescaped slashes, and ISO 8601 dates with
/// milliseconds (``WireDate``); plain ISO 8601 is accepted on the way in.
public enum WireJSON {
    static let fractionalStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let plainStyle = Date.ISO8601FormatStyle()

    /// The encoder of every document: the daemon's responses, the client's request bodies, the
    /// CLI's `--json` output and exports.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(WireDate.string(date))
        }
        return encoder
    }

    /// An ISO 8601 date with or without fractional seconds; `nil` for anything else.
    public static func parseDate(_ text: String) -> Date? {
        (try? Date(text, strategy: fractionalStyle)) ?? (try? Date(text, strategy: plainStyle))
    }

    /// A decoder for one response document.
    ///
    /// Dates are memoized per decoder (so per response): a response repeats its timestamps
    /// (`updated_at` equals `created_at` until an entry is edited, every hit of one search
    /// carries the same `last_used_at`), and Foundation's ISO 8601 parser is slow beside the
    /// rest of the document (see docs/performance.md#json-and-wire-codecs). The memo returns
    /// what the parser returned for the same text, so results are identical. Not for a whole
    /// file of documents: the memo would grow with every distinct date (use
    /// ``RequestJSON/decoder()``).
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        let parsed = DateMemo()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parsed.dates.withLock({ $0[text] }) { return date }
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date, got \"\(text)\"")
            }
            parsed.dates.withLock { $0[text] = date }
            return date
        }
        return decoder
    }

    /// Parsed dates by their text, for one decoder. The `Mutex` is what lets the `@Sendable`
    /// date strategy share it (a decoder runs on one thread, so it is never contended).
    final class DateMemo: Sendable {
        let dates = Mutex<[String: Date]>([:])
    }

    /// `text` as a JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t`
    /// or `\u00xx`, everything else (non-ASCII included) copied as UTF-8 (what `JSONEncoder`
    /// writes with `.withoutEscapingSlashes`). O(bytes).
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\""))
        for unit in text.utf8 {
            switch unit {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                hex.withUTF8Buffer { digits in
                    out.append(digits[Int(unit >> 4)])
                    out.append(digits[Int(unit & 0x0F)])
                }
            default: out.append(unit)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension SearchRequest {
    /// The body's JSON written directly: the same members as ``encode(to:)``, without
    /// `JSONEncoder` for the text, the numbers and the vector (the optional `filter`, `rank` and
    /// `fusion` still go through it), which spent most of a search body's encoding time on the
    /// `vector_b64` string (see docs/performance.md#json-and-wire-codecs).
    public func jsonBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + (vector?.count ?? 0) * 6 + (text?.utf8.count ?? 0) * 2)
        out.append(UInt8(ascii: "{"))
        func key(_ name: String) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        if let text {
            key("text")
            WireJSON.appendString(text, to: &out)
        }
        if let vector {
            key("vector_b64")
            out.append(UInt8(ascii: "\""))
            VectorCodec.appendBase64(vector, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let k {
            key("k")
            out.append(contentsOf: String(k).utf8)
        }
        if let ef {
            key("ef")
            out.append(contentsOf: String(ef).utf8)
        }
        if let filter {
            key("filter")
            out.append(contentsOf: try WireJSON.encoder().encode(filter))
        }
        if let rank {
            key("rank")
            out.append(contentsOf: try WireJSON.encoder().encode(rank))
        }
        if let mode {
            key("mode")
            WireJSON.appendString(mode.rawValue, to: &out)
        }
        if let fusion {
            key("fusion")
            out.append(contentsOf: try WireJSON.encoder().encode(fusion))
        }
        if let context {
            key("context")
            out.append(contentsOf: String(context).utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

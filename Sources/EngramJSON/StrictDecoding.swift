import Foundation

/// A request field the endpoint does not define.
public struct UnknownFieldError: Error, Equatable, Sendable {
    /// Dotted path of the field, e.g. `filter.tagz`.
    public let path: String
}

/// Any string key; used to list the keys actually present in a JSON object.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws ``UnknownFieldError`` if the JSON object being decoded has a key outside `keys`.
    ///
    /// How strict decoding works: request types implement `init(from:)` (or a synthesized one
    /// plus this call at its start) and call `try decoder.rejectUnknownKeys(CodingKeys.self)`
    /// with `CodingKeys: CaseIterable`. It asks the decoder for the keys present, which
    /// Foundation's JSONDecoder answers from the already-parsed object, so the body is parsed
    /// once and nested objects are checked by their own types' `init(from:)`. Unknown fields
    /// are rejected rather than ignored because a misspelt `filter` or `k` would otherwise
    /// silently return the wrong results.
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        try rejectUnknownKeys(allowing: Set(Keys.allCases.map(\.stringValue)))
    }

    /// ``rejectUnknownKeys(_:)`` for a set of member names (a document made of several types'
    /// members).
    public func rejectUnknownKeys(allowing allowed: Set<String>) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let path = (codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue } + [key.stringValue])
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            throw UnknownFieldError(path: path)
        }
    }
}

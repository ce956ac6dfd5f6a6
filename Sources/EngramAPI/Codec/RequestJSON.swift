import EngramJSON
import Foundation

/// Reading a JSON request body under the API's error model: invalid UTF-8, an empty body,
/// malformed JSON and unknown, missing or mistyped fields each become a 400 ``APIError`` with a
/// stable code. Both daemons decode every body through ``decode(_:from:)``.
package enum RequestJSON {
    /// The decoder of request bodies: dates are ISO 8601 strings, with or without fractional
    /// seconds.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = WireJSON.parseDate(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date, got \"\(text)\"")
            }
            return date
        }
        return decoder
    }

    /// Checks that `bytes` are one well-formed JSON document in UTF-8, before a decoder or a
    /// reader walks them. O(bytes).
    /// - Throws: `invalid_utf8`, `malformed_json` (empty, or a syntax error with its place).
    public static func checkSyntax(_ bytes: [UInt8]) throws(APIError) {
        let valid = bytes.withUnsafeBytes { raw in (try? validateUTF8(raw)) != nil }
        if !valid { throw APIError.invalidUTF8 }
        if bytes.isEmpty { throw APIError.malformedJSON("the body is empty") }
        if let failure = bytes.withUnsafeBytes({ JSONSyntax.failure($0) }) { throw failure }
    }

    /// Decodes `T` strictly from body bytes. `T` should reject unknown keys in its
    /// `init(from:)` (see `Decoder.rejectUnknownKeys(_:)`). O(bytes).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        try checkSyntax(bytes)
        do {
            return try decoder().decode(T.self, from: Data(bytes))
        } catch let error as APIError {
            throw error
        } catch let error as UnknownFieldError {
            throw APIError.unknownField(error.path)
        } catch let error as VectorCodecError {
            throw APIError.invalidVector("vector", error)
        } catch let error as DecodingError {
            throw bytes.withUnsafeBytes { NumberRangeDiagnosis.refined(APIError(decoding: error), body: $0) }
        } catch {
            throw APIError.malformedJSON("\(error)")
        }
    }

    /// Throws `invalid_utf8` unless `bytes` is well-formed UTF-8. ASCII (the common case for
    /// JSON) is checked eight bytes at a time without allocating. O(bytes).
    public static func validateUTF8(_ bytes: UnsafeRawBufferPointer) throws(APIError) {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        if index == count { return }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
        var iterator = rest.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return
            case .error: throw APIError.invalidUTF8
            }
        }
    }
}

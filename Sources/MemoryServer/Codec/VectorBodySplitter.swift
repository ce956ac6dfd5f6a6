/// Takes the vector out of a JSON request object so that Foundation never decodes it.
///
/// A search body is mostly its vector: `{"vector": [384 numbers], "k": 10, "filter": {...}}`.
/// ``split(_:vectorKey:base64Key:expectedDimension:maxDimension:)`` walks the top-level object
/// once, parses the `vector` member with ``FloatArrayParser`` (or `vector_b64` with the base64
/// decoder) and copies every other member verbatim into `remainder`, a smaller JSON object that
/// the route then decodes strictly with `JSONDecoder` (unknown fields, types). The walk only
/// needs to find member boundaries; any malformation inside the copied members is still caught
/// by `JSONDecoder` on the remainder, so validation is not weakened.
public enum VectorBodySplitter {
    public struct Result: Sendable {
        /// The decoded vector, nil when the body has neither key.
        public var vector: [Float]?
        /// Which key carried it (`vector` or `vector_b64`).
        public var vectorField: String?
        /// The body without the vector member, as a JSON object.
        public var remainder: [UInt8]
    }

    /// Deepest nesting accepted in skipped members (JSONDecoder checks the rest).
    static let maxDepth = 512

    public static func split(
        _ bytes: [UInt8],
        vectorKey: String = "vector",
        base64Key: String = "vector_b64",
        expectedDimension: Int? = nil,
        maxDimension: Int = VectorCodec.defaultMaxDimension
    ) throws(APIError) -> Result {
        do {
            return try bytes.withUnsafeBytes { raw in
                try split(raw, vectorKey: vectorKey, base64Key: base64Key,
                          expectedDimension: expectedDimension, maxDimension: maxDimension)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internalError
        }
    }

    public static func split(
        _ bytes: UnsafeRawBufferPointer,
        vectorKey: String = "vector",
        base64Key: String = "vector_b64",
        expectedDimension: Int? = nil,
        maxDimension: Int = VectorCodec.defaultMaxDimension
    ) throws(APIError) -> Result {
        let valid = (try? JSONBody.validateUTF8(bytes)) != nil
        if !valid { throw APIError.invalidUTF8 }
        var scanner = Scanner(bytes: bytes)
        var result = Result(vector: nil, vectorField: nil, remainder: [UInt8(ascii: "{")])
        result.remainder.reserveCapacity(min(bytes.count, 4096))
        var members = 0
        scanner.skipWhitespace()
        guard scanner.consume(UInt8(ascii: "{")) else { throw scanner.malformed("expected a JSON object") }
        scanner.skipWhitespace()
        if !scanner.consume(UInt8(ascii: "}")) {
            while true {
                scanner.skipWhitespace()
                let memberStart = scanner.position
                let key = try scanner.string()
                scanner.skipWhitespace()
                guard scanner.consume(UInt8(ascii: ":")) else { throw scanner.malformed("expected ':' after a key") }
                scanner.skipWhitespace()
                if key == vectorKey || key == base64Key {
                    if let previous = result.vectorField {
                        throw previous == key
                            ? APIError.invalidField(key, "given more than once")
                            : APIError.invalidField(key, "give either \(vectorKey) or \(base64Key), not both")
                    }
                    result.vectorField = key
                    if key == vectorKey {
                        var parser = FloatArrayParser(bytes: bytes, position: scanner.position)
                        do {
                            result.vector = try parser.parseArray(expectedDimension: expectedDimension, maxDimension: maxDimension)
                        } catch {
                            throw APIError.invalidVector(key, error)
                        }
                        scanner.position = parser.position
                    } else {
                        let text = try scanner.string()
                        do {
                            result.vector = try VectorCodec.decodeBase64(text, expectedDimension: expectedDimension, maxDimension: maxDimension)
                        } catch {
                            throw APIError.invalidVector(key, error)
                        }
                    }
                } else {
                    try scanner.skipValue()
                    if members > 0 { result.remainder.append(UInt8(ascii: ",")) }
                    result.remainder.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[memberStart..<scanner.position]))
                    members += 1
                }
                scanner.skipWhitespace()
                if scanner.consume(UInt8(ascii: ",")) { continue }
                if scanner.consume(UInt8(ascii: "}")) { break }
                throw scanner.malformed("expected ',' or '}'")
            }
        }
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { throw scanner.malformed("unexpected bytes after the object") }
        result.remainder.append(UInt8(ascii: "}"))
        return result
    }

    struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        func malformed(_ message: String) -> APIError {
            .malformedJSON("\(message) at byte \(position)")
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        /// A JSON string (position at its opening quote), unescaped.
        mutating func string() throws(APIError) -> String {
            guard consume(UInt8(ascii: "\"")) else { throw malformed("expected a string") }
            let start = position
            var escaped = false
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                    position += 1
                    return escaped ? try unescape(raw) : String(decoding: raw, as: UTF8.self)
                }
                if byte < 0x20 { throw malformed("control character in a string") }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    position += 1
                }
                position += 1
            }
            throw malformed("unterminated string")
        }

        /// Escapes are rare in keys and base64; handled simply and exactly.
        private func unescape(_ raw: UnsafeRawBufferPointer) throws(APIError) -> String {
            var scalars = String.UnicodeScalarView()
            var index = 0
            let text = Array(raw)
            var pendingHigh: UInt32?
            while index < text.count {
                let byte = text[index]
                guard byte == UInt8(ascii: "\\") else {
                    // Copy one UTF-8 sequence as is.
                    var end = index + 1
                    while end < text.count, text[end] & 0xC0 == 0x80 { end += 1 }
                    scalars.append(contentsOf: String(decoding: text[index..<end], as: UTF8.self).unicodeScalars)
                    index = end
                    continue
                }
                guard index + 1 < text.count else { throw malformed("bad escape") }
                let code = text[index + 1]
                index += 2
                let simple: Unicode.Scalar? = switch code {
                case UInt8(ascii: "\""): "\""
                case UInt8(ascii: "\\"): "\\"
                case UInt8(ascii: "/"): "/"
                case UInt8(ascii: "b"): "\u{08}"
                case UInt8(ascii: "f"): "\u{0C}"
                case UInt8(ascii: "n"): "\n"
                case UInt8(ascii: "r"): "\r"
                case UInt8(ascii: "t"): "\t"
                default: nil
                }
                if let simple { scalars.append(simple); continue }
                guard code == UInt8(ascii: "u"), index + 4 <= text.count,
                      let value = UInt32(String(decoding: text[index..<index + 4], as: UTF8.self), radix: 16) else {
                    throw malformed("bad escape")
                }
                index += 4
                if let high = pendingHigh {
                    pendingHigh = nil
                    guard (0xDC00...0xDFFF).contains(value),
                          let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00)) else {
                        throw malformed("bad surrogate pair")
                    }
                    scalars.append(scalar)
                } else if (0xD800...0xDBFF).contains(value) {
                    pendingHigh = value
                } else if let scalar = Unicode.Scalar(value) {
                    scalars.append(scalar)
                } else {
                    throw malformed("bad escape")
                }
            }
            if pendingHigh != nil { throw malformed("bad surrogate pair") }
            return String(scalars)
        }

        /// Moves past one value without interpreting it; stops at the ',' or '}' after it.
        mutating func skipValue() throws(APIError) {
            var depth = 0
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    _ = try string()
                    if depth == 0 { return }
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > VectorBodySplitter.maxDepth { throw malformed("nesting deeper than \(VectorBodySplitter.maxDepth)") }
                    position += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if depth == 0 {
                        if position == start { throw malformed("expected a value") }
                        return
                    }
                    depth -= 1
                    position += 1
                    if depth == 0 { return }
                case UInt8(ascii: ","), 0x20, 0x09, 0x0A, 0x0D:
                    if depth == 0 {
                        if position == start { throw malformed("expected a value") }
                        return
                    }
                    position += 1
                default:
                    position += 1
                }
            }
            throw malformed("the input ended inside a value")
        }
    }
}

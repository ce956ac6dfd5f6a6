import EngramJSON

/// Takes the vector out of a JSON request object so that Foundation never decodes it.
///
/// A search body is mostly its vector: `{"vector": [384 numbers], "k": 10, "filter": {...}}`.
/// ``split(_:vectorKey:base64Key:expectedDimension:maxDimension:)`` walks the top-level object
/// once with EngramJSON's strict ``JSONReader``, parses the `vector` member with
/// ``FloatArrayParser`` (or `vector_b64` with the base64 decoder) and copies every other
/// member verbatim into `remainder`, a smaller JSON object that the route then decodes
/// strictly (unknown fields, types). Malformed JSON anywhere in the body, nesting beyond
/// ``JSONReader/maximumDepth`` included, is `malformed_json`.
package enum VectorBodySplitter {
    public struct Result: Sendable {
        /// The decoded vector, nil when the body has neither key.
        public var vector: [Float]?
        /// Which key carried it (`vector` or `vector_b64`).
        public var vectorField: String?
        /// The body without the vector member, as a JSON object.
        public var remainder: [UInt8]
    }

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
        let valid = (try? RequestJSON.validateUTF8(bytes)) != nil
        if !valid { throw APIError.invalidUTF8 }
        do {
            return try splitMembers(bytes, vectorKey: vectorKey, base64Key: base64Key,
                                    expectedDimension: expectedDimension, maxDimension: maxDimension)
        } catch let failure as JSONReader.Failure {
            throw APIError.malformedJSON(failure.description)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internalError
        }
    }

    /// The walk itself: ``JSONReader`` finds (and checks) each member; the vector's is parsed,
    /// every other member's bytes are copied as they are. Throws `JSONReader.Failure` for
    /// malformed JSON and `APIError` for a bad vector member.
    private static func splitMembers(
        _ bytes: UnsafeRawBufferPointer, vectorKey: String, base64Key: String, expectedDimension: Int?, maxDimension: Int
    ) throws -> Result {
        var reader = JSONReader(bytes)
        var result = Result(vector: nil, vectorField: nil, remainder: [UInt8(ascii: "{")])
        result.remainder.reserveCapacity(min(bytes.count, 4096))
        var members = 0
        try reader.expect(UInt8(ascii: "{"))
        if !reader.consume(UInt8(ascii: "}")) {
            while true {
                reader.skipWhitespace()
                let memberStart = reader.position
                let key = try reader.string()
                try reader.expect(UInt8(ascii: ":"))
                reader.skipWhitespace()
                if key == vectorKey || key == base64Key {
                    if let previous = result.vectorField {
                        throw previous == key
                            ? APIError.invalidField(key, "given more than once")
                            : APIError.invalidField(key, "give either \(vectorKey) or \(base64Key), not both")
                    }
                    result.vectorField = key
                    if key == vectorKey {
                        var parser = FloatArrayParser(bytes: bytes, position: reader.position)
                        do {
                            result.vector = try parser.parseArray(expectedDimension: expectedDimension, maxDimension: maxDimension)
                        } catch {
                            throw APIError.invalidVector(key, error)
                        }
                        reader.skip(to: parser.position)
                    } else {
                        let text = try reader.string()
                        do {
                            result.vector = try VectorCodec.decodeBase64(text, expectedDimension: expectedDimension, maxDimension: maxDimension)
                        } catch {
                            throw APIError.invalidVector(key, error)
                        }
                    }
                } else {
                    try reader.skipValue()
                    if members > 0 { result.remainder.append(UInt8(ascii: ",")) }
                    result.remainder.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[memberStart..<reader.position]))
                    members += 1
                }
                if reader.consume(UInt8(ascii: ",")) { continue }
                try reader.expect(UInt8(ascii: "}"))
                break
            }
        }
        try reader.expectEnd()
        result.remainder.append(UInt8(ascii: "}"))
        return result
    }
}

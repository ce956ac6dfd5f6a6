import Foundation

/// Vectors on the wire, both ways: a JSON array of numbers (`"vector": [0.1, ...]`) or base64 of
/// little-endian float32 (`"vector_b64": "zczMPQ..."`, the convention of OpenAI's embeddings
/// API with `encoding_format=base64`). Decoding rejects NaN/Inf and checks the dimension.
public enum VectorCodec {
    /// Upper bound on components when the caller does not know the dimension; stops a hostile
    /// body from making the parser build a huge array.
    public static let defaultMaxDimension = 4096

    // MARK: JSON arrays

    /// Parses `bytes`, which must hold exactly one JSON array of numbers (whitespace around it
    /// allowed).
    public static func decodeJSONArray(
        _ bytes: UnsafeRawBufferPointer,
        expectedDimension: Int? = nil,
        maxDimension: Int = defaultMaxDimension
    ) throws(VectorCodecError) -> [Float] {
        var parser = FloatArrayParser(bytes: bytes)
        let values = try parser.parseArray(expectedDimension: expectedDimension, maxDimension: maxDimension)
        try parser.expectEnd()
        return values
    }

    /// ``decodeJSONArray(_:expectedDimension:maxDimension:)`` for any contiguous bytes.
    public static func decodeJSONArray(
        _ bytes: [UInt8],
        expectedDimension: Int? = nil,
        maxDimension: Int = defaultMaxDimension
    ) throws(VectorCodecError) -> [Float] {
        try typed {
            try bytes.withUnsafeBytes { raw in
                try decodeJSONArray(raw, expectedDimension: expectedDimension, maxDimension: maxDimension)
            }
        }
    }

    /// Appends `vector` as a JSON array. Each component is written with Swift's shortest
    /// round-tripping representation, so a client parsing it as float32 gets the same bits.
    /// Non-finite components cannot occur (decoding rejects them) and are written as `null`.
    public static func appendJSONArray(_ vector: [Float], to output: inout [UInt8]) {
        output.reserveCapacity(output.count + vector.count * 12 + 2)
        output.append(UInt8(ascii: "["))
        for (index, value) in vector.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            if value.isFinite {
                output.append(contentsOf: value.description.utf8)
            } else {
                output.append(contentsOf: "null".utf8)
            }
        }
        output.append(UInt8(ascii: "]"))
    }

    /// `vector` as JSON array text.
    public static func encodeJSONArray(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        appendJSONArray(vector, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Restores the typed error lost through the standard library's `rethrows` buffer accessors.
    package static func typed<T>(_ body: () throws -> T) throws(VectorCodecError) -> T {
        do {
            return try body()
        } catch let error as VectorCodecError {
            throw error
        } catch {
            // Only VectorCodecError is thrown inside; kept total instead of trapping.
            throw .syntax(offset: 0, message: "\(error)")
        }
    }

    // MARK: Base64 float32

    /// Base64 (standard alphabet, padded) of the little-endian float32 bytes of `vector`.
    public static func encodeBase64(_ vector: [Float]) -> String {
        var littleEndian = vector.map { $0.bitPattern.littleEndian }
        return littleEndian.withUnsafeMutableBytes { Data($0).base64EncodedString() }
    }

    /// Decodes base64 (standard alphabet; padding optional; no whitespace) of little-endian
    /// float32 values.
    public static func decodeBase64(
        _ text: String,
        expectedDimension: Int? = nil,
        maxDimension: Int = defaultMaxDimension
    ) throws(VectorCodecError) -> [Float] {
        var text = text
        return try typed {
            try text.withUTF8 { utf8 in
                try decodeBase64(UnsafeRawBufferPointer(utf8), expectedDimension: expectedDimension, maxDimension: maxDimension)
            }
        }
    }

    /// Decodes base64 bytes of little-endian float32 values straight into the result's storage.
    public static func decodeBase64(
        _ input: UnsafeRawBufferPointer,
        expectedDimension: Int? = nil,
        maxDimension: Int = defaultMaxDimension
    ) throws(VectorCodecError) -> [Float] {
        var length = input.count
        if length >= 1, input[length - 1] == UInt8(ascii: "=") { length -= 1 }
        if length >= 1, input[length - 1] == UInt8(ascii: "=") { length -= 1 }
        if input.count % 4 != 0, length != input.count {
            throw .invalidBase64("padded input must be a multiple of 4 characters long")
        }
        if length % 4 == 1 { throw .invalidBase64("truncated input") }
        let byteCount = length / 4 * 3 + (length % 4 == 0 ? 0 : length % 4 - 1)
        guard byteCount % 4 == 0 else {
            throw .invalidBase64("\(byteCount) bytes is not a whole number of float32 values")
        }
        let dimension = byteCount / 4
        if dimension == 0 { throw .empty }
        if dimension > maxDimension { throw .tooManyComponents(limit: maxDimension) }
        if let expectedDimension, dimension != expectedDimension {
            throw .dimensionMismatch(expected: expectedDimension, actual: dimension)
        }
        var badOffset = -1
        let values = [Float](unsafeUninitializedCapacity: dimension) { storage, initialized in
            let out = UnsafeMutableRawBufferPointer(storage)
            badOffset = Self.decodeBase64Bytes(input, length: length, into: out)
            if badOffset >= 0 { out.initializeMemory(as: UInt8.self, repeating: 0) }
            initialized = dimension
        }
        if badOffset >= 0 { throw .invalidBase64("invalid character at offset \(badOffset)") }
        #if _endian(big)
        var result = values
        for i in result.indices { result[i] = Float(bitPattern: UInt32(littleEndian: result[i].bitPattern)) }
        #else
        let result = values
        #endif
        for index in result.indices where !result[index].isFinite {
            throw .nonFinite(index: index)
        }
        return result
    }

    /// Decodes `length` base64 characters into `out`; returns the offset of the first invalid
    /// character, or -1.
    private static func decodeBase64Bytes(_ input: UnsafeRawBufferPointer, length: Int, into out: UnsafeMutableRawBufferPointer) -> Int {
        let table = base64Table
        var inIndex = 0
        var outIndex = 0
        return table.withUnsafeBufferPointer { table in
            while inIndex + 4 <= length {
                let a = table[Int(input[inIndex])], b = table[Int(input[inIndex + 1])]
                let c = table[Int(input[inIndex + 2])], d = table[Int(input[inIndex + 3])]
                if (a | b | c | d) & 0x80 != 0 {
                    return inIndex + [a, b, c, d].firstIndex { $0 & 0x80 != 0 }!
                }
                let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                out[outIndex] = UInt8(truncatingIfNeeded: bits >> 16)
                out[outIndex + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                out[outIndex + 2] = UInt8(truncatingIfNeeded: bits)
                inIndex += 4
                outIndex += 3
            }
            let rest = length - inIndex
            if rest >= 2 {
                let a = table[Int(input[inIndex])], b = table[Int(input[inIndex + 1])]
                let c = rest == 3 ? table[Int(input[inIndex + 2])] : 0
                if (a | b | c) & 0x80 != 0 {
                    return inIndex + [a, b, c].firstIndex { $0 & 0x80 != 0 }!
                }
                let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                out[outIndex] = UInt8(truncatingIfNeeded: bits >> 16)
                if rest == 3 { out[outIndex + 1] = UInt8(truncatingIfNeeded: bits >> 8) }
            }
            return -1
        }
    }

    /// 6-bit value of each ASCII byte, 0xFF for bytes outside the standard alphabet.
    private static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()
}

extension VectorCodec {
    /// ``encodeBase64(_:)`` appended to `out` as bytes, without the intermediate `Data` and
    /// `String`. O(dimension).
    public static func appendBase64(_ vector: [Float], to out: inout [UInt8]) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        alphabet.withUTF8Buffer { alphabet in
            var pending: UInt32 = 0  // up to 3 bytes waiting, most significant first
            var pendingCount = 0
            func push(_ byte: UInt8) {
                pending = pending << 8 | UInt32(byte)
                pendingCount += 1
                if pendingCount == 3 {
                    out.append(alphabet[Int(pending >> 18 & 0x3F)])
                    out.append(alphabet[Int(pending >> 12 & 0x3F)])
                    out.append(alphabet[Int(pending >> 6 & 0x3F)])
                    out.append(alphabet[Int(pending & 0x3F)])
                    pending = 0
                    pendingCount = 0
                }
            }
            for value in vector {
                let bits = value.bitPattern
                push(UInt8(truncatingIfNeeded: bits))
                push(UInt8(truncatingIfNeeded: bits >> 8))
                push(UInt8(truncatingIfNeeded: bits >> 16))
                push(UInt8(truncatingIfNeeded: bits >> 24))
            }
            if pendingCount == 1 {
                out.append(alphabet[Int(pending >> 2 & 0x3F)])
                out.append(alphabet[Int(pending << 4 & 0x3F)])
                out.append(contentsOf: "==".utf8)
            } else if pendingCount == 2 {
                out.append(alphabet[Int(pending >> 10 & 0x3F)])
                out.append(alphabet[Int(pending >> 4 & 0x3F)])
                out.append(alphabet[Int(pending << 2 & 0x3F)])
                out.append(UInt8(ascii: "="))
            }
        }
    }
}

/// The `vector_b64` member of a request body, written beside the body's other members.
enum VectorB64Key: String, CodingKey { case vectorB64 = "vector_b64" }

extension Encoder {
    /// Writes `vector`, when there is one, as the body's `vector_b64` member (base64 of
    /// little-endian float32, see ``VectorCodec/encodeBase64(_:)``).
    func encodeVectorB64(_ vector: [Float]?) throws {
        guard let vector else { return }
        var container = container(keyedBy: VectorB64Key.self)
        try container.encode(VectorCodec.encodeBase64(vector), forKey: .vectorB64)
    }
}

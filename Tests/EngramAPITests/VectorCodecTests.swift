import EngramJSON
@testable import EngramAPI
import Foundation
import Testing

@Suite("Vector codec")
struct VectorCodecTests {
    /// The exact reference: each token through the standard library's correctly rounded
    /// `Double(String)`, then narrowed to Float.
    static func exact(_ tokens: [String]) -> [Float] {
        tokens.map { Float(Double($0)!) }
    }

    /// What a client gets from Foundation's JSONSerialization. On Linux its number parser is not
    /// always correctly rounded (inputs next to a float rounding midpoint can come out one float
    /// ulp away), so comparisons with it allow one ulp; ``exact(_:)`` is the strict reference.
    static func reference(_ text: String) throws -> [Float] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let numbers = try #require(object as? [NSNumber])
        return numbers.map { Float($0.doubleValue) }
    }

    static func formats(_ value: Float, _ generator: inout some RandomNumberGenerator) -> String {
        let double = Double(value)
        switch Int.random(in: 0..<7, using: &generator) {
        case 0: return value.description  // Swift shortest float (e.g. 0.12345679, 1e-05)
        case 1: return double.description  // 17 significant digits, like Python's repr of a float32
        case 2: return String(format: "%.9e", double)
        case 3: return String(format: "%.17g", double * Double.random(in: 0.9...1.1, using: &generator))
        case 4: return String(format: "%.25f", double)  // more than 19 significant digits
        case 5: return String(Int.random(in: -1_000_000...1_000_000, using: &generator))
        default: return String(format: "%.6E", double * 1e-30)  // exponent beyond the fast path
        }
    }

    @Test("random arrays decode exactly like JSONSerialization")
    func randomAgainstFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let dimension = round == 0 ? 384 : Int.random(in: 1...512, using: &generator)
            let values = (0..<dimension).map { _ in
                Float.random(in: -1...1, using: &generator) * Float(pow(10, Double(Int.random(in: -8...8, using: &generator))))
            }
            let separator = [",", ", ", " ,\n\t"][round % 3]
            let tokens = values.map { Self.formats($0, &generator) }
            let text = "[" + tokens.joined(separator: separator) + "]"
            let expected = Self.exact(tokens)
            let foundation = try Self.reference(text)
            let decoded = try VectorCodec.decodeJSONArray(Array(text.utf8), expectedDimension: dimension)
            #expect(decoded.count == expected.count)
            #expect(foundation.count == expected.count)
            for index in expected.indices where decoded[index] != expected[index] {
                Issue.record("component \(index) (\(tokens[index])): \(decoded[index]) != \(expected[index])")
                break
            }
            for index in foundation.indices
            where decoded[index] != foundation[index] && decoded[index].nextUp != foundation[index]
                && decoded[index].nextDown != foundation[index] {
                Issue.record("component \(index) (\(tokens[index])): \(decoded[index]) vs JSONSerialization \(foundation[index])")
                break
            }
        }
    }

    @Test("near-midpoint and long mantissas stay exact")
    func hardRounding() throws {
        // 17-19 digit mantissas (beyond 2^53) and halfway cases between adjacent floats.
        var texts: [String] = ["0.30000001192092896", "1.0000000596046448", "1.00000005960464477539",
                               "3.4028234663852886e38", "1.1754943508222875e-38", "1.401298464324817e-45",
                               "9007199254740993", "0.1", "-0.0", "0", "1E2", "1e+2", "123456789012345678901234567890"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let f = Float.random(in: 1e-3...1e3, using: &generator)
            let next = f.nextUp
            let midpoint = (Double(f) + Double(next)) / 2
            texts.append(String(format: "%.19g", midpoint))
            texts.append(String(format: "%.17g", midpoint.nextUp))
            texts.append(String(format: "%.17g", midpoint.nextDown))
        }
        let text = "[" + texts.joined(separator: ",") + "]"
        let expected = Self.exact(texts)
        let decoded = try VectorCodec.decodeJSONArray(Array(text.utf8), maxDimension: texts.count)
        #expect(decoded.count == expected.count)
        for index in expected.indices where decoded[index] != expected[index] {
            Issue.record("\(texts[index]): \(decoded[index]) != \(expected[index])")
        }
    }

    @Test("hostile and malformed inputs are rejected with a code, never a crash",
          arguments: [
            "", " ", "[", "]", "[1", "[1,", "[1,]", "[,1]", "[1 2]", "[[1]]", "[1,[2]]", "[{}]", "{}", "1",
            "[\"1\"]", "[true]", "[null]", "[NaN]", "[Infinity]", "[-Infinity]", "[nan]", "[+1]", "[01]", "[1.]",
            "[.5]", "[1e]", "[1e+]", "[-]", "[--1]", "[0x10]", "[1]x", "[1] [2]", "[1,2,3]garbage", "[1\u{0}]",
          ])
    func malformed(text: String) {
        // (Foundation's JSONSerialization is laxer: it accepts "[1,]" and turns true into 1.)
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeJSONArray(Array(text.utf8)) }
    }

    @Test("numbers outside float32 range are rejected as non-finite; underflow becomes zero")
    func ranges() throws {
        for text in ["[1e39]", "[-1e39]", "[1e400]", "[3.5e38]", "[1" + String(repeating: "0", count: 400) + "]"] {
            #expect(throws: VectorCodecError.nonFinite(index: 0)) { try VectorCodec.decodeJSONArray(Array(text.utf8)) }
        }
        #expect(throws: VectorCodecError.nonFinite(index: 2)) { try VectorCodec.decodeJSONArray(Array("[0,1,1e99]".utf8)) }
        #expect(try VectorCodec.decodeJSONArray(Array("[1e-400, -1e-50]".utf8)) == [0, 0])
        #expect(try VectorCodec.decodeJSONArray(Array("[1e-1000000000000]".utf8)) == [0])
    }

    @Test("dimension checks and limits")
    func dimensions() throws {
        #expect(throws: VectorCodecError.dimensionMismatch(expected: 3, actual: 2)) {
            try VectorCodec.decodeJSONArray(Array("[1,2]".utf8), expectedDimension: 3)
        }
        #expect(throws: VectorCodecError.empty) { try VectorCodec.decodeJSONArray(Array("[ ]".utf8)) }
        let huge = "[" + Array(repeating: "0", count: 100_000).joined(separator: ",") + "]"
        #expect(throws: VectorCodecError.tooManyComponents(limit: 4096)) { try VectorCodec.decodeJSONArray(Array(huge.utf8)) }
        let nested = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeJSONArray(Array(nested.utf8)) }
    }

    @Test("every truncation of a valid array is an error, never a crash")
    func truncations() throws {
        let text = Array("[ -1.5e-3, 0.25 , 3E+2,-0 ,12345678901234567890.5e-10 ]".utf8)
        #expect(try VectorCodec.decodeJSONArray(text).count == 5)
        for length in 0..<text.count - 1 {
            let prefix = Array(text[0..<length])
            #expect(throws: VectorCodecError.self) { try VectorCodec.decodeJSONArray(prefix) }
        }
    }

    @Test("JSON arrays written by the codec read back bit for bit")
    func jsonRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<384).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator)) }
            .filter(\.isFinite)
        let text = VectorCodec.encodeJSONArray(values)
        let decoded = try VectorCodec.decodeJSONArray(Array(text.utf8))
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try Self.reference(text) == values)
    }

    @Test("base64 float32 round-trips and matches Foundation's decoding")
    func base64() throws {
        var generator = SystemRandomNumberGenerator()
        for dimension in [1, 2, 3, 4, 383, 384, 385] {
            let values = (0..<dimension).map { _ in Float.random(in: -10...10, using: &generator) }
            let encoded = VectorCodec.encodeBase64(values)
            let data = try #require(Data(base64Encoded: encoded))
            let viaFoundation = data.withUnsafeBytes { raw in
                (0..<dimension).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            #expect(viaFoundation == values)
            #expect(try VectorCodec.decodeBase64(encoded, expectedDimension: dimension) == values)
            // Padding is optional.
            var unpadded = encoded
            while unpadded.hasSuffix("=") { unpadded.removeLast() }
            #expect(try VectorCodec.decodeBase64(unpadded) == values)
        }
        // OpenAI-style known value: [1.0, -2.0] little-endian float32.
        #expect(try VectorCodec.decodeBase64("AACAPwAAAMA=") == [1.0, -2.0])
    }

    @Test("bad base64 is rejected")
    func base64Errors() throws {
        let one = VectorCodec.encodeBase64([1.5])
        #expect(throws: VectorCodecError.dimensionMismatch(expected: 2, actual: 1)) { try VectorCodec.decodeBase64(one, expectedDimension: 2) }
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeBase64("AAAA") }  // 3 bytes: not whole floats
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeBase64("AACAP!AA") }
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeBase64("AACA PwAA") }
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeBase64("A") }
        #expect(throws: VectorCodecError.self) { try VectorCodec.decodeBase64("AACAPw=") }
        #expect(throws: VectorCodecError.empty) { try VectorCodec.decodeBase64("") }
        for bad in [Float.nan, .infinity, -.infinity, Float(bitPattern: 0x7FC0_0001)] {
            #expect(throws: VectorCodecError.nonFinite(index: 1)) { try VectorCodec.decodeBase64(VectorCodec.encodeBase64([0, bad, 1])) }
        }
        let tooLong = VectorCodec.encodeBase64([Float](repeating: 1, count: 5000))
        #expect(throws: VectorCodecError.tooManyComponents(limit: 4096)) { try VectorCodec.decodeBase64(tooLong) }
    }

    @Test("vector errors map to stable API codes")
    func apiCodes() {
        #expect(VectorCodecError.nonFinite(index: 0).code == "non_finite_vector")
        #expect(VectorCodecError.dimensionMismatch(expected: 1, actual: 2).code == "dimension_mismatch")
        #expect(VectorCodecError.syntax(offset: 0, message: "").code == "invalid_vector")
        let apiError = APIError.invalidVector("vector_b64", .invalidBase64("x"))
        #expect(apiError.status == .badRequest && apiError.code == "invalid_vector")
    }
}

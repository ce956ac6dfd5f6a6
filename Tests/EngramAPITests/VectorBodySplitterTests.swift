import EngramJSON
@testable import EngramAPI
import Foundation
import Testing

@Suite("Vector body splitter")
struct VectorBodySplitterTests {
    static func object(_ bytes: [UInt8]) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }

    @Test("the vector is parsed and every other member survives verbatim")
    func basic() throws {
        let body = Array(#"{ "k" : 10, "vector" : [1, -2.5, 3e-1] , "filter": {"tags": ["a,}", "b\"]"], "n": null}, "text": "x\u00e9\/y" }"#.utf8)
        let result = try VectorBodySplitter.split(body, expectedDimension: 3)
        #expect(result.vector == [1, -2.5, 0.3])
        #expect(result.vectorField == "vector")
        let expected = try Self.object(body).mutableCopy() as! NSMutableDictionary
        expected.removeObject(forKey: "vector")
        #expect(try Self.object(result.remainder) == expected)
    }

    @Test("random objects split exactly like Foundation sees them")
    func random() throws {
        var generator = SystemRandomNumberGenerator()
        func value(_ depth: Int) -> Any {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
            case 0: return Int.random(in: -1000...1000, using: &generator)
            case 1: return ["a", "b,c", "}{", "\"q\"", "é/ü", "tab\t", "[x]"].randomElement(using: &generator)!
            case 2: return Bool.random(using: &generator)
            case 3: return NSNull()
            case 4: return (0..<Int.random(in: 0...3, using: &generator)).map { _ in value(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for i in 0..<Int.random(in: 0...3, using: &generator) { object["key\(i),}"] = value(depth + 1) }
                return object
            }
        }
        for round in 0..<300 {
            var object: [String: Any] = [:]
            for i in 0..<Int.random(in: 0...6, using: &generator) { object["f\(i)"] = value(0) }
            let vector = (0..<8).map { _ in Float.random(in: -1...1, using: &generator) }
            let useBase64 = round % 2 == 0
            if useBase64 {
                object["vector_b64"] = VectorCodec.encodeBase64(vector)
            } else {
                object["vector"] = vector.map { Double($0) }
            }
            let body = [UInt8](try JSONSerialization.data(withJSONObject: object))
            let result = try VectorBodySplitter.split(body, expectedDimension: 8)
            #expect(result.vector == vector)
            #expect(result.vectorField == (useBase64 ? "vector_b64" : "vector"))
            object.removeValue(forKey: useBase64 ? "vector_b64" : "vector")
            #expect(try Self.object(result.remainder) == object as NSDictionary)
        }
    }

    @Test("a body without a vector passes through; escaped base64 slashes are understood")
    func edgeCases() throws {
        let plain = try VectorBodySplitter.split(Array(#"{"text":"hello"}"#.utf8))
        #expect(plain.vector == nil && plain.vectorField == nil)
        #expect(String(decoding: plain.remainder, as: UTF8.self) == #"{"text":"hello"}"#)
        let empty = try VectorBodySplitter.split(Array(" {} ".utf8))
        #expect(String(decoding: empty.remainder, as: UTF8.self) == "{}")

        let vector: [Float] = [0.25, -1, 3, 1e-7, 42, 0.5]
        let escaped = VectorCodec.encodeBase64(vector).replacingOccurrences(of: "/", with: #"\/"#)
        let result = try VectorBodySplitter.split(Array(#"{"vector_b64":"\#(escaped)"}"#.utf8))
        #expect(result.vector == vector)
        // An escaped key is still recognised.
        let keyEscaped = try VectorBodySplitter.split(Array(#"{"vec\u0074or":[1,2]}"#.utf8))
        #expect(keyEscaped.vector == [1, 2])
    }

    @Test("bad bodies get stable codes", arguments: [
        (#"{"vector":[1,2],"vector_b64":"AACAPw=="}"#, "invalid_field"),
        (#"{"vector":[1,2],"vector":[1,2]}"#, "invalid_field"),
        (#"{"vector":[1,NaN]}"#, "invalid_vector"),
        (#"{"vector":[1,1e39]}"#, "non_finite_vector"),
        (#"{"vector":[1,2,3]}"#, "dimension_mismatch"),
        (#"{"vector":"AACAPwAAgD8AAIA/"}"#, "invalid_vector"),
        (#"{"vector_b64":"AAD4fwAAgD8="}"#, "non_finite_vector"),
        (#"{"vector_b64":[1,2]}"#, "malformed_json"),
        (#"[1,2]"#, "malformed_json"),
        (#"{"a":1"#, "malformed_json"),
        (#"{"a":1,}"#, "malformed_json"),
        (#"{"a" 1}"#, "malformed_json"),
        (#"{"a":}"#, "malformed_json"),
        (#"{"a":1} x"#, "malformed_json"),
        (#"{"a":"unterminated}"#, "malformed_json"),
    ])
    func errors(body: String, code: String) {
        let error = #expect(throws: APIError.self) {
            try VectorBodySplitter.split(Array(body.utf8), expectedDimension: 2)
        }
        #expect(error?.code == code, "\(body): \(error.map { "\($0)" } ?? "no error")")
    }

    @Test("invalid UTF-8, deep nesting and every truncation are rejected, never a crash")
    func hostile() throws {
        let invalid = Array(#"{"text":""#.utf8) + [0xFF] + Array(#"","vector":[1]}"#.utf8)
        #expect(throws: APIError.invalidUTF8) { try VectorBodySplitter.split(invalid) }
        let deep = Array((#"{"a":"# + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}").utf8)
        let deepError = #expect(throws: APIError.self) { try VectorBodySplitter.split(deep) }
        #expect(deepError?.code == "malformed_json")
        let body = Array(#"{"k":10,"vector":[1.5,-2],"filter":{"tags":["a"]},"text":"hi"}"#.utf8)
        #expect(try VectorBodySplitter.split(body).vector == [1.5, -2])
        for length in 0..<body.count - 1 {
            #expect(throws: APIError.self) { try VectorBodySplitter.split(Array(body[0..<length])) }
        }
    }

    @Test("the remainder is then decoded strictly: unknown fields are still caught")
    func strictRemainder() throws {
        let ok = try VectorBodySplitter.split(Array(#"{"name":"n","vector":[1],"count":3}"#.utf8))
        let probe = try RequestJSON.decode(ProbeBody.self, from: ok.remainder)
        #expect(probe.name == "n" && probe.count == 3)
        let typo = try VectorBodySplitter.split(Array(#"{"name":"n","vector":[1],"count":3,"cuont":4}"#.utf8))
        #expect(throws: APIError.unknownField("cuont")) { try RequestJSON.decode(ProbeBody.self, from: typo.remainder) }
        // Mismatched brackets inside a copied member: caught by the splitter or by JSONDecoder.
        for body in [#"{"name":"n","vector":[1],"count":[3}"#, #"{"name":"n","vector":[1],"count":{"a":[}]}"#] {
            let error = #expect(throws: APIError.self) {
                let split = try VectorBodySplitter.split(Array(body.utf8))
                _ = try RequestJSON.decode(ProbeBody.self, from: split.remainder)
            }
            #expect(error?.code == "malformed_json", "\(body)")
        }
    }
}

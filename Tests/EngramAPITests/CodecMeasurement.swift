import EngramJSON
@testable import EngramAPI
import Foundation
import Testing

/// Micro measurement of 384-d vector decoding: this codec against Foundation, in the same run.
/// Prints figures and asserts only correctness (timings vary by machine; no timing assertions).
/// Off by default; run in release for meaningful numbers:
///   ENGRAM_CODEC_BENCH=1 swift test -c release --filter EngramAPITests.CodecMeasurement
@Suite("Codec measurement", .enabled(if: ProcessInfo.processInfo.environment["ENGRAM_CODEC_BENCH"] != nil))
struct CodecMeasurement {
    @Test("µs per 384-d decode: FloatArrayParser and base64 vs JSONDecoder and JSONSerialization")
    func measure() throws {
        print(try CodecMeasurement.report(dimension: 384, iterations: 3000))
    }

    /// Runs every decoder on the same inputs and returns a table of median µs per decode.
    static func report(dimension: Int, iterations: Int) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let vector = (0..<dimension).map { _ in Float.random(in: -0.2...0.2, using: &generator) }
        let shortText = VectorCodec.encodeJSONArray(vector)  // Swift shortest float digits
        let longText = "[" + vector.map { Double($0).description }.joined(separator: ",") + "]"  // 17 digits, like Python
        let base64 = VectorCodec.encodeBase64(vector)
        var lines = ["decoder (\(dimension)-d)                       µs/decode (median of 7 batches of \(iterations))"]
        for (name, text) in [("shortest digits", shortText), ("17 digits", longText)] {
            let bytes = Array(text.utf8)
            let data = Data(text.utf8)
            let decoder = JSONDecoder()
            #expect(try decoder.decode([Float].self, from: data) == vector)
            #expect(try VectorCodec.decodeJSONArray(bytes, expectedDimension: dimension) == vector)
            lines.append(String(format: "JSONDecoder [Float], %-15@  %8.2f", name as NSString,
                                time(iterations) { _ = try? decoder.decode([Float].self, from: data) }))
            lines.append(String(format: "JSONSerialization,  %-15@  %8.2f", name as NSString,
                                time(iterations) { _ = try? JSONSerialization.jsonObject(with: data) }))
            lines.append(String(format: "VectorCodec JSON,   %-15@  %8.2f", name as NSString,
                                time(iterations) { _ = try? VectorCodec.decodeJSONArray(bytes, expectedDimension: dimension) }))
        }
        // A whole search body: Foundation decoding everything vs splitter + Foundation for the rest.
        struct WholeSearch: Decodable { let vector: [Float]; let k: Int; let ef: Int; let filter: [String: [String]] }
        struct RestOfSearch: Decodable { let k: Int; let ef: Int; let filter: [String: [String]] }
        let body = Array(#"{"k":10,"ef":64,"filter":{"tags_any":["prefs","work"]},"vector":\#(shortText)}"#.utf8)
        let bodyData = Data(body)
        #expect(try JSONDecoder().decode(WholeSearch.self, from: bodyData).vector == vector)
        lines.append(String(format: "search body, JSONDecoder              %8.2f", time(iterations) {
            _ = try? JSONDecoder().decode(WholeSearch.self, from: bodyData)
        }))
        lines.append(String(format: "search body, splitter + JSONDecoder   %8.2f", time(iterations) {
            guard let split = try? VectorBodySplitter.split(body, expectedDimension: dimension) else { return }
            _ = try? RequestJSON.decode(RestOfSearch.self, from: split.remainder)
        }))
        #expect(try VectorCodec.decodeBase64(base64, expectedDimension: dimension) == vector)
        lines.append(String(format: "Data(base64Encoded:) + copy          %8.2f", time(iterations) {
            let data = Data(base64Encoded: base64)!
            _ = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }))
        lines.append(String(format: "VectorCodec base64                   %8.2f",
                            time(iterations) { _ = try? VectorCodec.decodeBase64(base64, expectedDimension: dimension) }))
        lines.append(String(format: "VectorCodec encode JSON              %8.2f",
                            time(iterations) { _ = VectorCodec.encodeJSONArray(vector) }))
        lines.append(String(format: "VectorCodec encode base64            %8.2f",
                            time(iterations) { _ = VectorCodec.encodeBase64(vector) }))
        return lines.joined(separator: "\n")
    }

    /// Median over 7 batches of the mean µs per call.
    static func time(_ iterations: Int, _ body: () -> Void) -> Double {
        for _ in 0..<(iterations / 10) { body() }  // warm up
        var batches: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<7 {
            let elapsed = clock.measure { for _ in 0..<iterations { body() } }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            batches.append(seconds / Double(iterations) * 1e6)
        }
        return batches.sorted()[3]
    }
}

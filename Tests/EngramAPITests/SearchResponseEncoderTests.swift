import EngramJSON
@testable import EngramAPI
import Foundation
import Synchronization
import Testing

/// ``SearchResponseEncoder`` must write the very document Foundation's `JSONEncoder` wrote for
/// `SearchView(hits:)` (sorted keys, no escaped slashes, ISO 8601 dates with fractions): every
/// case compares the bytes exactly and, as a second view, the documents parsed back with
/// `JSONSerialization`.
@Suite("Search response encoder")
struct SearchResponseEncoderTests {
    /// `SearchView`'s shape, encoded by the reference encoder below.
    struct View: Encodable { let hits: [SearchHit] }

    /// The routes' `JSONEncoder` configuration (RouteSupport.json), spelt out independently:
    /// dates at the nearest millisecond (Foundation's truncating formatter, half a
    /// millisecond later).
    static func reference(_ hits: [SearchHit]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.addingTimeInterval(0.0005).formatted(style))
        }
        return [UInt8](try encoder.encode(View(hits: hits)))
    }

    /// A hit as the engine would return it. `SearchHit` has no public memberwise initializer, so
    /// it is built through its own `Decodable` conformance (default date strategy: exact seconds).
    static func hit(_ entry: MemoryEntry, distance: Float, similarity: Double, score: Double) throws -> SearchHit {
        struct Seed: Encodable { let entry: MemoryEntry; let distance: Float; let similarity: Double; let score: Double }
        let data = try JSONEncoder().encode(Seed(entry: entry, distance: distance, similarity: similarity, score: score))
        let decoded = try JSONDecoder().decode(SearchHit.self, from: data)
        #expect(decoded.entry == entry && decoded.distance?.bitPattern == distance.bitPattern)
        return decoded
    }

    static func entry(id: UInt64 = 1, text: String = "hello", namespace: String = "kb", slot: UInt32 = 0,
                      draft: (inout MemoryDraft) -> Void = { _ in }) -> MemoryEntry {
        var value = MemoryDraft(text: text, createdAt: Date(timeIntervalSinceReferenceDate: 812_345_678.25))
        draft(&value)
        return MemoryEntry(id: id, namespace: namespace, slot: slot, draft: value)
    }

    /// Bytes equal, and the parsed documents equal (the comparison the API's clients make).
    static func expectSame(_ hits: [SearchHit], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try reference(hits)
        let actual = try SearchResponseEncoder.encode(hits)
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                sourceLocation: sourceLocation)
        let parsedActual = try JSONSerialization.jsonObject(with: Data(actual)) as? NSDictionary
        let parsedExpected = try JSONSerialization.jsonObject(with: Data(expected)) as? NSDictionary
        #expect(parsedActual != nil && parsedActual == parsedExpected, sourceLocation: sourceLocation)
    }

    static let trickyStrings: [String] = [
        "", "plain", "quote \" and backslash \\ and slash / and </script>",
        String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7F}",
        "\r\n\t\u{8}\u{C}", "é 中文 🎉 e\u{301} \u{2028}\u{2029} \u{FEFF}", String(repeating: "long ", count: 400),
    ]

    @Test("no hits")
    func empty() throws {
        #expect(String(decoding: try SearchResponseEncoder.encode([]), as: UTF8.self) == #"{"hits":[]}"#)
        try Self.expectSame([])
    }

    @Test("every optional field set and unset, extreme integers, pinned both ways")
    func fields() throws {
        let minimal = Self.entry()
        let full = Self.entry(id: UInt64.max, text: "full", namespace: "name space/ü", slot: UInt32.max) { draft in
            draft.tags = ["a", "b/c", "ü"]
            draft.metadata = ["k": .string("v")]
            draft.source = "extraction:gpt"
            draft.confidence = 1
            draft.evidence = Evidence(support: UInt64.max, contradictions: 0, useful: 9, notUseful: 10)
            draft.pinned = true
            draft.updatedAt = Date(timeIntervalSinceReferenceDate: 812_345_679.5)
            draft.lastUsedAt = Date(timeIntervalSinceReferenceDate: 812_345_680.001)
            draft.useCount = 1_234_567_890_123
            draft.version = UInt64.max
            draft.expiresAt = Date(timeIntervalSinceReferenceDate: 912_345_678.999)
            draft.occurredAt = Date(timeIntervalSinceReferenceDate: 712_345_678.25)
            draft.validFrom = Date(timeIntervalSinceReferenceDate: 712_345_678.5)
            draft.validTo = Date(timeIntervalSinceReferenceDate: 812_345_678.75)
            draft.thread = "session \"7\"/ü"
            draft.position = -9_007_199_254_740_992
            draft.pending = true
            draft.conflictsWith = [1, UInt64.max]
            draft.learned = true
        }
        let onlyConflict = Self.entry(id: 11) { $0.conflictsWith = [7] }
        let onlyExpiry = Self.entry(id: 10) { $0.expiresAt = Date(timeIntervalSince1970: 0) }
        let onlyLastUsed = Self.entry(id: 100) { $0.lastUsedAt = Date(timeIntervalSince1970: -86_400.5) }
        try Self.expectSame([
            try Self.hit(minimal, distance: 0, similarity: 1, score: 1),
            try Self.hit(full, distance: 0.1, similarity: 0.9, score: 0.123456789012345),
            try Self.hit(onlyExpiry, distance: 1.9999999, similarity: -0.5, score: -0.0),
            try Self.hit(onlyLastUsed, distance: 1e-8, similarity: 1e-300, score: 1e21),
            try Self.hit(onlyConflict, distance: 0.5, similarity: 0.5, score: 0.5),
        ])
    }

    @Test("lexical hits (no distance), components and thread context")
    func modesAndContext() throws {
        let positioned = Self.entry(id: 5) { $0.thread = "t"; $0.position = 3 }
        var hybrid = try Self.hit(positioned, distance: 0.2, similarity: 0.8, score: 0.7)
        hybrid.components = ScoreComponents(vector: 0.8, lexical: 12.5, fused: 0.7)
        hybrid.context = HitContext(before: [Self.entry(id: 4) { $0.thread = "t"; $0.position = 2 }],
                                    after: [Self.entry(id: 6) { $0.thread = "t" }, Self.entry(id: 7)])
        let lexical = SearchHit(entry: Self.entry(id: 8), distance: nil, similarity: nil, score: 3.25,
                                components: ScoreComponents(lexical: 3.25))
        let empty = SearchHit(entry: Self.entry(id: 9), distance: nil, similarity: nil, score: 0,
                              components: ScoreComponents(), context: HitContext(before: [], after: []))
        try Self.expectSame([hybrid, lexical, empty])
        let decoded = try #require(SearchResponseReader.hits(try SearchResponseEncoder.encode([hybrid, lexical, empty])))
        #expect(decoded.map(\.components) == [hybrid.components, lexical.components, empty.components])
        #expect(decoded.map(\.context) == [hybrid.context, nil, empty.context])
        #expect(decoded[1].distance == nil && decoded[1].similarity == nil)
        #expect(decoded[0].entry.position == 3 && decoded[0].entry.thread == "t")
    }

    @Test("strings needing escapes, in text, tags, source, namespace and metadata keys and values")
    func strings() throws {
        var hits: [SearchHit] = []
        for (index, text) in Self.trickyStrings.enumerated() {
            let entry = Self.entry(id: UInt64(index + 1), text: text, namespace: "ns") { draft in
                draft.tags = Self.trickyStrings
                draft.source = text
                draft.metadata = [text: .string(text), "k\(index)": .array(Self.trickyStrings.map(JSONValue.string))]
            }
            hits.append(try Self.hit(entry, distance: Float(index) / 7, similarity: Double(index) / 3, score: 0.5))
        }
        try Self.expectSame(hits)
    }

    @Test("metadata: every JSON type, nesting, numbers, and key order")
    func metadata() throws {
        let numbers: [Double] = [0, -0.0, 1, -1, 1.5, 0.1, 1e-7, 1e21, 1e22, 123_456_789_012_345_680, 9_007_199_254_740_994,
                                 .leastNonzeroMagnitude, .greatestFiniteMagnitude, -3.25, 2.5e-5, 100, 1e16]
        let keys = ["a", "B", "a10", "a9", "é", "z", "_", "A_b", "", "🎉", "Z", "aa", "a ", "ab\u{0}", "e\u{301}"]
        var object: [String: JSONValue] = [:]
        for (index, key) in keys.enumerated() { object[key] = .number(numbers[index % numbers.count]) }
        var nested: JSONValue = .object(object)
        for depth in 0..<20 {
            nested = depth.isMultiple(of: 2) ? .array([nested, .null, .bool(depth % 4 == 0)]) : .object(["level\(depth)": nested, "x": .string("/")])
        }
        let entry = Self.entry { draft in
            draft.metadata = ["numbers": .array(numbers.map(JSONValue.number)), "flat": .object(object), "nested": nested,
                              "empty object": .object([:]), "empty array": .array([]), "null": .null, "t": .bool(true),
                              "f": .bool(false)]
        }
        try Self.expectSame([try Self.hit(entry, distance: 0.25, similarity: 0.75, score: 0.75)])
    }

    @Test("dates: sub-millisecond fractions, before 1970, far future, random instants")
    func dates() throws {
        var generator = SystemRandomNumberGenerator()
        var instants: [Double] = [0, 0.0004, 0.0005, 0.0015, 0.9999, -0.0001, -978_307_200 - 2_208_988_800.123,
                                  4_102_444_800.5, 812_345_678.123456789]
        for _ in 0..<200 { instants.append(Double.random(in: -2e9...3e9, using: &generator)) }
        var hits: [SearchHit] = []
        for (index, instant) in instants.enumerated() {
            let date = Date(timeIntervalSinceReferenceDate: instant)
            let entry = Self.entry(id: UInt64(index + 1)) { draft in
                draft.createdAt = date
                draft.updatedAt = date.addingTimeInterval(0.000_3)
                draft.lastUsedAt = index.isMultiple(of: 2) ? date.addingTimeInterval(1.001) : nil
                draft.expiresAt = index.isMultiple(of: 3) ? date.addingTimeInterval(86_400.999_9) : nil
            }
            hits.append(try Self.hit(entry, distance: Float.random(in: 0...2, using: &generator),
                                     similarity: Double.random(in: -1...1, using: &generator),
                                     score: Double.random(in: -1...1, using: &generator)))
        }
        try Self.expectSame(hits)
    }

    @Test("random floats and doubles format like JSONEncoder")
    func randomNumbers() throws {
        var generator = SystemRandomNumberGenerator()
        var hits: [SearchHit] = []
        for index in 0..<300 {
            let distance = Float(bitPattern: UInt32.random(in: 0..<0x7F80_0000, using: &generator))
            let similarity = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &generator))
            let score = Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 1024
            let entry = Self.entry(id: UInt64(index + 1)) { $0.confidence = Double.random(in: 0...1, using: &generator) }
            hits.append(try Self.hit(entry, distance: distance, similarity: -similarity, score: score))
        }
        try Self.expectSame(hits)
    }

    @Test("NaN and infinity are refused, as JSONEncoder refuses them")
    func nonFinite() throws {
        let nan = try Self.hit(Self.entry(), distance: 0, similarity: 0.5, score: 0.5)
        var bad = nan
        bad.score = .nan
        #expect(throws: SearchResponseEncoder.Failure.nonFiniteNumber("score")) { try SearchResponseEncoder.encode([bad]) }
        #expect(throws: (any Error).self) { try Self.reference([bad]) }
        bad = nan
        bad.distance = .infinity
        #expect(throws: SearchResponseEncoder.Failure.nonFiniteNumber("distance")) { try SearchResponseEncoder.encode([bad]) }
        bad = nan
        bad.entry.metadata = ["x": .array([.number(-.infinity)])]
        #expect(throws: SearchResponseEncoder.Failure.nonFiniteNumber("metadata")) { try SearchResponseEncoder.encode([bad]) }
        #expect(throws: (any Error).self) { try Self.reference([bad]) }
    }

    @Test("metadata nesting: accepted and refused at the same depth as JSONEncoder")
    func nestingLimit() throws {
        func nested(_ levels: Int) throws -> SearchHit {
            var value: JSONValue = .null
            for level in 0..<levels { value = level.isMultiple(of: 2) ? .array([value]) : .object(["k": value]) }
            return try Self.hit(Self.entry { $0.metadata = ["deep": value] }, distance: 0, similarity: 1, score: 1)
        }
        // The metadata object is the document's 5th container; `levels` more are inside it.
        try Self.expectSame([try nested(506)])
        let tooDeep = try nested(507)
        #expect(throws: SearchResponseEncoder.Failure.tooDeep) { try SearchResponseEncoder.encode([tooDeep]) }
        #expect(throws: (any Error).self) { try Self.reference([tooDeep]) }
    }
}

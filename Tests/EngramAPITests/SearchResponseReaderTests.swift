import EngramJSON
@testable import EngramAPI
import Foundation
import Testing

/// The client's hand-written reader of search responses must give exactly what `JSONDecoder`
/// (with ``WireJSON``'s date handling) gives, for the documents the daemon writes.
@Suite("Search response reader")
struct SearchResponseReaderTests {
    static func reference(_ body: [UInt8]) throws -> [SearchHit] {
        struct Document: Decodable { var hits: [SearchHit] }
        return try WireJSON.decoder().decode(Document.self, from: Data(body)).hits
    }

    /// Hits as the engine returns them, with dates from 1902 to 2099 (some within a few years
    /// of 2001, which take Foundation's parser) and strings that need escaping.
    static func hits(count: Int) -> [SearchHit] {
        var random = SystemRandomNumberGenerator()
        let texts = ["", "quote \" backslash \\ slash /", "\u{0}\u{1F}\r\n\t", "é 中文 🎉 e\u{301} \u{2028}"]
        func date() -> Date {
            let near2001 = Bool.random(using: &random)
            let seconds = near2001 ? Double.random(in: -2e8...2e8, using: &random) : Double.random(in: -3.1e9...3.1e9, using: &random)
            return Date(timeIntervalSinceReferenceDate: seconds)
        }
        return (0..<count).map { index in
            var draft = MemoryDraft(text: texts[index % texts.count] + "\(index)", createdAt: date())
            draft.tags = Array(texts.prefix(index % 3))
            draft.metadata = ["n": .number(Double.random(in: -1e6...1e6, using: &random)), "s": .string(texts[index % 4]),
                              "deep": .array([.object(["k": .bool(true)]), .null])]
            draft.confidence = Double.random(in: 0...1, using: &random)
            draft.evidence = Evidence(support: UInt64.random(in: 0...UInt64.max, using: &random), contradictions: 1, useful: 2, notUseful: 3)
            draft.pinned = index % 2 == 0
            if index % 2 == 0 { draft.updatedAt = date() }
            if index % 3 != 0 { draft.lastUsedAt = date() }
            if index % 4 == 0 { draft.expiresAt = date() }
            draft.useCount = UInt64(index)
            let entry = MemoryEntry(id: UInt64(index) + 1, namespace: "kb", slot: UInt32(index), draft: draft)
            return SearchHit(entry: entry, distance: Float.random(in: 0...2, using: &random),
                             similarity: Double.random(in: -1...1, using: &random), score: Double.random(in: -1...1, using: &random))
        }
    }

    @Test("the daemon's documents read exactly as JSONDecoder reads them (2,000 hits)")
    func matchesJSONDecoder() throws {
        for round in 0..<200 {
            let body = try SearchResponseEncoder.encode(Self.hits(count: 10))
            let reference = try Self.reference(body)
            let fast = SearchResponseReader.hits(body)
            #expect(fast == reference, "round \(round): \(String(decoding: body.prefix(400), as: UTF8.self))")
        }
        #expect(SearchResponseReader.hits(Array(#"{"hits":[]}"#.utf8)) == [])
    }

    @Test("documents the reader does not take are left to JSONDecoder")
    func refusals() throws {
        let body = String(decoding: try SearchResponseEncoder.encode(Self.hits(count: 2)), as: UTF8.self)
        for document in [
            body.replacingOccurrences(of: "\"score\"", with: "\"scor\""),  // a field missing
            body.replacingOccurrences(of: "{\"distance\"", with: "{\"score\":1,\"distance\""),  // a key given twice
            body + " x",  // trailing bytes
            String(body.dropLast()),  // truncated
            body.replacingOccurrences(of: "\"created_at\":\"", with: "\"created_at\":\"x"),  // not a date
            "{}",
        ] {
            #expect(SearchResponseReader.hits(Array(document.utf8)) == nil, "\(document.prefix(200))")
        }
        // Unknown keys are skipped, as JSONDecoder skips them.
        let extended = "{\"took_us\":12," + body.dropFirst()
        #expect(try SearchResponseReader.hits(Array(extended.utf8)) == Self.reference(Array(extended.utf8)))
    }
}

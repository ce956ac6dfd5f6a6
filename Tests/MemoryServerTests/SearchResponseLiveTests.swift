import EngramService
import Foundation
import Synchronization
import Testing
import struct EngramAPI.SearchHit
import enum EngramAPI.SearchResponseEncoder

/// The search route over a real socket serves what `JSONEncoder` writes for its hits, and what
/// ``SearchResponseEncoder`` writes (EngramAPITests compare the two on built hits).
@Suite("Search response over the socket")
struct SearchResponseLiveTests {
    struct View: Encodable { let hits: [SearchHit] }

    static let trickyStrings: [String] = [
        "", "plain", "quote \" and backslash \\ and slash / and </script>",
        String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7F}",
    ]

    /// The routes' encoder, spelt out independently (dates at the nearest millisecond).
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

    /// Each date's text as served, so a document can be re-encoded with the served dates (a
    /// date parsed from milliseconds need not format back to the same text).
    final class ServedDates: Sendable {
        let texts = Mutex<[Date: String]>([:])
    }

    /// End to end over a real socket: the served body is exactly `JSONEncoder`'s document of
    /// its own hits (dates written as served), and ``SearchResponseEncoder`` matches
    /// `JSONEncoder` on those live hits too.
    @Test("a live search response is JSONEncoder's document of its hits")
    func liveRoute() async throws {
        _ = try await withMemoryServer { client, _ in
            let created = try await client.sendJSON("PUT", "/v1/namespaces/kb", json: #"{"dimension": 32}"#)
            #expect(created.status == 200 || created.status == 201)
            for (index, text) in Self.trickyStrings.enumerated() where !text.isEmpty {
                let body: [String: Any] = [
                    "text": "deploy key \(text)", "tags": ["t\(index)", "a/b"], "source": "agent",
                    "metadata": ["n": index, "f": 0.1 * Double(index), "s": text, "nested": ["x": [1, "two", NSNull()]]],
                ]
                let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let written = try await client.sendJSON("POST", "/v1/namespaces/kb/memories", json: json)
                #expect(written.status == 200 || written.status == 201, "\(written.text)")
            }
            let search = try await client.sendJSON("POST", "/v1/namespaces/kb/search", json: #"{"text": "deploy key", "k": 10}"#)
            #expect(search.status == 200, "\(search.text)")
            let served = ServedDates()
            let decoder = JSONDecoder()
            let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            decoder.dateDecodingStrategy = .custom { decoder in
                let text = try decoder.singleValueContainer().decode(String.self)
                let date = try Date(text, strategy: style)
                served.texts.withLock { $0[date] = text }
                return date
            }
            struct Document: Decodable { let hits: [SearchHit] }
            let hits = try decoder.decode(Document.self, from: Data(search.body)).hits
            #expect(!hits.isEmpty)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(served.texts.withLock { $0[date] } ?? "unknown date")
            }
            let expected = try encoder.encode(View(hits: hits))
            #expect(String(decoding: search.body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            #expect(String(decoding: try SearchResponseEncoder.encode(hits), as: UTF8.self)
                    == String(decoding: try Self.reference(hits), as: UTF8.self))
        }
    }
}

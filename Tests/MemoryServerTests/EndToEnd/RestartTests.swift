import Foundation
import MemoryServer
import Testing
import EngramTestSupport

/// A daemon stopped and started again on the same directory serves exactly what it served
/// before: entries, audit log, namespace configuration, and the same search results.
@Suite("End to end: restart keeps everything")
struct RestartTests {
    /// What the API shows of the store, as exact JSON text.
    struct Snapshot: Equatable {
        var namespaces: [String]
        var entries: [String: [String]]
        var audit: [String]
    }

    /// A search's hits, as (id, similarity, score, text, version).
    struct Hit: Equatable, CustomStringConvertible {
        var id: Int
        var similarity: Double
        var score: Double
        var text: String
        var version: Int
        var description: String { "\(id)@\(similarity)" }
    }

    @Test("entries, audit log, namespace parameters and search results survive a restart")
    func restart() async throws {
        let harness = try DaemonHarness()
        defer { harness.cleanUp() }
        var generator = SeededGenerator(seed: 99)
        let vectors = (0..<40).map { _ in randomUnitVector(using: &generator) }
        let queries = (0..<6).map { _ in randomUnitVector(using: &generator) }

        let (before, hitsBefore) = try await harness.run { daemon in
            let client = daemon.client
            let docs = try await client.sendJSON("PUT", "/v1/namespaces/docs", json: """
                {"dimension": 32, "metric": "cosine",
                 "parameters": {"m": 8, "ef_construction": 64, "ef_search": 40, "flat_threshold": 0, "seed": 5}}
                """)
            #expect(docs.status == 201, "\(docs.text)")
            try await client.createNamespace("notes")
            var ids: [Int] = []
            for (index, vector) in vectors.enumerated() {
                ids.append(try await client.remember("document \(index)", vector: vector, in: "docs").id)
            }
            for text in ["the deploy key lives in the vault", "lunch is at noon", "backups run nightly"] {
                _ = try await client.remember(text, in: "notes")
            }
            // Every kind of change, so the log and the entries carry versions, evidence and scrubbing.
            let edit = try await client.sendJSON("PATCH", "/v1/namespaces/docs/memories/\(ids[1])",
                                                 json: #"{"tags": ["edited"], "metadata": {"k": "v"}, "pinned": true}"#)
            #expect(edit.status == 200, "\(edit.text)")
            let feedback = try await client.sendJSON("POST", "/v1/namespaces/docs/memories/\(ids[2])/feedback",
                                                     json: #"{"signal": "useful"}"#)
            #expect(feedback.status == 200, "\(feedback.text)")
            #expect(try await client.request("DELETE", "/v1/namespaces/docs/memories/\(ids[3])").status == 200)
            #expect(try await client.request("DELETE", "/v1/namespaces/docs/memories/\(ids[4])?hard=true").status == 200)
            let reinforced = try await client.sendJSON("POST", "/v1/namespaces/notes/learn", json: #"{"text": "lunch is at noon"}"#)
            #expect(reinforced.json?["action"] as? String == "reinforced", "\(reinforced.text)")
            let patched = try await client.sendJSON("PATCH", "/v1/namespaces/docs/memories/\(ids[5])",
                                                    json: #"{"text": "document five, rewritten"}"#)
            #expect(patched.status == 200, "\(patched.text)")
            let reverted = try await client.sendJSON("POST", "/v1/namespaces/docs/memories/\(ids[5])/revert",
                                                     json: #"{"version": 1, "vector": \#(jsonArray(vectors[5]))}"#)
            #expect(reverted.status == 200, "\(reverted.text)")

            let hits = try await search(client, queries)
            // Write the use counts the searches recorded, as the daemon does on its timer, so the
            // snapshot shows what the store holds.
            try daemon.engine.flushUsage()
            return (try await snapshot(client), hits)
        }
        #expect(before.entries["docs"]?.count == 38)
        #expect(before.entries["notes"]?.count == 3)
        #expect(before.audit.count > 45)
        #expect(!fileExists(harness.socketPath))

        let (after, hitsAfter) = try await harness.run { daemon in
            (try await snapshot(daemon.client), try await search(daemon.client, queries))
        }
        #expect(after.namespaces == before.namespaces)
        #expect(after.entries == before.entries)
        #expect(after.audit == before.audit)
        #expect(hitsAfter == hitsBefore)
        #expect(hitsBefore.prefix(queries.count).allSatisfy { $0.count == 10 })
        #expect(hitsBefore.last?.isEmpty == false)
    }

    /// Namespaces (configuration and counts), every entry of each, and the whole audit log.
    private func snapshot(_ client: UnixHTTPClient) async throws -> Snapshot {
        let list = try await client.request("GET", "/v1/namespaces")
        let namespaces = try #require(list.json?["namespaces"] as? [[String: Any]])
        var views: [String] = []
        var entries: [String: [String]] = [:]
        for var namespace in namespaces {
            let name = try #require(namespace["name"] as? String)
            // The index's allocation size depends on how it grew, not on what it holds.
            namespace["index_bytes"] = nil
            views.append(jsonText(namespace))
            entries[name] = try await client.allPages("/v1/namespaces/\(name)/memories", key: "entries")
        }
        return Snapshot(namespaces: views, entries: entries, audit: try await client.allPages("/v1/audit", key: "events"))
    }

    private func search(_ client: UnixHTTPClient, _ queries: [[Float]]) async throws -> [[Hit]] {
        var results: [[Hit]] = []
        for query in queries {
            let response = try await client.search(query, in: "docs", k: 10)
            #expect(response.status == 200, "\(response.text)")
            let hits = (response.json?["hits"] as? [[String: Any]]) ?? []
            results.append(hits.compactMap { hit in
                guard let entry = hit["entry"] as? [String: Any], let id = entry["id"] as? Int,
                      let similarity = hit["similarity"] as? Double, let score = hit["score"] as? Double,
                      let text = entry["text"] as? String, let version = entry["version"] as? Int else { return nil }
                return Hit(id: id, similarity: similarity, score: score, text: text, version: version)
            })
        }
        let text = try await client.sendJSON("POST", "/v1/namespaces/notes/search", json: #"{"text": "where is the deploy key", "k": 3}"#)
        results.append(text.hitIDs.map { Hit(id: $0, similarity: 0, score: 0, text: "", version: 0) })
        return results
    }
}

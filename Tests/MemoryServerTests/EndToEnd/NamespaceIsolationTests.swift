import Foundation
import MemoryServer
import Testing
import EngramTestSupport

/// docs/architecture.md "A search never crosses namespaces": over the socket, no search, get, list,
/// history, audit, edit or forget through namespace B ever reaches an entry of namespace A,
/// even when the caller knows A's ids (ids are global, so they are guessable).
@Suite("End to end: namespace isolation")
struct NamespaceIsolationTests {
    @Test("B's routes never return, change or reveal A's entries")
    func isolation() async throws {
        let harness = try DaemonHarness()
        defer { harness.cleanUp() }
        try await harness.run { daemon in
            let client = daemon.client
            try await client.createNamespace("alpha")
            try await client.createNamespace("beta")
            var generator = SeededGenerator(seed: 7)
            let alphaVectors = (0..<5).map { _ in randomUnitVector(using: &generator) }
            var alphaIDs: [Int] = []
            for (index, vector) in alphaVectors.enumerated() {
                alphaIDs.append(try await client.remember("alpha secret \(index)", vector: vector, in: "alpha").id)
            }
            let betaVector = randomUnitVector(using: &generator)
            let betaID = try await client.remember("beta note", vector: betaVector, in: "beta").id
            _ = try await client.remember("shared words in both", in: "alpha")
            _ = try await client.remember("shared words in both", in: "beta")

            // Search: A's exact vectors and A's words through B find only B's entries.
            for vector in alphaVectors {
                let hits = try await client.search(vector, in: "beta", k: 50)
                #expect(hits.status == 200, "\(hits.text)")
                #expect(Set(hits.hitIDs).isDisjoint(with: alphaIDs), "beta search returned alpha ids: \(hits.hitIDs)")
                #expect(hitNamespaces(hits).allSatisfy { $0 == "beta" })
            }
            let byText = try await client.sendJSON("POST", "/v1/namespaces/beta/search",
                                                   json: #"{"text": "alpha secret 3", "k": 50}"#)
            #expect(byText.status == 200, "\(byText.text)")
            #expect(Set(byText.hitIDs).isDisjoint(with: alphaIDs))
            #expect(hitNamespaces(byText).allSatisfy { $0 == "beta" })

            // Get, history, edit, feedback, revert and forget of A's ids through B: 404, nothing changes.
            for id in alphaIDs {
                let path = "/v1/namespaces/beta/memories/\(id)"
                let get = try await client.request("GET", path)
                #expect(get.status == 404 && get.errorCode == "not_found", "GET \(path): \(get.text)")
                let history = try await client.request("GET", "\(path)/history")
                #expect(history.status == 404, "history \(path): \(history.text)")
                #expect(!history.text.contains("alpha secret"))
                let patch = try await client.sendJSON("PATCH", path, json: #"{"text": "overwritten through beta"}"#)
                #expect(patch.status == 404, "PATCH \(path): \(patch.text)")
                let feedback = try await client.sendJSON("POST", "\(path)/feedback", json: #"{"signal": "not_useful"}"#)
                #expect(feedback.status == 404, "feedback \(path): \(feedback.text)")
                let revert = try await client.sendJSON("POST", "\(path)/revert", json: #"{"version": 1}"#)
                #expect(revert.status == 404, "revert \(path): \(revert.text)")
                let forget = try await client.request("DELETE", "\(path)?hard=true")
                #expect(forget.status == 404, "DELETE \(path): \(forget.text)")
            }
            for (index, id) in alphaIDs.enumerated() {
                let intact = try await client.request("GET", "/v1/namespaces/alpha/memories/\(id)")
                #expect(intact.status == 200)
                #expect(intact.json?["text"] as? String == "alpha secret \(index)")
                #expect(intact.json?["version"] as? Int == 1)
                let history = try await client.request("GET", "/v1/namespaces/alpha/memories/\(id)/history")
                let kinds = (history.json?["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
                #expect(kinds == ["created"], "alpha \(id) history changed: \(history.text)")
            }

            // List: only B's entries.
            let betaList = try await client.allPages("/v1/namespaces/beta/memories", key: "entries")
            let betaListIDs = betaList.compactMap { jsonObject($0)?["id"] as? Int }
            #expect(betaListIDs.count == 2 && betaListIDs.contains(betaID))
            #expect(Set(betaListIDs).isDisjoint(with: alphaIDs))

            // Learn in B with A's exact text creates a B entry; it never reinforces A's.
            let learned = try await client.sendJSON("POST", "/v1/namespaces/beta/learn",
                                                    json: #"{"text": "shared words in both"}"#)
            #expect(learned.status == 200 || learned.status == 201, "\(learned.text)")
            #expect(learned.entry?["namespace"] as? String == "beta")

            // Audit filtered by B never shows an A event; the global log has both.
            let betaAudit = try await client.allPages("/v1/audit?namespace=beta", key: "events").compactMap(jsonObject)
            #expect(!betaAudit.isEmpty)
            #expect(betaAudit.allSatisfy { $0["namespace"] as? String == "beta" })
            #expect(betaAudit.allSatisfy { !alphaIDs.contains($0["entry_id"] as? Int ?? -1) })
            #expect(!betaAudit.contains { jsonText($0).contains("alpha secret") })
            let globalAudit = try await client.allPages("/v1/audit", key: "events").compactMap(jsonObject)
            #expect(Set(globalAudit.compactMap { $0["namespace"] as? String }) == ["alpha", "beta"])

            // Deleting B leaves A whole.
            let deleted = try await client.request("DELETE", "/v1/namespaces/beta?confirm=true")
            #expect(deleted.status == 200, "\(deleted.text)")
            let alphaList = try await client.allPages("/v1/namespaces/alpha/memories", key: "entries")
            #expect(alphaList.count == alphaIDs.count + 1)
            let afterDelete = try await client.search(alphaVectors[0], in: "alpha", k: 1)
            #expect(afterDelete.hitIDs == [alphaIDs[0]])
        }
    }

    private func hitNamespaces(_ response: UnixHTTPClient.Response) -> [String] {
        ((response.json?["hits"] as? [[String: Any]]) ?? []).compactMap { ($0["entry"] as? [String: Any])?["namespace"] as? String }
    }
}

func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

func jsonText(_ object: [String: Any]) -> String {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? ""
}

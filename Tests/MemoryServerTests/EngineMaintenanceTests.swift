import Foundation
import MemoryEngine
import MemoryServer
import MemoryStore
import Testing

@Suite("Engine maintenance under the server")
struct EngineMaintenanceTests {
    @Test("use counts recorded by searches reach the store at shutdown")
    func flushAtShutdown() async throws {
        var configuration = EngineConfiguration()
        configuration.usageFlushInterval = 3600  // only the shutdown flush can write them
        var id = 0
        let engine = try await withMemoryServer(engineConfiguration: configuration) { client, engine in
            try await client.createNamespace("kb")
            id = try await client.remember("use me twice", in: "kb").id
            for _ in 0..<2 {
                let search = try await client.sendJSON("POST", "/v1/namespaces/kb/search", json: #"{"text": "use me twice"}"#)
                #expect(search.hitIDs == [id])
            }
            let stored = try #require(try engine.store.get(namespace: "kb", id: UInt64(id)))
            #expect(stored.useCount == 0)  // recorded in memory only, so far
        }
        let stored = try #require(try engine.store.get(namespace: "kb", id: UInt64(id)))
        #expect(stored.useCount == 2)
        #expect(stored.lastUsedAt != nil)
    }

    @Test("expired entries are hidden at once and purged in the background with an audit event")
    func purgeExpired() async throws {
        var configuration = EngineConfiguration()
        configuration.expiryPurgeInterval = 0.05
        try await withMemoryServer(engineConfiguration: configuration) { client, _ in
            try await client.createNamespace("kb")
            // Far enough ahead that a loaded machine still delivers the request before it.
            let expiry = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date().addingTimeInterval(5))
            let created = try await client.sendJSON("POST", "/v1/namespaces/kb/memories",
                                                    json: #"{"text": "short lived", "expires_at": "\#(expiry)"}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.entry?["expires_at"] as? String != nil)
            // Poll (not a timing assertion): the purge must happen eventually; give up after 60 s.
            var kinds: [String] = []
            for _ in 0..<600 where !kinds.contains("expired") {
                try await Task.sleep(for: .milliseconds(100))
                let audit = try await client.request("GET", "/v1/audit?namespace=kb")
                kinds = (audit.json?["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            }
            #expect(kinds == ["created", "expired"])
            let list = try await client.request("GET", "/v1/namespaces/kb/memories")
            #expect((list.json?["entries"] as? [[String: Any]])?.isEmpty == true)
        }
    }
}

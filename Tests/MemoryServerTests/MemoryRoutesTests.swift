#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MemoryServer
import enum EngramAPI.VectorCodec
import Testing
import EngramTestSupport

@Suite("Domain routes over a real Unix socket")
struct MemoryRoutesTests {
    @Test("namespaces: create (idempotent), conflict, list, stats, delete with confirmation")
    func namespaces() async throws {
        try await withRouterDaemon { client, _ in
            let created = try await client.sendJSON("PUT", "/v1/namespaces/notes", json: #"{"dimension": 32, "parameters": {"m": 8}}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json?["dimension"] as? Int == 32)
            #expect((created.json?["parameters"] as? [String: Any])?["m"] as? Int == 8)
            #expect((created.json?["parameters"] as? [String: Any])?["ef_search"] as? Int == 64)
            let again = try await client.sendJSON("PUT", "/v1/namespaces/notes", json: #"{"dimension": 32, "parameters": {"m": 8}}"#)
            #expect(again.status == 200, "\(again.text)")
            let conflict = try await client.sendJSON("PUT", "/v1/namespaces/notes", json: #"{"dimension": 16}"#)
            #expect(conflict.status == 409)
            #expect(conflict.errorCode == "conflict")

            _ = try await client.remember("one fact", in: "notes")
            let list = try await client.request("GET", "/v1/namespaces")
            let names = (list.json?["namespaces"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["notes"])
            let stats = try await client.request("GET", "/v1/namespaces/notes")
            #expect(stats.status == 200)
            #expect(stats.json?["entry_count"] as? Int == 1)

            let unconfirmed = try await client.request("DELETE", "/v1/namespaces/notes")
            #expect(unconfirmed.status == 400)
            #expect(unconfirmed.errorCode == "invalid_argument")
            let deleted = try await client.request("DELETE", "/v1/namespaces/notes?confirm=true")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(deleted.json?["sequence"] as? Int != nil)
            let gone = try await client.request("GET", "/v1/namespaces/notes")
            #expect(gone.status == 404)
            #expect(gone.errorCode == "namespace_not_found")
        }
    }

    @Test("remember then search by text finds the entry at once; sequences increase")
    func readYourWrites() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let first = try await client.remember("the deploy key lives in the vault", in: "kb")
            let second = try await client.remember("lunch is at noon on fridays", in: "kb")
            #expect(second.sequence > first.sequence)
            #expect(first.sequence > 0)
            let search = try await client.sendJSON("POST", "/v1/namespaces/kb/search", json: #"{"text": "deploy key vault", "k": 1}"#)
            #expect(search.status == 200, "\(search.text)")
            #expect(search.hitIDs == [first.id])
            let other = try await client.sendJSON("POST", "/v1/namespaces/kb/search", json: #"{"text": "lunch on fridays", "k": 1}"#)
            #expect(other.hitIDs == [second.id])
        }
    }

    @Test("learning the same fact twice reinforces the first entry")
    func learnReinforces() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let body = #"{"text": "the build uses swift six", "tags": ["build"]}"#
            let first = try await client.sendJSON("POST", "/v1/namespaces/kb/learn", json: body)
            #expect(first.status == 201, "\(first.text)")
            #expect(first.json?["action"] as? String == "created")
            let second = try await client.sendJSON("POST", "/v1/namespaces/kb/learn", json: body)
            #expect(second.status == 200, "\(second.text)")
            #expect(second.json?["action"] as? String == "reinforced")
            #expect(second.entry?["id"] as? Int == first.entry?["id"] as? Int)
            #expect((second.entry?["evidence"] as? [String: Any])?["support"] as? Int
                    ?? 0 > (first.entry?["evidence"] as? [String: Any])?["support"] as? Int ?? 0)
            #expect((second.json?["sequence"] as? Int ?? 0) > (first.json?["sequence"] as? Int ?? 0))
        }
    }

    @Test("get, patch, history, revert, forget")
    func entryLifecycle() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let (id, _) = try await client.remember("alpha beta", in: "kb")
            let path = "/v1/namespaces/kb/memories/\(id)"

            let got = try await client.request("GET", path)
            #expect(got.status == 200)
            #expect(got.json?["text"] as? String == "alpha beta")

            let patched = try await client.sendJSON("PATCH", path, json: #"{"text": "gamma delta", "tags": ["greek"]}"#)
            #expect(patched.status == 200, "\(patched.text)")
            #expect(patched.entry?["version"] as? Int == 2)
            #expect(patched.json?["sequence"] as? Int != nil)
            let found = try await client.sendJSON("POST", "/v1/namespaces/kb/search", json: #"{"text": "gamma delta", "k": 1}"#)
            #expect(found.hitIDs == [id])

            let history = try await client.request("GET", "\(path)/history")
            let kinds = (history.json?["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
            #expect(kinds == ["created", "updated"])

            let reverted = try await client.sendJSON("POST", "\(path)/revert", json: #"{"version": 1}"#)
            #expect(reverted.status == 200, "\(reverted.text)")
            #expect(reverted.entry?["text"] as? String == "alpha beta")
            #expect(reverted.entry?["version"] as? Int == 3)

            let list = try await client.request("GET", "/v1/namespaces/kb/memories?limit=10")
            #expect((list.json?["entries"] as? [[String: Any]])?.count == 1)

            let forgotten = try await client.request("DELETE", "\(path)?hard=true&reason=outdated")
            #expect(forgotten.status == 200, "\(forgotten.text)")
            #expect(forgotten.json?["sequence"] as? Int != nil)
            let missing = try await client.request("GET", path)
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
            let scrubbed = try await client.request("GET", "\(path)/history")
            #expect(!scrubbed.text.contains("alpha beta"), "\(scrubbed.text)")
            let events = try #require(scrubbed.json?["events"] as? [[String: Any]])
            #expect(events.last?["kind"] as? String == "deleted")
            // Scrubbed: kind, time, actor and id stay; the reason goes with the content.
            #expect(events.last?["reason"] == nil)
            #expect(events.allSatisfy { $0["scrubbed"] as? Bool == true })
        }
    }

    @Test("feedback moves confidence up and down")
    func feedback() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("kb")
            let (id, _) = try await client.remember("tabs not spaces", in: "kb")
            let path = "/v1/namespaces/kb/memories/\(id)/feedback"
            let before = try await client.request("GET", "/v1/namespaces/kb/memories/\(id)")
            let start = try #require(before.json?["confidence"] as? Double)
            let useful = try await client.sendJSON("POST", path, json: #"{"signal": "useful"}"#)
            #expect(useful.status == 200, "\(useful.text)")
            let up = try #require(useful.entry?["confidence"] as? Double)
            #expect(up > start)
            let contradicted = try await client.sendJSON("POST", path, json: #"{"signal": "contradicted"}"#)
            let down = try #require(contradicted.entry?["confidence"] as? Double)
            #expect(down < up)
            let bad = try await client.sendJSON("POST", path, json: #"{"signal": "great"}"#)
            #expect(bad.status == 400)
            #expect(bad.errorCode == "invalid_field")
        }
    }

    @Test("the audit log lists events by namespace, names the peer, and pages")
    func audit() async throws {
        try await withMemoryServer { client, _ in
            try await client.createNamespace("a")
            try await client.createNamespace("b")
            let (id, _) = try await client.remember("in a", in: "a")
            _ = try await client.remember("in b", in: "b")
            _ = try await client.sendJSON("PATCH", "/v1/namespaces/a/memories/\(id)", json: #"{"pinned": true, "actor": "importer"}"#)

            let page = try await client.request("GET", "/v1/audit?namespace=a")
            let events = try #require(page.json?["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["kind"] as? String } == ["created", "updated"])
            #expect(events.allSatisfy { $0["namespace"] as? String == "a" })
            #expect(events.first?["actor"] as? String == "uid:\(getuid())")
            #expect(events.last?["actor"] as? String == "importer (uid:\(getuid()))")

            let first = try await client.request("GET", "/v1/audit?limit=1")
            let cursor = try #require(first.json?["next_cursor"] as? Int)
            let rest = try await client.request("GET", "/v1/audit?after=\(cursor)&limit=10")
            #expect((rest.json?["events"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test("a DELETE names its actor in the query; an actor is bounded and printable")
    func deleteActor() async throws {
        try await withMemoryServer { client, _ in
            try await client.createNamespace("a")
            let (id, _) = try await client.remember("to forget", in: "a")
            let refused = try await client.request("DELETE", "/v1/namespaces/a/memories/\(id)?actor=bad%0Aname")
            #expect(refused.status == 400 && refused.errorCode == "invalid_field", "\(refused.text)")
            let long = String(repeating: "x", count: 257)
            let tooLong = try await client.sendJSON("PATCH", "/v1/namespaces/a/memories/\(id)", json: #"{"pinned": true, "actor": "\#(long)"}"#)
            #expect(tooLong.status == 400 && tooLong.errorCode == "invalid_field")
            let forgotten = try await client.request("DELETE", "/v1/namespaces/a/memories/\(id)?actor=curator%20bot&reason=stale")
            #expect(forgotten.status == 200, "\(forgotten.text)")
            let events = try #require(try await client.request("GET", "/v1/audit?namespace=a").json?["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["kind"] as? String } == ["created", "deleted"])
            #expect(events.last?["actor"] as? String == "curator bot (uid:\(getuid()))")
            #expect(events.last?["reason"] as? String == "stale")
        }
    }

    @Test("search by vector_b64 and by vector array")
    func vectorSearch() async throws {
        try await withRouterDaemon { client, _ in
            try await client.createNamespace("vec")
            let (id, _) = try await client.remember("red green blue", in: "vec")
            _ = try await client.remember("one two three", in: "vec")
            let query = WordHashEmbedder().vector("red green blue")
            let b64 = try await client.sendJSON("POST", "/v1/namespaces/vec/search",
                                            json: #"{"vector_b64": "\#(VectorCodec.encodeBase64(query))", "k": 1}"#)
            #expect(b64.status == 200, "\(b64.text)")
            #expect(b64.hitIDs == [id])
            let array = try await client.sendJSON("POST", "/v1/namespaces/vec/search",
                                              json: #"{"vector": \#(VectorCodec.encodeJSONArray(query)), "k": 2}"#)
            #expect(array.hitIDs.first == id)
            #expect(array.hitIDs.count == 2)
        }
    }
}

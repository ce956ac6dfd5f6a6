import Foundation
import EngramAPI
import EngramTestSupport
import MemoryClient
import Testing

@Suite("MemoryClient against a real engramd on a temporary socket")
struct MemoryClientTests {
    @Test("health and namespaces: create (idempotent), list, stats, delete with confirmation")
    func namespaces() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath)
            let health = try await client.health()
            #expect(health.status == "ok")
            #expect(health.pid == getpid())

            // The seed is beyond Double's exact range: it must survive the wire.
            let parameters = HNSWParameters(m: 8, efConstruction: 100, efSearch: 40, flatThreshold: 10,
                                            consolidationFraction: 0.25, seed: UInt64.max - 7)
            let created = try await client.createNamespace(
                "notes", NamespaceRequest(dimension: 32, parameters: HNSWParametersInput(parameters)))
            #expect(created.name == "notes")
            #expect(created.dimension == 32)
            #expect(created.parameters == parameters)
            #expect(created.entryCount == 0)
            let again = try await client.createNamespace(
                "notes", NamespaceRequest(dimension: 32, parameters: HNSWParametersInput(parameters)))
            #expect(again.createdAt == created.createdAt)

            _ = try await client.remember(RememberRequest(text: "one fact"), in: "notes")
            #expect(try await client.namespaces().map(\.name) == ["notes"])
            #expect(try await client.namespace("notes").entryCount == 1)

            await #expect(throws: MemoryClientError.self) { try await client.deleteNamespace("notes", confirm: false) }
            let deleted = try await client.deleteNamespace("notes", confirm: true, reason: "test")
            #expect(deleted.deleted == "notes")
            #expect(deleted.sequence != nil)
            do throws(MemoryClientError) {
                _ = try await client.namespace("notes")
                Issue.record("a deleted namespace was still found")
            } catch {
                #expect(error.code == "namespace_not_found")
                if case .server(let status, _, _) = error { #expect(status == 404) }
            }
        }
    }

    @Test("entries: remember, get, list, edit, history, revert, feedback, learn, forget, audit")
    func entries() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath, actor: "client-test")
            _ = try await client.createNamespace("kb", NamespaceRequest(dimension: 32))
            // Whole milliseconds: the wire carries dates to the millisecond.
            let expiry = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 86_400).rounded())
            let remembered = try await client.remember(
                RememberRequest(text: "the sky is blue", tags: ["color", "sky"], metadata: ["n": .number(1)],
                                source: "agent", pinned: false, expiresAt: expiry),
                in: "kb", reason: "first")
            let id = remembered.entry.id
            #expect(remembered.entry.text == "the sky is blue")
            #expect(remembered.entry.tags == ["color", "sky"])
            #expect(remembered.entry.metadata == ["n": .number(1)])
            #expect(remembered.entry.source == "agent")
            #expect(remembered.entry.expiresAt == expiry)
            #expect(try await client.get(id, in: "kb") == remembered.entry)

            let other = try await client.remember(RememberRequest(text: "grass is green"), in: "kb")
            let firstPage = try await client.list(in: "kb", limit: 1)
            #expect(firstPage.entries.map(\.id) == [id])
            let cursor = try #require(firstPage.nextCursor)
            let secondPage = try await client.list(in: "kb", after: cursor, limit: 1)
            #expect(secondPage.entries.map(\.id) == [other.entry.id])

            let edited = try await client.edit(id, in: "kb", EditRequest(text: "the sky is grey"), reason: "cloudy")
            #expect(edited.entry.text == "the sky is grey")
            #expect(edited.entry.version == 2)
            #expect(edited.sequence > remembered.sequence)

            let history = try await client.history(id, in: "kb")
            #expect(history.events.map(\.kind) == [.created, .updated])
            #expect(history.events.last?.reason == "cloudy")
            #expect(history.events.last?.actor.hasPrefix("client-test (") == true)

            let reverted = try await client.revert(id, in: "kb", toVersion: 1)
            #expect(reverted.entry.text == "the sky is blue")
            #expect(reverted.entry.version == 3)

            let feedback = try await client.feedback(id, in: "kb", .useful)
            #expect(feedback.entry.evidence.useful == 1)

            let learned = try await client.learn(RememberRequest(text: "grass is green"), in: "kb")
            #expect(learned.action == .reinforced)
            #expect(learned.entry!.id == other.entry.id)
            #expect(learned.entry!.evidence.support == 2)
            let fresh = try await client.learn(RememberRequest(text: "water is wet"), in: "kb")
            #expect(fresh.action == .created)

            let forgotten = try await client.forget(id, in: "kb", hard: true, reason: "privacy")
            #expect(forgotten.entry.id == id)
            do throws(MemoryClientError) {
                _ = try await client.get(id, in: "kb")
                Issue.record("a forgotten entry was still found")
            } catch {
                #expect(error == .server(status: 404, code: "not_found", message: error.serverMessage))
            }

            let audit = try await client.audit(namespace: "kb")
            #expect(audit.events.map(\.sequence) == audit.events.map(\.sequence).sorted())
            #expect(audit.events.last?.kind == .deleted)
            #expect(audit.events.last?.sequence == forgotten.sequence)
            let eventsOfForgotten = audit.events.filter { $0.entryID == id }
            #expect(eventsOfForgotten.allSatisfy { $0.isScrubbed })
            let tail = try await client.audit(after: forgotten.sequence - 1, limit: 10)
            #expect(tail.events.map(\.sequence) == [forgotten.sequence])
        }
    }

    @Test("search by text and by vector (sent as vector_b64), with a filter")
    func search() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath)
            let embedder = WordHashEmbedder()
            _ = try await client.createNamespace("s", NamespaceRequest(dimension: 32))
            let alpha = try await client.remember(RememberRequest(text: "alpha beta", tags: ["a"]), in: "s")
            let gamma = try await client.remember(RememberRequest(text: "gamma delta"), in: "s")
            // A caller-supplied vector unlike the text's embedding: found only by that vector.
            var own = [Float](repeating: 0, count: 32)
            own[5] = 0.6
            own[17] = -0.8
            let custom = try await client.remember(RememberRequest(text: "zzz", vector: own), in: "s")

            let byText = try await client.search(in: "s", SearchRequest(text: "alpha beta", k: 3))
            #expect(byText.first?.entry.id == alpha.entry.id)
            #expect(byText.count == 3)
            let byVector = try await client.search(in: "s", SearchRequest(vector: embedder.vector("gamma delta"), k: 1))
            #expect(byVector.map(\.entry.id) == [gamma.entry.id])
            let byOwn = try await client.search(in: "s", SearchRequest(vector: own, k: 1))
            #expect(byOwn.map(\.entry.id) == [custom.entry.id])
            #expect(abs((byOwn[0].similarity ?? 0) - 1) < 1e-5)
            let filtered = try await client.search(in: "s", SearchRequest(text: "gamma delta", k: 3,
                                                                          filter: SearchFilter(tagsAny: ["a"])))
            #expect(filtered.map(\.entry.id) == [alpha.entry.id])

            // The blocking form: the same hits, and the daemon's errors as the async form reports them.
            let query = own
            let blocking = try await onOwnThread { try client.searchBlocking(in: "s", SearchRequest(vector: query, k: 3)) }
            let awaited = try await client.search(in: "s", SearchRequest(vector: own, k: 3))
            #expect(blocking.map(\.entry.id) == awaited.map(\.entry.id) && blocking.map(\.score) == awaited.map(\.score))
            #expect(blocking.count == 3 && blocking[0].entry.id == custom.entry.id)
            let refused = try await onOwnThread { () -> MemoryClientError? in
                do throws(MemoryClientError) {
                    _ = try client.searchBlocking(in: "s", SearchRequest(vector: [1, 2, 3]))
                    return nil
                } catch {
                    return error
                }
            }
            #expect(refused?.code == "dimension_mismatch")
        }
    }

    @Test("server errors carry status and stable code")
    func serverErrors() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath)
            _ = try await client.createNamespace("e", NamespaceRequest(dimension: 32))
            do throws(MemoryClientError) {
                _ = try await client.search(in: "e", SearchRequest(vector: [1, 2, 3]))
                Issue.record("a 3-dimensional query in a 32-dimensional namespace was accepted")
            } catch {
                #expect(error.code == "dimension_mismatch")
                if case .server(let status, _, let message) = error {
                    #expect(status == 400)
                    #expect(!message.isEmpty)
                } else {
                    Issue.record("expected .server, got \(error)")
                }
            }
            do throws(MemoryClientError) {
                _ = try await client.createNamespace("e", NamespaceRequest(dimension: 16))
                Issue.record("a conflicting namespace configuration was accepted")
            } catch {
                #expect(error.code == "conflict")
            }
            do throws(MemoryClientError) {
                _ = try await client.search(in: "missing", SearchRequest(text: "x"))
                Issue.record("a search in a missing namespace succeeded")
            } catch {
                #expect(error.code == "namespace_not_found")
            }
            // A name that is not a path segment is encoded, not interpreted as a route.
            do throws(MemoryClientError) {
                _ = try await client.namespace("a/b c\r\nX: y")
                Issue.record("an invalid namespace name was accepted")
            } catch {
                #expect(error.code != nil, "\(error)")
            }
            #expect(try await client.health().status == "ok")  // the connection survived the errors
        }
    }

    @Test("no daemon, or a stopped one, is .unavailable")
    func unavailable() async throws {
        let directory = try makeSocketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let nowhere = MemoryClient(socketPath: "\(directory)/none.sock")
        await #expect(throws: MemoryClientError.self) { try await nowhere.health() }
        do throws(MemoryClientError) {
            _ = try await nowhere.health()
        } catch {
            guard case .unavailable = error else {
                Issue.record("expected .unavailable, got \(error)")
                return
            }
        }

        var client: MemoryClient?
        try await withEngramd { (socketPath: String) async throws in
            let running = MemoryClient(socketPath: socketPath)
            #expect(try await running.health().status == "ok")  // leaves an idle keep-alive connection
            client = running
        }
        let stopped = try #require(client)
        do throws(MemoryClientError) {
            _ = try await stopped.health()
            Issue.record("a stopped daemon answered")
        } catch {
            guard case .unavailable = error else {
                Issue.record("expected .unavailable, got \(error)")
                return
            }
        }
    }

    @Test("concurrent calls from many tasks share the client")
    func concurrency() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath, maxIdleConnections: 2)
            _ = try await client.createNamespace("c", NamespaceRequest(dimension: 32))
            let ids = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let outcome = try await client.remember(RememberRequest(text: "fact number \(index)"), in: "c")
                        _ = try await client.search(in: "c", SearchRequest(text: "fact number \(index)", k: 1))
                        #expect(try await client.get(outcome.entry.id, in: "c").text == "fact number \(index)")
                        return outcome.entry.id
                    }
                }
                var ids: Set<UInt64> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids.count == 24)
            let page = try await client.list(in: "c", limit: 100)
            #expect(Set(page.entries.map(\.id)) == ids)
        }
    }
}

extension MemoryClientError {
    /// The message of a `.server` error ("" otherwise), for whole-value comparisons.
    var serverMessage: String {
        if case .server(_, _, let message) = self { return message }
        return ""
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MemoryEngine
import MemoryServer
import Testing
import EngramTestSupport

/// What SIGTERM does to engramd (the ServiceGroup's graceful shutdown), with real writes in
/// flight: they all complete and are acknowledged, the listener closes, the socket file goes,
/// and every acknowledged write is in the store afterwards.
@Suite("End to end: graceful shutdown with requests in flight")
struct GracefulShutdownTests {
    static let inFlight = 6

    @Test("in-flight text remembers finish with 2xx; new connections are refused; acknowledged writes are stored")
    func shutdownDrainsWrites() async throws {
        var harness = try DaemonHarness()
        defer { harness.cleanUp() }
        let embedder = GatedEmbedder()
        harness.embedder = embedder
        // One pool thread per held request, so all of them are inside the engine at once.
        harness.configuration.blockingThreads = Self.inFlight
        let socketPath = harness.socketPath

        let acknowledged = try await harness.run { daemon -> [(id: UInt64, sequence: UInt64, text: String)] in
            // Whatever fails below, the held requests must finish or shutdown would wait forever.
            defer { embedder.release() }
            let client = daemon.client
            try await client.createNamespace("kb")
            let requests = Task {
                try await withThrowingTaskGroup(of: (String, UnixHTTPClient.Response).self) { group in
                    for index in 0..<Self.inFlight {
                        let text = "fact \(index) learned just before shutdown"
                        group.addTask {
                            (text, try await client.sendJSON("POST", "/v1/namespaces/kb/memories", json: #"{"text": "\#(text)"}"#))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            // Every request is now inside the engine, held in its embedding.
            let arrived = await embedder.waitForArrivals(Self.inFlight)
            #expect(arrived, "the requests never reached the embedder")

            await daemon.triggerGracefulShutdown()
            // The listener closes while the held requests are still running.
            let refused = await eventually { connectionRefused(socketPath) }
            #expect(refused, "new connections were still accepted during shutdown")
            #expect(fileExists(socketPath), "the socket file went before in-flight requests finished")

            embedder.release()
            let responses = try await requests.value
            #expect(responses.count == Self.inFlight)
            var acknowledged: [(id: UInt64, sequence: UInt64, text: String)] = []
            for (text, response) in responses {
                #expect(response.status == 201, "\(response.status) \(response.text)")
                #expect(response.headers["content-length"].flatMap(Int.init) == response.body.count)
                guard let id = (response.entry?["id"] as? Int).flatMap(UInt64.init(exactly:)),
                      let sequence = (response.json?["sequence"] as? Int).flatMap(UInt64.init(exactly:)) else {
                    Issue.record("incomplete response: \(response.text)")
                    continue
                }
                acknowledged.append((id, sequence, text))
            }
            return acknowledged
        }

        #expect(acknowledged.count == Self.inFlight)
        #expect(!fileExists(socketPath), "the socket file is left behind")
        #expect(connectionRefused(socketPath))

        // Reopen the directory as an operator would: every acknowledged write is there.
        let store = try await harness.openStore()
        for write in acknowledged {
            let entry = try store.get(namespace: "kb", id: write.id)
            #expect(entry?.text == write.text, "acknowledged entry \(write.id) lost")
            let events = try store.audit(entryID: write.id)
            #expect(events.map(\.sequence) == [write.sequence])
            #expect(events.first?.kind == .created)
        }
        #expect(store.namespace("kb")?.entryCount == Self.inFlight)
    }

    /// Polls `condition` until it holds (true) or about 30 s passed (false): a guard against a
    /// hang, not a timing assertion.
    private func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<3000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

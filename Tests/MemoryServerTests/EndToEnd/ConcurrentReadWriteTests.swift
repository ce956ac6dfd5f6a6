import Foundation
import MemoryServer
import Synchronization
import Testing
import EngramTestSupport

/// docs/architecture.md "Searches run in parallel with each other and with a writer" and "Read your
/// writes", over the socket: several searchers and one writer, each request on its own
/// connection, against an HNSW graph (flat threshold 0, so the graph itself is exercised).
@Suite("End to end: parallel searches while writing")
struct ConcurrentReadWriteTests {
    static let namespace = "live"
    static let searchers = 4
    static let writes = 48

    @Test("no search fails while a writer runs, and every write is visible to the next search")
    func searchesDuringWrites() async throws {
        let harness = try DaemonHarness()
        defer { harness.cleanUp() }
        try await harness.run { daemon in
            let client = daemon.client
            let created = try await client.sendJSON("PUT", "/v1/namespaces/\(Self.namespace)",
                                                    json: #"{"dimension": 32, "parameters": {"m": 8, "flat_threshold": 0}}"#)
            #expect(created.status == 201, "\(created.text)")
            var generator = SeededGenerator(seed: 42)
            for index in 0..<16 {
                _ = try await client.remember("seed \(index)", vector: randomUnitVector(using: &generator), in: Self.namespace)
            }
            let writerVectors = (0..<Self.writes).map { _ in randomUnitVector(using: &generator) }
            let writerDone = DoneFlag()

            let (searchFailures, searchCount, writeFailures) = try await withThrowingTaskGroup(
                of: (failures: [String], searches: Int).self
            ) { group in
                for searcher in 0..<Self.searchers {
                    group.addTask {
                        var generator = SeededGenerator(seed: UInt64(1000 + searcher))
                        var failures: [String] = []
                        var searches = 0
                        // At least a few rounds, then until the writer finishes.
                        while searches < 5 || !writerDone.isSet {
                            let response = try await client.search(randomUnitVector(using: &generator), in: Self.namespace, k: 5)
                            searches += 1
                            let namespaces = ((response.json?["hits"] as? [[String: Any]]) ?? [])
                                .compactMap { ($0["entry"] as? [String: Any])?["namespace"] as? String }
                            if response.status != 200 || response.hitIDs.count != 5 || namespaces != Array(repeating: Self.namespace, count: 5) {
                                failures.append("searcher \(searcher): \(response.status) \(response.text.prefix(300))")
                            }
                        }
                        return (failures, searches)
                    }
                }
                let writerFailures = try await write(client: client, vectors: writerVectors)
                writerDone.set()
                var failures: [String] = []
                var searches = 0
                for try await result in group {
                    failures += result.failures
                    searches += result.searches
                }
                return (failures, searches, writerFailures)
            }
            #expect(searchFailures.isEmpty, "\(searchFailures.prefix(5))")
            #expect(writeFailures.isEmpty, "\(writeFailures.prefix(5))")
            #expect(searchCount >= Self.searchers * 5)

            // The end state: every write but the forgotten ones is listed.
            let stats = try await client.request("GET", "/v1/namespaces/\(Self.namespace)")
            let forgotten = (0..<Self.writes).filter { $0 % 8 == 7 }.count
            #expect(stats.json?["entry_count"] as? Int == 16 + Self.writes - forgotten, "\(stats.text)")
        }
    }

    /// Writes each vector, then at once searches for it (read-your-writes); every 8th write is
    /// forgotten again and a search must no longer return it.
    /// - Returns: the violations found.
    private func write(client: UnixHTTPClient, vectors: [[Float]]) async throws -> [String] {
        var failures: [String] = []
        var lastSequence = 0
        for (index, vector) in vectors.enumerated() {
            let written = try await client.remember("written \(index)", vector: vector, in: Self.namespace)
            if written.sequence <= lastSequence { failures.append("sequence \(written.sequence) after \(lastSequence)") }
            lastSequence = written.sequence
            // ef far above the graph size: the exact duplicate must be the first hit.
            let found = try await client.search(vector, in: Self.namespace, k: 3, ef: 500)
            if found.status != 200 || found.hitIDs.first != written.id {
                failures.append("write \(index) (id \(written.id)) not seen by the next search: \(found.status) \(found.hitIDs)")
            }
            if index % 8 == 7 {
                let forget = try await client.request("DELETE", "/v1/namespaces/\(Self.namespace)/memories/\(written.id)")
                if forget.status != 200 { failures.append("forget \(written.id): \(forget.status) \(forget.text)") }
                let gone = try await client.search(vector, in: Self.namespace, k: 3, ef: 500)
                if gone.status != 200 || gone.hitIDs.contains(written.id) {
                    failures.append("forgotten \(written.id) still found: \(gone.status) \(gone.hitIDs)")
                }
            }
        }
        return failures
    }
}

/// A flag one task sets and others read; the Mutex makes it Sendable.
final class DoneFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

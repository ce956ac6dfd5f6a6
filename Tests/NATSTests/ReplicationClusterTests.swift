import EngramTestSupport
import Foundation
import NATS
@testable import Replication
import Synchronization
import Testing

/// An `engramd` process joined to a replicated deployment (its own socket and data directory),
/// its output kept in a log file the test can read.
final class EngramdNode: @unchecked Sendable {
    // @unchecked: `process` is replaced only by `start()`, which the test calls from one task.
    let name: String
    let directory: String
    let natsPorts: [Int]
    var process = Process()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let modelDirectory = ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"]
        ?? repository + "/.cache/models/all-MiniLM-L6-v2"
    /// engramd loads the embedding model at start (`make test` fetches it).
    static let available = FileManager.default.fileExists(atPath: modelDirectory + "/model.safetensors")
        && (try? ProductBinary.path("engramd")) != nil

    var socket: String { directory + "/engramd.sock" }
    var dataDirectory: String { directory + "/data" }
    var logPath: String { directory + "/engramd.log" }
    var client: UnixHTTPClient { UnixHTTPClient(socketPath: socket) }

    init(name: String, root: String, natsPorts: [Int]) throws {
        self.name = name
        directory = root + "/" + name
        self.natsPorts = natsPorts
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit { if process.isRunning { kill() } }

    func start() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try ProductBinary.path("engramd"))
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in [
            "ENGRAM_SOCKET": socket, "ENGRAM_DATA_DIR": dataDirectory, "ENGRAM_MODEL_DIR": Self.modelDirectory,
            "ENGRAM_CLUSTER_NODE_ID": name, "ENGRAM_CLUSTER_SERVERS": natsPorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ","),
            "ENGRAM_CLUSTER_REPLICAS": "3", "ENGRAM_CLUSTER_LEASE_SECONDS": "2", "ENGRAM_CLUSTER_APPLY_TIMEOUT_SECONDS": "20",
            "ENGRAM_CLUSTER_SNAPSHOT_EVERY": "0", "ENGRAM_BLOCKING_THREADS": "4", "OPENBLAS_NUM_THREADS": "1",
        ] { environment[key] = value }
        environment["ENGRAM_CONFIG"] = nil
        process.environment = environment
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// SIGKILL, as a machine that dies.
    func kill() {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait: a graceful stop (it releases its leases).
    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Waits until the node answers and is connected to NATS (a daemon loads its model and
    /// opens its store first: slow on a loaded machine, so three times the usual patience).
    func waitJoined() async throws {
        try await eventually(patience: LocalNATSServer.patience * 3) {
            let status = try await self.client.request("GET", "/v1/cluster")
            guard status.status == 200, status.json?["connected"] as? Bool == true else {
                throw NATSError.timeout("\(self.name) has not joined: \(status.status) \(status.text.prefix(200))")
            }
        }
    }

    func json(_ method: String, _ path: String, _ body: [String: Any]? = nil,
              minSequence: UInt64? = nil) async throws -> TestHTTPResponse {
        var headers = [("Content-Type", "application/json")]
        if let minSequence { headers.append(("Engram-Min-Sequence", String(minSequence))) }
        return try await client.request(method, path, body: try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) },
                                        headers: headers)
    }

    /// The ids of `namespace`'s entries once this node has applied the log through `sequence`.
    func entryIDs(_ namespace: String, through sequence: UInt64) async throws -> Set<UInt64> {
        let response = try await json("GET", "/v1/namespaces/\(namespace)/memories?limit=1000", minSequence: sequence)
        guard response.status == 200, let entries = response.json?["entries"] as? [[String: Any]] else {
            throw NATSError.protocolViolation("\(name): \(response.status) \(response.text.prefix(300))")
        }
        return Set(entries.compactMap { ($0["id"] as? NSNumber)?.uint64Value })
    }

    var owned: [String] {
        get async throws { (try await client.request("GET", "/v1/cluster").json?["owned_namespaces"] as? [String]) ?? [] }
    }
}

/// A vector of dimension 8 for entry `seed` (never zero).
func clusterVector(_ seed: Int) -> [Double] {
    (0..<8).map { Double(($0 * 7 + seed * 13) % 17) / 17 + 0.05 }
}

/// When the owner was killed.
final class KillTime: Sendable {
    let instant = Mutex<ContinuousClock.Instant?>(nil)
    /// Writes acknowledged so far.
    let acknowledged = Atomic<Int>(0)
}

/// An acknowledged write: the entry and the log sequence the write got.
struct Acknowledged: Sendable {
    var id: UInt64
    var sequence: UInt64
}

/// Writes `text` through `node` until a node acknowledges it (a write that failed is
/// retried: during a failover the owner is gone for about the lease).
func writeUntilAcknowledged(_ node: EngramdNode, namespace: String, text: String, seed: Int) async throws -> Acknowledged {
    try await eventually {
        let response = try await node.json("POST", "/v1/namespaces/\(namespace)/memories",
                                           ["text": text, "vector": clusterVector(seed)])
        guard response.status == 201, let entry = response.json?["entry"] as? [String: Any],
              let id = (entry["id"] as? NSNumber)?.uint64Value,
              let sequence = response.headers["engram-log-sequence"].flatMap(UInt64.init) else {
            throw NATSError.timeout("write through \(node.name): \(response.status) \(response.text.prefix(200))")
        }
        return Acknowledged(id: id, sequence: sequence)
    }
}

@Suite("Replicated namespaces: engramd nodes on a 3-node JetStream cluster",
       .enabled(if: LocalNATSServer.enabled && EngramdNode.available), .serialized)
struct ReplicationClusterTests {
    @Test("writes through any node reach every node; failover, catch-up, snapshots; a stale owner is fenced")
    func replicatedDeployment() async throws {
        let root = FileManager.default.temporaryDirectory.path + "/engram-cluster-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let nats = try LocalNATSCluster()
        let ports = nats.servers.map(\.port)
        // Each node names its own NATS server first.
        let nodes = try (0..<3).map { index in
            try EngramdNode(name: "node\(index + 1)", root: root, natsPorts: Array(ports[index...] + ports[..<index]))
        }
        do {
            try await Self.scenario(nats: nats, nodes: nodes)
        } catch {
            for node in nodes {
                let log = (try? String(contentsOfFile: node.logPath, encoding: .utf8)) ?? ""
                print("--- \(node.name) log (last lines):\n" + log.split(separator: "\n").suffix(25).joined(separator: "\n"))
            }
            throw error
        }
    }

    static func scenario(nats: LocalNATSCluster, nodes: [EngramdNode]) async throws {
        for node in nodes { try await node.waitJoined() }

        // A namespace created through one node, written through all three (two of them forward).
        let created = try await eventually {
            let response = try await nodes[1].json("PUT", "/v1/namespaces/facts", ["dimension": 8])
            guard response.status == 200 || response.status == 201 else {
                throw NATSError.timeout("create: \(response.status) \(response.text.prefix(200))")
            }
            return response
        }
        #expect(created.headers["engram-log-sequence"] != nil)
        var acknowledged: [Acknowledged] = []
        for index in 0..<9 {
            acknowledged.append(try await writeUntilAcknowledged(nodes[index % 3], namespace: "facts", text: "fact \(index)",
                                                                 seed: index))
        }
        #expect(Set(acknowledged.map(\.sequence)).count == 9)
        var through = acknowledged.map(\.sequence).max()!
        for node in nodes {
            #expect(try await node.entryIDs("facts", through: through) == Set(acknowledged.map(\.id)), "\(node.name)")
        }

        // Read-your-writes on another node: an edit through node 3, read on node 1 with its sequence.
        let edited = acknowledged[0].id
        let edit = try await nodes[2].json("PATCH", "/v1/namespaces/facts/memories/\(edited)", ["text": "fact 0, edited", "vector": clusterVector(99)])
        #expect(edit.status == 200)
        let editSequence = try #require(edit.headers["engram-log-sequence"].flatMap(UInt64.init))
        let read = try await nodes[0].json("GET", "/v1/namespaces/facts/memories/\(edited)", minSequence: editSequence)
        #expect((read.json?["text"] as? String) == "fact 0, edited")
        through = max(through, editSequence)

        // A stale owner cannot append: the log refuses a message decided before the latest one.
        let connection = try await nats.servers[0].connect()
        let subject = LogSubjects.writes("facts", stream: "ENGRAM")
        await #expect(throws: NATSError.self) {
            _ = try await JetStream(connection).publish(subject, payload: [1], expectedLastSubjectSequence: acknowledged[0].sequence)
        }
        await connection.close()

        // Kill -9 the owner while two writers write through the other nodes.
        let ownerIndex = try await eventually {
            for (index, node) in nodes.enumerated() where try await node.owned.contains("facts") { return index }
            throw NATSError.timeout("no node owns facts")
        }
        let survivors = nodes.indices.filter { $0 != ownerIndex }.map { nodes[$0] }
        let killed = KillTime()
        let owner = nodes[ownerIndex]
        let during = try await withThrowingTaskGroup(of: [(Acknowledged, ContinuousClock.Instant)].self) { group in
            for (writer, node) in survivors.enumerated() {
                group.addTask {
                    var written: [(Acknowledged, ContinuousClock.Instant)] = []
                    for index in 0..<12 {
                        let seed = 100 + writer * 100 + index
                        written.append((try await writeUntilAcknowledged(node, namespace: "facts", text: "during \(seed)", seed: seed),
                                        .now))
                        killed.acknowledged.add(1, ordering: .relaxed)
                    }
                    return written
                }
            }
            group.addTask {
                // The owner dies with the writers a quarter of the way through.
                while killed.acknowledged.load(ordering: .relaxed) < 6 { try await Task.sleep(for: .milliseconds(5)) }
                owner.kill()
                killed.instant.withLock { $0 = .now }
                return []
            }
            var all: [(Acknowledged, ContinuousClock.Instant)] = []
            for try await written in group { all += written }
            return all
        }
        #expect(during.count == 24)
        if let killedAt = killed.instant.withLock({ $0 }), let first = during.map(\.1).filter({ $0 > killedAt }).min() {
            print("replication: the first write acknowledged after the owner's kill -9 came \(first - killedAt) later")
        }
        acknowledged += during.map(\.0)
        through = max(through, acknowledged.map(\.sequence).max()!)
        for node in survivors {
            let ids = try await node.entryIDs("facts", through: through)
            #expect(Set(acknowledged.map(\.id)).isSubset(of: ids), "\(node.name) lost an acknowledged write")
            let verify = try await node.json("POST", "/v1/admin/verify")
            #expect(verify.json?["consistent"] as? Bool == true, "\(node.name): \(verify.text.prefix(300))")
        }
        let takenOver = try await survivors[0].owned.contains("facts")
        let takenOverElsewhere = try await survivors[1].owned.contains("facts")
        #expect(takenOver || takenOverElsewhere)

        // The killed node comes back on its data and catches up from where it stopped.
        try owner.start()
        try await owner.waitJoined()
        #expect(Set(acknowledged.map(\.id)).isSubset(of: try await owner.entryIDs("facts", through: through)))

        // A wiped node starts from the latest snapshot and replays the rest of the log.
        let snapshot = try await survivors[0].json("POST", "/v1/cluster/snapshot")
        #expect(snapshot.status == 200, "\(snapshot.text.prefix(300))")
        for index in 0..<3 {
            let written = try await writeUntilAcknowledged(survivors[0], namespace: "facts", text: "after the snapshot \(index)",
                                                           seed: 500 + index)
            acknowledged.append(written)
            through = max(through, written.sequence)
        }
        let wiped = survivors[1]
        wiped.stop()
        try FileManager.default.removeItem(atPath: wiped.dataDirectory)
        try wiped.start()
        try await wiped.waitJoined()
        let ids = try await wiped.entryIDs("facts", through: through)
        #expect(Set(acknowledged.map(\.id)).isSubset(of: ids))
        let log = try String(contentsOfFile: wiped.logPath, encoding: .utf8)
        #expect(log.contains("started from the deployment's snapshot"))
        let verify = try await wiped.json("POST", "/v1/admin/verify")
        #expect(verify.json?["consistent"] as? Bool == true, "\(verify.text.prefix(300))")
        for node in nodes { node.stop() }
    }
}

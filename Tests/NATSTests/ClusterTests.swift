import Foundation
@testable import NATS
import Testing

/// Three `nats-server`s clustered with JetStream (Raft-replicated streams), on free local ports.
struct LocalNATSCluster {
    let servers: [LocalNATSServer]

    init() throws {
        let routePorts = try (0..<3).map { _ in try LocalNATSServer.freePort() }
        let routes = routePorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        servers = try routePorts.enumerated().map { index, routePort in
            try LocalNATSServer(arguments: ["-n", "node\(index + 1)", "--cluster_name", "engram",
                                            "--cluster", "nats://127.0.0.1:\(routePort)", "--routes", routes])
        }
    }
}

/// Retries `body` until it succeeds, for what a cluster does only once it has elected its
/// leaders; gives up after `LocalNATSServer.patience` (a bound on a hang, not a measurement).
func eventually<T: Sendable>(patience: Duration = LocalNATSServer.patience,
                              _ body: @Sendable () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + patience
    while true {
        do {
            return try await body()
        } catch {
            if ContinuousClock.now >= deadline { throw error }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

@Suite("NATS client against a 3-node JetStream cluster", .enabled(if: LocalNATSServer.enabled))
struct ClusterTests {
    @Test("every acknowledged publish to a replicated stream survives a node killed mid-way")
    func replicatedStreamSurvivesANodeLoss() async throws {
        let cluster = try LocalNATSCluster()
        let writer = try await cluster.servers[0].connect()
        let js = JetStream(writer, timeout: .seconds(5))
        try await eventually { try await js.createStream(.init(name: "ENGRAM", subjects: ["engram.ns.>"], replicas: 3)) }

        var acknowledged: [UInt64] = []
        for i in 1...40 {
            if i == 21 { cluster.servers[2].kill() }
            // A write retried after a lost acknowledgement keeps its id: it is stored once.
            let ack = try await eventually {
                try await js.publish("engram.ns.kb", payload: Array("write \(i)".utf8), messageID: "write-\(i)")
            }
            acknowledged.append(ack.sequence)
        }
        #expect(acknowledged == Array(1...40))

        // A surviving node that did not take the writes has every one of them.
        let reader = try await cluster.servers[1].connect()
        let replica = JetStream(reader, timeout: .seconds(5))
        try await eventually { try await replica.createPullConsumer(stream: "ENGRAM", durable: "node2") }
        var read: [String] = []
        for _ in 0..<100 where read.count < 40 {
            let batch = try await eventually { try await replica.fetch(stream: "ENGRAM", durable: "node2", batch: 40) }
            for message in batch {
                read.append(String(decoding: message.message.payload, as: UTF8.self))
                try await replica.acknowledge(message)
            }
        }
        #expect(read == (1...40).map { "write \($0)" })
        await reader.close()
        await writer.close()
    }
}

import Foundation
public import Logging
import MemoryStore
import NATS
import NIOPosix

/// Snapshots: a compacted copy of a node's store (``MemoryStore/backup(to:)``) in the
/// deployment's object-store bucket, which a new or wiped node starts from before it replays
/// the rest of the log. The copy carries the log sequence it has applied (in its `meta`), so
/// any node's snapshot is a valid start, however far behind.
extension ReplicationNode {
    static let snapshotObject = "latest"

    /// Stores a snapshot of this node's store now. - Returns: the log sequence it covers.
    @discardableResult
    public func takeSnapshot() async throws -> UInt64 {
        let connected = try connected()
        let store = engine.store
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("engram-snapshot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (bytes, sequence) = try await NIOThreadPool.singleton.runIfActive { () throws -> ([UInt8], UInt64) in
            try store.backup(to: directory)
            let sequence = try MemoryStore.appliedLogSequence(ofStoreAt: directory)
            return (Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/data.mdb"))), sequence)
        }
        _ = try await connected.snapshots.put(Self.snapshotObject, bytes, headers: ["Engram-Log-Sequence": String(sequence)])
        snapshotsTaken.add(1, ordering: .relaxed)
        logger.info("stored a snapshot", metadata: ["sequence": "\(sequence)", "bytes": "\(bytes.count)"])
        return sequence
    }

    /// Stores a snapshot whenever `snapshotEvery` messages were applied since the last.
    /// Precondition: `snapshotEvery > 0`.
    func snapshotLoop(_ connected: Connected) async throws {
        var last = applier.appliedSequence
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(2))
            let applied = applier.appliedSequence
            guard applied >= last + UInt64(configuration.snapshotEvery) else { continue }
            do {
                last = try await takeSnapshot()
            } catch {
                logger.warning("cannot store a snapshot", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Puts the deployment's latest snapshot in `directory` as its store, when the directory
    /// holds no store (a new or wiped node). Call before opening the store.
    /// - Returns: the log sequence the snapshot covers, or `nil` when the directory already
    ///   holds a store or the deployment has no snapshot yet (the node replays the whole log).
    public static func restoreSnapshot(_ configuration: ReplicationConfiguration, into directory: String,
                                       logger: Logger) async throws -> UInt64? {
        try configuration.validate()
        guard !FileManager.default.fileExists(atPath: directory + "/data.mdb") else { return nil }
        var lastError: (any Error)?
        for server in configuration.servers {
            do {
                let connection = try await NATSConnection.connect(host: server.host, port: server.port,
                                                                  name: "engramd-\(configuration.nodeID)-restore")
                defer { Task { await connection.close() } }
                let jetStream = JetStream(connection)
                let name = "engram_snapshots_\(configuration.stream)"
                let bucket = try await existingOrNew {
                    try await ObjectStoreBucket.create(name, in: jetStream, replicas: configuration.replicas)
                } existing: { ObjectStoreBucket(jetStream: jetStream, name: name) }
                guard let (_, data) = try await bucket.get(snapshotObject) else { return nil }
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let partial = directory + "/data.mdb.partial"
                try Data(data).write(to: URL(fileURLWithPath: partial))
                try FileManager.default.moveItem(atPath: partial, toPath: directory + "/data.mdb")
                let sequence = try MemoryStore.appliedLogSequence(ofStoreAt: directory)
                logger.info("started from the deployment's snapshot", metadata: ["sequence": "\(sequence)", "bytes": "\(data.count)"])
                return sequence
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ReplicationError.invalidConfiguration("no NATS server")
    }
}

import Foundation
public import MemoryEngine
public import MemoryStore
import NATS
import Synchronization

/// The engine's writer on a replicated node: publishes each decided operation to the
/// namespace's log subject and returns once this node has applied it from the log, with the
/// outcome every node computes alike.
///
/// Entry and namespace writes need this node's lease of the namespace and carry the last
/// sequence it has seen on the subject (`Nats-Expected-Last-Subject-Sequence`), so an owner
/// that lost its lease to another node is refused by the stream. Use counts go to a subject
/// of their own without that check: they commute with every write and any node may send them.
///
/// The engine is made with the writer and the node with the engine, so the writer is attached
/// to its node afterwards (``attach(_:)``); until then it refuses writes.
public final class ReplicatedWriter: StoreWriter {
    private let attached = Mutex<ReplicationNode?>(nil)

    public init() {}

    public func attach(_ node: ReplicationNode) {
        attached.withLock { $0 = node }
    }

    public func decidesWrites(of namespace: String) -> Bool {
        attached.withLock { $0 }?.leases.freshLease(namespace) != nil
    }

    public func perform(_ operation: StoreOperation) throws -> StoreOutcome {
        guard let node = attached.withLock({ $0 }) else {
            throw EngineError.unavailable("replication is not running yet")
        }
        let payload = try LogCodec.encode(operation)
        let namespace = operation.namespace
        let applier = node.applier
        let deadline = Date().addingTimeInterval(node.configuration.applyTimeoutSeconds)
        let messageID = UUID().uuidString
        let stream = node.configuration.stream
        let fenced: Bool
        if case .recordUse = operation { fenced = false } else { fenced = true }
        if let halted = applier.haltReason {
            throw EngineError.unavailable("this node cannot apply the log (\(halted)): nothing was written")
        }
        // The engine decided `operation` on this node's state, which holds every write of the
        // namespace the log has only if this node held the lease all along (it applies its own
        // writes before the next; no other node can append while the lease is held). A lease
        // taken just now is taken, and the write refused: its retry is decided on the caught-up
        // state.
        let heldBefore = node.leases.freshLease(namespace) != nil
        let ack: JetStream.PublishAck
        applier.expect(messageID)
        do {
            ack = try node.blocking {
                let connected = try node.connected()
                if let limit = connected.connection.serverInfo?.maxPayload, payload.count + 4096 > limit {  // the server's figure: no arithmetic on it
                    throw EngineError.payloadTooLarge("""
                        this write is \(payload.count) bytes as a log message and the NATS servers take at most \(limit) \
                        (max_payload, less room for headers): send fewer entries per request
                        """)
                }
                var expected: UInt64?
                if fenced {
                    let lease = try await node.lease(namespace, connected)
                    guard heldBefore else {
                        try? await node.waitApplied(through: lease.lastSubjectSequence)
                        throw EngineError.unavailable("""
                            this node has just taken namespace "\(namespace)" over and decided this write before it held \
                            it: nothing was written; retry
                            """)
                    }
                    expected = lease.lastSubjectSequence
                }
                let subject = fenced ? LogSubjects.writes(namespace, stream: stream) : LogSubjects.uses(namespace, stream: stream)
                do {
                    let ack = try await connected.jetStream.publish(subject, payload: payload, messageID: messageID,
                                                                    expectedLastSubjectSequence: expected)
                    if fenced { node.leases.appended(namespace, at: ack.sequence) }
                    return ack
                } catch NATSError.jetStream(_, let code, _) where code == 10071 {
                    node.leases.drop(namespace)
                    throw EngineError.unavailable("""
                        namespace "\(namespace)" was written by another node since this one last saw it \
                        (its lease moved): nothing was written; retry
                        """)
                }
            }
        } catch let error as EngineError {
            applier.forget(messageID)
            throw error
        } catch let error as NATSError {
            applier.forget(messageID)
            switch error {
            case .timeout, .connectionClosed:
                // The message may have reached the stream before the answer was lost.
                throw EngineError.unavailable("replication: \(error): the log may have taken this write; check before repeating a create")
            default:
                throw EngineError.unavailable("replication: \(error); nothing was written")
            }
        } catch {
            applier.forget(messageID)
            throw EngineError.unavailable("replication: \(error); nothing was written")
        }
        LogReceipt.current?.note(ack.sequence)
        guard let result = applier.outcome(of: messageID, deadline: deadline) else {
            throw EngineError.unavailable("""
                the log took the write (sequence \(ack.sequence)) but this node had not applied it within \
                \(node.configuration.applyTimeoutSeconds) s\(applier.haltReason.map { ": \($0)" } ?? "")
                """)
        }
        return try result.get()
    }
}

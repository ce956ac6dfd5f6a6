import Foundation
import Logging
public import MemoryEngine
import MemoryStore
import NATS
import NIOPosix

/// Applies the replication log to this node's engine, in stream order, and tells writers
/// waiting on this node when their operation is applied.
///
/// The position is the store's own (``MemoryStore/appliedLogSequence()``, written in the
/// transaction of each write it applies), so a node that restarts resumes after the last
/// operation it committed; the stream's consumer is recreated from there each time.
public final class LogApplier: @unchecked Sendable {
    // @unchecked: `applied` and `slots` are read and written only with `condition` locked.
    private let condition = NSCondition()
    private var applied: UInt64
    private var slots: [String: Slot] = [:]
    private var halted: String?

    private enum Slot {
        case waiting
        case done(Result<StoreOutcome, any Error>, sequence: UInt64)
    }

    let engine: MemoryEngine
    let logger: Logger

    /// - Throws: the store's error reading its position.
    public init(engine: MemoryEngine, logger: Logger) throws {
        self.engine = engine
        self.logger = logger
        applied = try engine.store.appliedLogSequence()
    }

    /// The last log sequence this node applied.
    public var appliedSequence: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return applied
    }

    /// Registers a writer's message id before it publishes, so that its outcome is kept when
    /// the message is applied (whenever that is).
    func expect(_ messageID: String) {
        condition.lock()
        slots[messageID] = .waiting
        condition.unlock()
    }

    /// Drops a registration (the publish failed).
    func forget(_ messageID: String) {
        condition.lock()
        slots[messageID] = nil
        condition.unlock()
    }

    /// Blocks until the message `messageID` (registered with ``expect(_:)``) is applied here, and
    /// returns its outcome, or `nil` at `deadline`. Blocks the calling thread.
    func outcome(of messageID: String, deadline: Date) -> Result<StoreOutcome, any Error>? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if case .done(let result, _) = slots[messageID] {
                slots[messageID] = nil
                return result
            }
            if !condition.wait(until: deadline) {
                if case .done(let result, _) = slots[messageID] {
                    slots[messageID] = nil
                    return result
                }
                slots[messageID] = nil
                return nil
            }
        }
    }

    /// Blocks until this node has applied the log through `sequence`; false at `deadline`.
    public func waitApplied(through sequence: UInt64, deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while applied < sequence {
            if !condition.wait(until: deadline) { return applied >= sequence }
        }
        return true
    }

    /// Why applying stopped, when a message could not be applied for a reason of this node
    /// (storage); `nil` while it runs.
    public var haltReason: String? {
        condition.lock()
        defer { condition.unlock() }
        return halted
    }

    /// Applies the log from `stream` until cancelled or the connection fails (then throws;
    /// the caller reconnects and calls again).
    func run(jetStream: JetStream, stream: String, consumer: String) async throws {
        var consumerStart: UInt64 = 0
        while !Task.isCancelled {
            let next = appliedSequence + 1
            if consumerStart != next {
                try await jetStream.createOrderedPullConsumer(stream: stream, durable: consumer, startSequence: next)
                consumerStart = next
            }
            var batch = try await jetStream.fetch(stream: stream, durable: consumer, batch: 256, noWait: true)
            if batch.isEmpty {
                // Nothing now: wait for the next message (a one-message batch returns as soon as it comes).
                batch = try await jetStream.fetch(stream: stream, durable: consumer, batch: 1, wait: .seconds(1))
            }
            guard !batch.isEmpty else { continue }
            let fetched = batch
            let gap = try await NIOThreadPool.singleton.runIfActive { try self.apply(fetched) }
            if gap {
                consumerStart = 0  // a delivery went missing: read again from the position
            } else {
                consumerStart = appliedSequence + 1
            }
        }
    }

    /// Applies fetched messages in order. Returns true when a message is missing between the
    /// position and the batch (the consumer must be recreated).
    /// - Throws: a storage failure (nothing of that message applied; it is retried).
    func apply(_ batch: [JetStream.StreamMessage]) throws -> Bool {
        for message in batch {
            let sequence = message.streamSequence
            let position = appliedSequence
            if sequence <= position { continue }
            if sequence != position + 1 { return true }
            let result: Result<StoreOutcome, any Error>
            do {
                let operation = try LogCodec.decode(message.message.payload, sequence: sequence)
                result = .success(try engine.applyLogged(operation, logSequence: sequence))
            } catch let error as MemoryStoreError where error.isRefusal {
                result = .failure(error)  // refused alike on every node; its sequence is recorded
            } catch let error as ReplicationError {
                logger.error("skipping an unreadable log message", metadata: ["sequence": "\(sequence)", "error": "\(error)"])
                try engine.store.recordAppliedLogSequence(sequence)
                result = .failure(error)
            } catch {
                condition.lock()
                halted = "log message \(sequence): \(error)"
                condition.unlock()
                logger.error("cannot apply a log message; retrying", metadata: ["sequence": "\(sequence)", "error": "\(error)"])
                throw error
            }
            condition.lock()
            applied = sequence
            halted = nil
            if let id = message.message.headers["Nats-Msg-Id"], case .waiting = slots[id] {
                slots[id] = .done(result, sequence: sequence)
            }
            condition.broadcast()
            condition.unlock()
        }
        return false
    }
}

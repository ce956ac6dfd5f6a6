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
    /// Async waiters for a sequence (reads with `min_sequence`), resumed as it is applied.
    private var sequenceWaiters: [(sequence: UInt64, outcome: FirstOutcome<Bool>)] = []
    /// The applier's own thread: applying never waits behind the threads that wait for it.
    private let thread = NIOThreadPool(numberOfThreads: 1)

    private enum Slot {
        case waiting
        case done(Result<StoreOutcome, any Error>, sequence: UInt64)
    }

    let engine: MemoryEngine
    let logger: Logger
    /// Where the stream's messages are: write subjects and use subjects of each namespace.
    let stream: String

    /// - Throws: the store's error reading its position.
    public init(engine: MemoryEngine, stream: String, logger: Logger) throws {
        self.engine = engine
        self.logger = logger
        self.stream = stream
        applied = try engine.store.appliedLogSequence()
        thread.start()
    }

    deinit {
        thread.shutdownGracefully { _ in }
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

    /// Waits, without holding a thread, until this node has applied the log through
    /// `sequence`; false after `timeout`.
    public func waitApplied(through sequence: UInt64, timeout: Duration) async -> Bool {
        let outcome = FirstOutcome<Bool>()
        let reached = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
            outcome.install(continuation)
            condition.lock()
            if applied >= sequence {
                condition.unlock()
                outcome.resume(with: .success(true))
                return
            }
            sequenceWaiters.append((sequence, outcome))
            condition.unlock()
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.resume(with: .success(false)) { self.removeWaiter(outcome) }
            }
        }
        return reached ?? false
    }

    private func removeWaiter(_ outcome: FirstOutcome<Bool>) {
        condition.lock()
        sequenceWaiters.removeAll { $0.outcome === outcome }
        condition.unlock()
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
        // The store's position counts messages of one stream: the one it first applied. A store
        // that applied another (the stream was made again, or the node points at another
        // deployment) would skip this one's first writes, so it stops until an operator gives
        // the node an empty data directory.
        let state = try await jetStream.streamState(stream)
        let identity = "\(stream)@\(state.created)"
        let store = engine.store
        let recorded = try await thread.runIfActive { try store.logIdentity() }
        if recorded == nil && appliedSequence == 0 {
            try await thread.runIfActive { try store.recordLogIdentity(identity) }
        } else if recorded != identity {
            halt("this store applied the log of \(recorded ?? "an unknown stream"), not \(identity): it holds another "
                 + "deployment's data (start the node from an empty data directory)")
            while true { try await Task.sleep(for: .seconds(60)) }
        }
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
            let gap = try await thread.runIfActive { try self.apply(fetched) }
            if gap {
                // A message is missing: read again from the position, once a second (a stream
                // that lost messages for good stays halted, and says so).
                consumerStart = 0
                try await Task.sleep(for: .seconds(1))
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
            if sequence != position + 1 {
                halt("log message \(position + 1) is missing (the next delivered is \(sequence))")
                return true
            }
            let result: Result<StoreOutcome, any Error>
            do {
                // A message this version cannot read may be one a newer version wrote: stop
                // rather than skip it (a node that skipped it would no longer hold what the
                // others hold).
                let operation = try LogCodec.decode(message.message.payload, sequence: sequence)
                if let problem = Self.misplaced(operation, on: message.message.subject, stream: stream) {
                    // What a message says is checked against where it was sent (the owner's
                    // fence is on the subject); the same on every node, so skipped alike.
                    logger.error("skipping a log message sent to the wrong subject",
                                 metadata: ["sequence": "\(sequence)", "problem": "\(problem)"])
                    try engine.store.recordAppliedLogSequence(sequence)
                    result = .failure(ReplicationError.unreadableMessage(sequence: sequence, detail: problem))
                } else {
                    result = .success(try engine.applyLogged(operation, logSequence: sequence))
                }
            } catch let error as MemoryStoreError where error.isRefusal {
                result = .failure(error)  // refused alike on every node; its sequence is recorded
            } catch {
                halt("log message \(sequence): \(error)")
                throw error
            }
            condition.lock()
            applied = sequence
            halted = nil
            if let id = message.message.headers["Nats-Msg-Id"], case .waiting = slots[id] {
                slots[id] = .done(result, sequence: sequence)
            }
            var reached: [FirstOutcome<Bool>] = []
            sequenceWaiters.removeAll { waiter in
                guard waiter.sequence <= sequence else { return false }
                reached.append(waiter.outcome)
                return true
            }
            condition.broadcast()
            condition.unlock()
            for outcome in reached { outcome.resume(with: .success(true)) }
        }
        return false
    }

    /// Records why applying stopped (shown by `GET /v1/cluster`; the node gives up its leases).
    private func halt(_ reason: String) {
        condition.lock()
        let first = halted != reason
        halted = reason
        condition.unlock()
        if first { logger.error("cannot apply the log; retrying", metadata: ["reason": "\(reason)"]) }
    }

    /// Why `operation` does not belong on `subject`, if it does not.
    static func misplaced(_ operation: StoreOperation, on subject: String, stream: String) -> String? {
        let expected: String
        if case .recordUse = operation {
            expected = LogSubjects.uses(operation.namespace, stream: stream)
        } else {
            expected = LogSubjects.writes(operation.namespace, stream: stream)
        }
        return subject == expected ? nil : "a write of namespace \"\(operation.namespace)\" on \(subject), not \(expected)"
    }
}

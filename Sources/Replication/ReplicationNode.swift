import Foundation
public import Logging
public import MemoryEngine
import MemoryStore
import NATS
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A daemon's membership of a replicated deployment: its NATS connection, the log applier,
/// the namespace leases, the forwarding of writes to owners, and snapshots.
///
/// Runs as a service: connects (trying each configured server), makes sure the stream and
/// buckets exist, and then applies the log, renews leases, answers forwarded writes and stores
/// snapshots until shutdown; a lost connection is retried every second. At graceful shutdown
/// it releases its leases so other nodes take its namespaces at once.
public final class ReplicationNode: Service, Sendable {
    public let configuration: ReplicationConfiguration
    public let applier: LogApplier
    let engine: MemoryEngine
    let leases: OwnershipLeases
    let logger: Logger
    private let state = Mutex<Connected?>(nil)
    private let forwardingHandler = Mutex<ForwardingHandler?>(nil)
    let snapshotsTaken = Atomic<Int>(0)

    public typealias ForwardingHandler = @Sendable (ForwardedRequest) async -> ForwardedResponse

    struct Connected: Sendable {
        var connection: NATSConnection
        var jetStream: JetStream
        var leaseBucket: KeyValueBucket
        var snapshots: ObjectStoreBucket
    }

    /// - Throws: ``ReplicationError`` for a bad configuration, or when the store holds writes
    ///   that did not come from the log; the store's error reading its position.
    public init(configuration: ReplicationConfiguration, engine: MemoryEngine, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.engine = engine
        self.logger = logger
        leases = OwnershipLeases(nodeID: configuration.nodeID, leaseSeconds: configuration.leaseSeconds)
        applier = try LogApplier(engine: engine, stream: configuration.stream, logger: logger)
        if applier.appliedSequence == 0, try !engine.store.namespaces().isEmpty || !engine.store.audit(limit: 1).isEmpty {
            throw ReplicationError.storeNotFromLog("""
                the store in \(engine.store.path) holds namespaces but has applied no replication log: a replicated node \
                starts from an empty data directory (or a snapshot) and gets everything from the log; import this store's \
                data through a node instead
                """)
        }
    }

    /// Sets how forwarded writes are answered (the server's router).
    public func setForwardingHandler(_ handler: @escaping ForwardingHandler) {
        forwardingHandler.withLock { $0 = handler }
    }

    // MARK: running

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let connected = try await self.connect()
                    self.state.withLock { $0 = connected }
                    self.logger.info("joined the replicated deployment", metadata: [
                        "node": "\(self.configuration.nodeID)", "stream": "\(self.configuration.stream)",
                        "applied": "\(self.applier.appliedSequence)",
                    ])
                    try await self.serve(connected)
                    if Task.isCancelled { break }
                } catch {
                    if Task.isCancelled { break }
                    self.logger.warning("replication interrupted; reconnecting", metadata: ["error": "\(error)"])
                }
                if let old = self.state.withLock({ state in defer { state = nil }; return state }) {
                    await old.connection.close()
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        if let connected = state.withLock({ $0 }) {
            await leases.releaseAll(bucket: connected.leaseBucket)
            await connected.connection.close()
        }
    }

    private func connect() async throws -> Connected {
        var lastError: (any Error)?
        for server in configuration.servers {
            do {
                let connection = try await NATSConnection.connect(host: server.host, port: server.port,
                                                                  name: "engramd-\(configuration.nodeID)")
                let jetStream = JetStream(connection)
                do {
                    try await jetStream.createStream(.init(name: configuration.stream,
                                                           subjects: [LogSubjects.all(stream: configuration.stream)],
                                                           replicas: configuration.replicas, duplicateWindow: .seconds(120)))
                } catch NATSError.jetStream(_, let code, _) where code == 10058 {
                    // The stream exists with other settings (made by another version): use it as it is.
                }
                // Buckets made with other settings (another lease_seconds or replicas) are used as
                // they are: every node must agree on one deployment's buckets.
                let leaseBucket = try await Self.existingOrNew {
                    try await KeyValueBucket.create("engram_leases_\(self.configuration.stream)", in: jetStream,
                                                    ttl: self.leases.leaseDuration, replicas: self.configuration.replicas)
                } existing: { KeyValueBucket(jetStream: jetStream, name: "engram_leases_\(self.configuration.stream)") }
                let snapshots = try await Self.existingOrNew {
                    try await ObjectStoreBucket.create("engram_snapshots_\(self.configuration.stream)", in: jetStream,
                                                       replicas: self.configuration.replicas)
                } existing: { ObjectStoreBucket(jetStream: jetStream, name: "engram_snapshots_\(self.configuration.stream)") }
                return Connected(connection: connection, jetStream: jetStream, leaseBucket: leaseBucket, snapshots: snapshots)
            } catch {
                lastError = error
                logger.warning("cannot use NATS server", metadata: ["server": "\(server)", "error": "\(error)"])
            }
        }
        throw lastError ?? ReplicationError.invalidConfiguration("no NATS server")
    }

    /// `create()`, or `existing()` when JetStream says the bucket exists with other settings
    /// (error 10058).
    static func existingOrNew<B>(_ create: () async throws -> B, existing: () -> B) async throws -> B {
        do {
            return try await create()
        } catch NATSError.jetStream(_, let code, _) where code == 10058 {
            return existing()
        }
    }

    private func serve(_ connected: Connected) async throws {
        let forwarding = try await connected.connection.subscribe(
            LogSubjects.forwarding(to: configuration.nodeID, stream: configuration.stream))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await self.applier.run(jetStream: connected.jetStream, stream: self.configuration.stream,
                                           consumer: "engram_\(self.configuration.nodeID)")
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.leases.leaseDuration / 3)
                    // A node that cannot apply the log lets its leases lapse, so that another
                    // node can take its namespaces; leases of namespaces that do not exist
                    // (a write that failed) lapse too.
                    if self.applier.haltReason != nil {
                        self.leases.dropAll()
                    } else {
                        let store = self.engine.store
                        for namespace in self.leases.heldNamespaces where store.namespaceConfig(namespace) == nil {
                            self.leases.drop(namespace)
                        }
                        await self.leases.renewAll(bucket: connected.leaseBucket)
                    }
                }
            }
            group.addTask {
                for try await message in forwarding {
                    guard let reply = message.replyTo else { continue }
                    Task { await self.answerForwarded(message, reply: reply, connection: connected.connection) }
                }
                throw NATSError.connectionClosed
            }
            if configuration.snapshotEvery > 0 { group.addTask { try await self.snapshotLoop(connected) } }
            // Each task runs until the connection fails or shutdown cancels it; the first to end
            // ends them all (the caller reconnects).
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: for the writer and the server

    /// The current connection. - Throws: `unavailable` while disconnected.
    func connected() throws -> Connected {
        guard let connected = state.withLock({ $0 }) else {
            throw EngineError.unavailable("this node is not connected to the replication log (NATS); retry")
        }
        return connected
    }

    /// Whether the node is connected to NATS now.
    public var isConnected: Bool { state.withLock { $0 != nil } }

    /// This node's lease of `namespace`, taken if it is free; when newly taken, waits until
    /// this node has applied every write the log holds for the namespace.
    /// - Throws: `unavailable` naming the owner when another node holds it.
    func lease(_ namespace: String, _ connected: Connected) async throws -> OwnershipLeases.Lease {
        let subject = LogSubjects.writes(namespace, stream: configuration.stream)
        let outcome = try await leases.acquire(namespace, bucket: connected.leaseBucket) {
            try await connected.jetStream.lastSequence(in: self.configuration.stream, subject: subject)
        }
        switch outcome {
        case .success(let lease):
            return lease
        case .failure(let elsewhere):
            throw EngineError.unavailable("namespace \"\(namespace)\" is owned by node \(elsewhere.owner): send its writes there")
        }
    }

    /// Where a write to `namespace` must be decided: here (taking the lease when it is free,
    /// and catching up with the namespace's log first) or on another node.
    /// - Throws: `unavailable` while disconnected or when catching up takes too long.
    public func route(writeTo namespace: String) async throws -> WriteRoute {
        do {
            return try await routeOrThrow(namespace)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.unavailable("replication: \(error)")
        }
    }

    private func routeOrThrow(_ namespace: String) async throws -> WriteRoute {
        let connected = try connected()
        if case .other(let owner) = try await leases.owner(of: namespace, bucket: connected.leaseBucket) {
            return .forward(to: owner)
        }
        do {
            let lease = try await lease(namespace, connected)
            try await waitApplied(through: lease.lastSubjectSequence)
            return .local
        } catch let error as EngineError {
            if case .other(let owner) = try await leases.owner(of: namespace, bucket: connected.leaseBucket) {
                return .forward(to: owner)
            }
            throw error
        }
    }

    public enum WriteRoute: Equatable, Sendable {
        case local
        case forward(to: String)
    }

    /// Waits (on a blocking thread) until the node has applied the log through `sequence`.
    /// - Throws: `unavailable` after the apply timeout.
    public func waitApplied(through sequence: UInt64) async throws {
        if applier.appliedSequence >= sequence { return }
        let reached = await applier.waitApplied(through: sequence,
                                                timeout: .milliseconds(Int64(configuration.applyTimeoutSeconds * 1000)))
        guard reached else {
            throw EngineError.unavailable("""
                this node has applied the log through \(applier.appliedSequence), not yet \(sequence), after \
                \(configuration.applyTimeoutSeconds) s\(applier.haltReason.map { ": \($0)" } ?? "")
                """)
        }
    }

    /// Sends a write to node `owner` and returns its answer.
    ///
    /// An owner that dies while it holds the request never answers; rather than wait for the
    /// request's timeout, the lease is checked every half lease meanwhile, and the forward
    /// fails (503, retry) once another node, or none, owns the namespace.
    public func forward(_ request: ForwardedRequest, to owner: String, namespace: String) async throws -> ForwardedResponse {
        let connected = try connected()
        let subject = LogSubjects.forwarding(to: owner, stream: configuration.stream)
        let timeout = Duration.milliseconds(Int64((configuration.applyTimeoutSeconds + 5) * 1000))
        // Whichever ends first answers; the loser is cancelled, and not waited for (a request
        // to a dead owner ends only at its timeout).
        let outcome = FirstOutcome<ForwardedResponse>()
        var tasks: [Task<Void, Never>] = []
        defer { tasks.forEach { $0.cancel() } }
        return try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            tasks.append(Task {
                do {
                    outcome.resume(with: .success(try ForwardedResponse(try await connected.connection.request(
                        subject, payload: request.body, headers: request.natsHeaders, timeout: timeout))))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            })
            tasks.append(Task {
                do {
                    while true {
                        try await Task.sleep(for: self.leases.leaseDuration / 2)
                        if case .other(let current) = try await self.leases.owner(of: namespace, bucket: connected.leaseBucket),
                           current == owner { continue }
                        break
                    }
                    outcome.resume(with: .failure(EngineError.unavailable("""
                        node \(owner) stopped owning namespace "\(namespace)" while it held this write, without \
                        answering: the write may have been stored (if \(owner) logged it before it died); check before \
                        repeating a create
                        """)))
                } catch {
                    if !Task.isCancelled { outcome.resume(with: .failure(error)) }
                }
            })
        }
    }

    private func answerForwarded(_ message: NATSMessage, reply: String, connection: NATSConnection) async {
        let response: ForwardedResponse
        if let request = ForwardedRequest(message), let handler = forwardingHandler.withLock({ $0 }) {
            response = await handler(request)
        } else {
            response = ForwardedResponse(status: 400, headers: [("Content-Type", "text/plain")],
                                         body: Array("unreadable forwarded request".utf8))
        }
        try? await connection.publish(reply, payload: response.body, headers: response.natsHeaders)
    }

    /// Runs `body` on a task and blocks the calling thread (never a cooperative one: the
    /// engine's writers run on the server's blocking pool) until it ends.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let value = try await body()
                box.withLock { $0 = .success(value) }
            } catch {
                box.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }
}

extension ReplicationNode {
    /// The namespaces whose lease this node holds and may use now.
    public var ownedNamespaces: [String] {
        leases.heldNamespaces.filter { leases.freshLease($0) != nil }
    }
}

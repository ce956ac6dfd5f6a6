import Foundation
import NATS
import Synchronization

/// Which node owns each namespace: a lease per namespace in a JetStream key-value bucket
/// whose entries expire `leaseSeconds` after their last write.
///
/// A node takes a free lease with a compare-and-set on "no entry" and keeps it by rewriting
/// it (compare-and-set on its revision) every third of the lease; when it dies, the entry
/// expires and the next node to write the namespace takes it. Holding the lease is what lets
/// a node decide writes; what keeps a stale owner out of the log is the log's own check
/// (`Nats-Expected-Last-Subject-Sequence`): an owner appends only after the last message it
/// has seen on the namespace's subject.
final class OwnershipLeases: Sendable {
    struct Lease: Sendable {
        var revision: UInt64
        var renewedAt: ContinuousClock.Instant
        /// The last sequence on the namespace's write subject this node knows of (its own
        /// appends, or what the stream said when the lease was taken).
        var lastSubjectSequence: UInt64
    }

    enum Owner: Equatable {
        case this
        case other(String)
        case none
    }

    let nodeID: String
    let leaseDuration: Duration
    private let held = Mutex<[String: Lease]>([:])

    init(nodeID: String, leaseSeconds: Double) {
        self.nodeID = nodeID
        leaseDuration = .milliseconds(Int64(leaseSeconds * 1000))
    }

    /// The lease of `namespace` if this node holds it and renewed it recently enough that it
    /// cannot have expired in the bucket (a quarter of the lease to spare).
    func freshLease(_ namespace: String, now: ContinuousClock.Instant = .now) -> Lease? {
        held.withLock { leases in
            guard let lease = leases[namespace], now - lease.renewedAt < leaseDuration * 0.75 else { return nil }
            return lease
        }
    }

    /// Who owns `namespace` according to the bucket (this node's fresh lease first).
    func owner(of namespace: String, bucket: KeyValueBucket) async throws -> Owner {
        if freshLease(namespace) != nil { return .this }
        guard let entry = try await bucket.get(LogSubjects.leaseKey(namespace)) else { return .none }
        let owner = String(decoding: entry.value, as: UTF8.self)
        return owner == nodeID ? .this : .other(owner)
    }

    /// This node's lease of `namespace`, taken now if the namespace is free (or was this
    /// node's, before a restart).
    /// - Returns: the lease, or the owner's name when another node holds it.
    func acquire(_ namespace: String, bucket: KeyValueBucket,
                 lastSubjectSequence: () async throws -> UInt64) async throws -> Result<Lease, OwnedElsewhere> {
        if let lease = freshLease(namespace) { return .success(lease) }
        let key = LogSubjects.leaseKey(namespace)
        let mine = Array(nodeID.utf8)
        let started = ContinuousClock.now
        let revision: UInt64
        if let entry = try await bucket.get(key) {
            let owner = String(decoding: entry.value, as: UTF8.self)
            guard owner == nodeID else { return .failure(OwnedElsewhere(owner: owner)) }
            do {
                revision = try await bucket.update(key, mine, expectedRevision: entry.revision)
            } catch NATSError.jetStream(_, let code, _) where code == 10071 {
                return .failure(OwnedElsewhere(owner: try await currentOwner(key, bucket: bucket)))
            }
        } else {
            do {
                revision = try await bucket.create(key, mine)
            } catch NATSError.jetStream(_, let code, _) where code == 10071 {
                return .failure(OwnedElsewhere(owner: try await currentOwner(key, bucket: bucket)))
            }
        }
        let lease = Lease(revision: revision, renewedAt: started, lastSubjectSequence: try await lastSubjectSequence())
        held.withLock { $0[namespace] = lease }
        return .success(lease)
    }

    private func currentOwner(_ key: String, bucket: KeyValueBucket) async throws -> String {
        guard let entry = try await bucket.get(key) else { return "(none: the lease just expired)" }
        return String(decoding: entry.value, as: UTF8.self)
    }

    /// Records this node's append at `sequence` to `namespace`'s subject.
    func appended(_ namespace: String, at sequence: UInt64) {
        held.withLock { leases in leases[namespace]?.lastSubjectSequence = sequence }
    }

    /// Forgets the lease of `namespace` (the log fenced this node off, or renewal failed).
    func drop(_ namespace: String) {
        _ = held.withLock { $0.removeValue(forKey: namespace) }
    }

    /// Forgets every lease (they lapse in the bucket after the lease time).
    func dropAll() {
        held.withLock { $0.removeAll() }
    }

    /// Renews every lease held; drops those another node took.
    func renewAll(bucket: KeyValueBucket) async {
        let leases = held.withLock { $0 }
        let mine = Array(nodeID.utf8)
        for (namespace, lease) in leases {
            let started = ContinuousClock.now
            do {
                let revision = try await bucket.update(LogSubjects.leaseKey(namespace), mine, expectedRevision: lease.revision)
                held.withLock { leases in
                    guard leases[namespace]?.revision == lease.revision else { return }
                    leases[namespace]?.revision = revision
                    leases[namespace]?.renewedAt = started
                }
            } catch NATSError.jetStream(_, let code, _) where code == 10071 {
                // Another node holds it now (unless this node took it again meanwhile).
                held.withLock { leases in
                    if leases[namespace]?.revision == lease.revision { leases[namespace] = nil }
                }
            } catch {
                continue  // the connection: the lease stays until it is too old to use
            }
        }
    }

    /// Releases every lease (graceful shutdown): deletes the entries this node holds, so
    /// another node can take the namespaces at once.
    func releaseAll(bucket: KeyValueBucket) async {
        let leases = held.withLock { leases in
            defer { leases = [:] }
            return leases
        }
        for (namespace, lease) in leases {
            // Only a lease still this node's: a delete conditional on its revision.
            try? await bucket.delete(LogSubjects.leaseKey(namespace), expectedRevision: lease.revision)
        }
    }

    /// The names of the namespaces this node holds a lease of.
    var heldNamespaces: [String] { held.withLock { Array($0.keys) } }
}

/// Another node owns the namespace.
struct OwnedElsewhere: Error {
    var owner: String
}

import Foundation

/// Uses of one entry not yet written: how many searches returned it, and when last.
/// What ``MemoryStore/recordUse(namespace:uses:)`` adds to the stored entry.
public struct EntryUse: Sendable, Equatable {
    public var count: UInt64
    public var lastUsedAt: Date

    public init(count: UInt64, lastUsedAt: Date) {
        self.count = count
        self.lastUsedAt = lastUsedAt
    }
}

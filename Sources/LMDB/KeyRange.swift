#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A range of keys for scans: from `lowerBound` (inclusive) to `upperBound` (exclusive, or
/// inclusive with `includesUpperBound`); a `nil` bound is open.
///
/// Bounds compare with the database's own order (`mdb_cmp`). `prefix(_:)` assumes the
/// default bytewise order; it is meaningless with `reverseKey` or `integerKey` databases.
public struct KeyRange: Sendable, Hashable {
    public var lowerBound: [UInt8]?
    public var upperBound: [UInt8]?
    public var includesUpperBound: Bool

    public init(lowerBound: [UInt8]?, upperBound: [UInt8]?, includesUpperBound: Bool = false) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.includesUpperBound = includesUpperBound
    }

    /// Every key.
    public static let all = KeyRange(lowerBound: nil, upperBound: nil)

    /// Keys ≥ `key` (`key...`).
    public static func from(_ key: some ContiguousBytes) -> KeyRange {
        KeyRange(lowerBound: bytes(key), upperBound: nil)
    }

    /// Keys < `key` (`..<key`).
    public static func upTo(_ key: some ContiguousBytes) -> KeyRange {
        KeyRange(lowerBound: nil, upperBound: bytes(key))
    }

    /// Keys ≤ `key` (`...key`).
    public static func through(_ key: some ContiguousBytes) -> KeyRange {
        KeyRange(lowerBound: nil, upperBound: bytes(key), includesUpperBound: true)
    }

    /// `lower ≤ key < upper`.
    public static func between(_ lower: some ContiguousBytes, _ upper: some ContiguousBytes) -> KeyRange {
        KeyRange(lowerBound: bytes(lower), upperBound: bytes(upper))
    }

    /// `lower ≤ key ≤ upper`.
    public static func closed(_ lower: some ContiguousBytes, _ upper: some ContiguousBytes) -> KeyRange {
        KeyRange(lowerBound: bytes(lower), upperBound: bytes(upper), includesUpperBound: true)
    }

    /// Keys that start with `prefix`: `prefix ≤ key < successor(prefix)`, where the successor
    /// increments the last byte that is not 0xFF and drops what follows. An empty prefix, or
    /// one of only 0xFF bytes, has no successor and the range is open above (still exact:
    /// every key ≥ FF…FF starts with it).
    public static func prefix(_ prefix: some ContiguousBytes) -> KeyRange {
        let start = bytes(prefix)
        return KeyRange(lowerBound: start.isEmpty ? nil : start, upperBound: successor(of: start))
    }

    /// The smallest byte string greater than every string with prefix `bytes`, if any.
    static func successor(of bytes: [UInt8]) -> [UInt8]? {
        var end = bytes
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return nil
    }

    private static func bytes(_ value: some ContiguousBytes) -> [UInt8] {
        value.withUnsafeBytes { Array($0) }
    }
}

/// What a scan body wants next.
public enum ScanControl: Sendable {
    /// Go on to the next entry.
    case `continue`
    /// End the scan.
    case stop
}

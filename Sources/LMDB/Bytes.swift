#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A `UInt64` key stored big-endian, so LMDB's bytewise order is numeric order: scans,
/// `append` puts and `last(in:)` then follow the integer. Use it for sequence-keyed records
/// (the audit log, entry ids); build composite keys with `appendBigEndian`.
public struct UInt64Key: ContiguousBytes, Sendable, Hashable, Comparable {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// Decodes an 8-byte big-endian key; `nil` for any other length.
    public init?(_ bytes: some ContiguousBytes) {
        guard let value = bytes.withUnsafeBytes({ raw -> UInt64? in
            raw.count == 8 ? UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)) : nil
        }) else { return nil }
        self.value = value
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: value.bigEndian, body)
    }

    /// The 8 big-endian bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func < (lhs: UInt64Key, rhs: UInt64Key) -> Bool { lhs.value < rhs.value }
}

extension FixedWidthInteger {
    /// Reads a big-endian integer at `offset` (no alignment needed); `nil` if the bytes end
    /// first. O(1).
    public init?(bigEndianBytes bytes: some ContiguousBytes, at offset: Int = 0) {
        guard let value = bytes.withUnsafeBytes({ raw -> Self? in
            guard offset >= 0, raw.count - offset >= MemoryLayout<Self>.size else { return nil }
            return Self(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Self.self))
        }) else { return nil }
        self = value
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` big-endian: keys built as prefix + big-endian fields sort by prefix,
    /// then numerically (e.g. namespace id + entry id). O(size of T).
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

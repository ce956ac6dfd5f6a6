// Vectors are stored as raw float32, little-endian, 4 bytes per component and no header
// (the byte layout the API's base64 vectors use too, docs/architecture.md "Processes"). LMDB promises at most 2-byte
// alignment, and in practice a value stored in a leaf follows its key at any byte offset,
// so a value cannot be bound to `Float` memory: reads use `loadUnaligned` or `memcpy`.

/// A read-only view of float32s in bytes of any alignment, e.g. a value borrowed in
/// `Transaction.withValue`. Valid only as long as the bytes are (inside that closure).
/// Element access is O(1) with an unaligned load.
public struct UnalignedFloat32Buffer: RandomAccessCollection {
    public let bytes: UnsafeRawBufferPointer

    /// `nil` if the byte count is not a multiple of 4.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count % 4 == 0 else { return nil }
        self.bytes = bytes
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { bytes.count / 4 }

    public subscript(position: Int) -> Float {
        precondition(position >= 0 && position < endIndex, "UnalignedFloat32Buffer index out of range")
        let bits = bytes.loadUnaligned(fromByteOffset: position * 4, as: UInt32.self)
        return Float(bitPattern: UInt32(littleEndian: bits))
    }

    /// Copies the floats into `destination` (which must hold `count` floats) with one
    /// `memcpy` on little-endian machines, e.g. straight into an index's vector storage.
    public func copy(into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= count, "destination too small")
        #if _endian(little)
        UnsafeMutableRawBufferPointer(destination).copyMemory(from: bytes)
        #else
        for i in 0..<count { destination[i] = self[i] }
        #endif
    }
}

extension Array where Element == Float {
    /// Decodes little-endian float32 bytes of any alignment; `nil` if the count is not a
    /// multiple of 4. O(n), one `memcpy` on little-endian machines.
    public init?(float32Bytes bytes: UnsafeRawBufferPointer) {
        guard let view = UnalignedFloat32Buffer(bytes) else { return nil }
        self.init(unsafeUninitializedCapacity: view.count) { buffer, initialized in
            view.copy(into: buffer)
            initialized = view.count
        }
    }
}

extension Collection where Element == Float {
    /// The little-endian float32 bytes of this vector (the stored value layout).
    public var float32Bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count * 4) { buffer, initialized in
            Float32Encoding.store(self, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count * 4
        }
    }
}

enum Float32Encoding {
    /// Writes `vector` little-endian into `buffer` (any alignment, exactly `count * 4` bytes).
    static func store(_ vector: some Collection<Float>, into buffer: UnsafeMutableRawBufferPointer) {
        #if _endian(little)
        let done: Void? = vector.withContiguousStorageIfAvailable { floats in
            buffer.copyMemory(from: UnsafeRawBufferPointer(floats))
        }
        if done != nil { return }
        #endif
        var offset = 0
        for value in vector {
            buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }
    }
}

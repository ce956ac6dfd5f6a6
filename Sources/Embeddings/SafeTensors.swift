import Foundation

/// Element types a safetensors header may declare, with their sizes in bytes.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// One tensor's entry in the header, already validated against the file.
public struct SafeTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// Byte range inside the data section (which starts right after the header).
    public let dataRange: Range<Int>

    /// Number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A float32 tensor ready for use: a pointer into the mapping when the data is 4-byte aligned,
/// otherwise into an owned aligned copy. Keeps whatever owns the memory alive.
///
/// `@unchecked Sendable`: the memory is never written after construction (a read-only
/// mapping, or a copy made once in `init` and never handed out mutably), and `owner` keeps it
/// alive as long as any copy of this value exists.
public struct Float32Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let pointer: UnsafePointer<Float>
    private let owner: AnyObject

    init(shape: [Int], pointer: UnsafePointer<Float>, owner: AnyObject) {
        self.shape = shape
        self.pointer = pointer
        self.owner = owner
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The elements as a buffer. Valid while this value (or a copy) is alive.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    /// This `[rows, columns]` matrix W rearranged as column panels of its transpose: panel
    /// `j` is the contiguous `[columns, width]` block `Wᵀ[:, j·width ..< (j+1)·width]`.
    /// Shape of the result: `[rows / width, columns, width]`. O(rows · columns).
    /// - Precondition: a matrix, and `width` divides `rows`.
    func columnPanelsOfTranspose(width: Int) -> Float32Tensor {
        precondition(shape.count == 2 && width > 0 && shape[0] % width == 0, "panel width must divide the rows")
        let rows = shape[0], columns = shape[1]
        let copy = AlignedCopy(count: rows * columns)
        for panel in 0..<(rows / width) {
            let destination = copy.storage + panel * columns * width
            for c in 0..<width {
                let source = pointer + (panel * width + c) * columns
                for k in 0..<columns { destination[k * width + c] = source[k] }
            }
        }
        return Float32Tensor(shape: [rows / width, columns, width], pointer: UnsafePointer(copy.storage), owner: copy)
    }

    /// A new owned tensor holding `parts` one after the other, with `shape`. O(total count).
    /// - Precondition: the parts' counts add up to the product of `shape`.
    static func concatenating(_ parts: [Float32Tensor], shape: [Int]) -> Float32Tensor {
        let total = shape.reduce(1, *)
        precondition(parts.reduce(0) { $0 + $1.count } == total, "concatenated tensor size mismatch")
        let copy = AlignedCopy(count: total)
        var offset = 0
        for part in parts {
            (copy.storage + offset).update(from: part.pointer, count: part.count)
            offset += part.count
        }
        return Float32Tensor(shape: shape, pointer: UnsafePointer(copy.storage), owner: copy)
    }
}

/// The header as JSON: tensor entries by name, plus the optional `__metadata__` strings.
/// Decoded with `JSONDecoder`, whose `Int` rejects fractions, booleans and out-of-range numbers.
private struct RawHeader: Decodable {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        let offsets: [Int]
    }

    /// A malformed tensor entry, reported with its name.
    struct EntryError: Error {
        let name: String
        let reason: String
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private enum EntryKeys: String, CodingKey {
        case dtype
        case shape
        case dataOffsets = "data_offsets"
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
                continue
            }
            do {
                let fields = try container.nestedContainer(keyedBy: EntryKeys.self, forKey: key)
                entries.append(Entry(name: key.stringValue,
                                     dtype: try fields.decode(String.self, forKey: .dtype),
                                     shape: try fields.decode([Int].self, forKey: .shape),
                                     offsets: try fields.decode([Int].self, forKey: .dataOffsets)))
            } catch {
                throw EntryError(name: key.stringValue, reason: "malformed entry (\(SafeTensorsFile.describe(error)))")
            }
        }
    }
}

/// Owned, aligned storage for a tensor whose bytes in the file are not 4-byte aligned.
private final class AlignedCopy {
    let storage: UnsafeMutablePointer<Float>
    init(count: Int) { storage = .allocate(capacity: max(count, 1)) }
    deinit { storage.deallocate() }
}

/// A safetensors file (https://github.com/huggingface/safetensors), memory-mapped.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON mapping each tensor
/// name to `{dtype, shape, data_offsets}` (plus an optional `__metadata__` object of strings),
/// then the data section. Opening validates the whole header against the file size — every
/// dtype known, every shape non-negative, every byte range inside the file, matching its
/// dtype and shape, and no two ranges overlapping — so a truncated or damaged file fails here
/// with a ``SafeTensorsError`` rather than later with garbage or a crash.
///
/// Complexity: opening is O(header size + t log t) for t tensors; it reads no tensor data.
public struct SafeTensorsFile: Sendable {
    /// Largest header accepted (the format's own limit), so a corrupt length cannot make us
    /// parse the whole file as JSON.
    public static let maximumHeaderLength = 100_000_000

    public let file: MappedFile
    /// Tensor entries by name.
    public let tensors: [String: SafeTensorInfo]
    /// The free-form `__metadata__` strings, if any.
    public let metadata: [String: String]
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int

    public var path: String { file.path }

    /// Maps and validates the file at `path`.
    public init(path: String) throws(SafeTensorsError) {
        try self.init(file: MappedFile(path: path))
    }

    /// Validates an already mapped file.
    public init(file: MappedFile) throws(SafeTensorsError) {
        self.file = file
        let path = file.path
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw .truncated(path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(bytes[i]) }
        guard length >= 2 else {
            throw .invalidHeader(path: path, reason: "declared header length \(length) is too small")
        }
        guard length <= UInt64(Self.maximumHeaderLength) else {
            throw .invalidHeader(path: path, reason: "declared header length \(length) exceeds \(Self.maximumHeaderLength) bytes")
        }
        let headerLength = Int(length)
        guard headerLength <= bytes.count - 8 else {
            throw .truncated(path: path, reason: "the header needs \(headerLength) bytes after the length, the file has \(bytes.count - 8)")
        }
        dataOffset = 8 + headerLength
        let dataSize = bytes.count - dataOffset

        let headerBytes = Data(bytes: bytes.baseAddress! + 8, count: headerLength)
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: headerBytes)
        } catch let error as RawHeader.EntryError {
            throw .invalidTensor(path: path, name: error.name, reason: error.reason)
        } catch {
            throw .invalidHeader(path: path, reason: "not a valid JSON object of tensor entries (\(Self.describe(error)))")
        }
        let metadata = header.metadata
        var tensors: [String: SafeTensorInfo] = [:]
        tensors.reserveCapacity(header.entries.count)
        for entry in header.entries {
            tensors[entry.name] = try Self.validate(entry, dataSize: dataSize, path: path)
        }

        // No two tensors may share bytes: sort by start and compare neighbours. O(t log t).
        let ordered = tensors.values.filter { !$0.dataRange.isEmpty }.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.dataRange.upperBound > next.dataRange.lowerBound {
            throw .invalidHeader(path: path, reason: "tensors '\(previous.name)' and '\(next.name)' overlap")
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Validates one header entry against the data section. Arithmetic is overflow-checked
    /// because the values come from an untrusted file.
    private static func validate(_ entry: RawHeader.Entry, dataSize: Int, path: String) throws(SafeTensorsError) -> SafeTensorInfo {
        let name = entry.name
        guard let dtype = SafeTensorsDType(rawValue: entry.dtype) else {
            throw .invalidTensor(path: path, name: name, reason: "unknown dtype '\(entry.dtype)'")
        }
        var elements = 1
        for dimension in entry.shape {
            guard dimension >= 0 else {
                throw .invalidTensor(path: path, name: name, reason: "shape \(entry.shape) has a negative dimension")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .invalidTensor(path: path, name: name, reason: "shape \(entry.shape) is too large") }
            elements = product
        }
        guard entry.offsets.count == 2 else {
            throw .invalidTensor(path: path, name: name, reason: "data_offsets \(entry.offsets) is not a pair")
        }
        let begin = entry.offsets[0], end = entry.offsets[1]
        guard begin >= 0, begin <= end else {
            throw .invalidTensor(path: path, name: name, reason: "data_offsets [\(begin), \(end)] is not an ordered range")
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, end - begin == byteCount else {
            throw .invalidTensor(path: path, name: name, reason: "data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtype.rawValue) \(entry.shape) needs \(elements) × \(dtype.size)")
        }
        guard end <= dataSize else {
            throw .truncated(path: path, reason: "tensor '\(name)' ends at data byte \(end), the data section has \(dataSize) bytes")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: entry.shape, dataRange: begin..<end)
    }

    fileprivate static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.dataCorrupted(context): return context.debugDescription
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return context.codingPath.map(\.stringValue).joined(separator: ".") + ": " + context.debugDescription
        case let DecodingError.keyNotFound(key, context):
            return (context.codingPath + [key]).map(\.stringValue).joined(separator: ".") + " is missing"
        default: return "\(error)"
        }
    }

    /// The raw bytes of a tensor. Valid while `file` is alive.
    /// - Throws: ``SafeTensorsError/missingTensor(path:name:)`` when `info` is not this file's
    ///   entry (one from another file could point past the end of this mapping).
    public func data(of info: SafeTensorInfo) throws(SafeTensorsError) -> UnsafeRawBufferPointer {
        guard tensors[info.name] == info else { throw .missingTensor(path: path, name: info.name) }
        return UnsafeRawBufferPointer(rebasing: file.bytes[(dataOffset + info.dataRange.lowerBound)..<(dataOffset + info.dataRange.upperBound)])
    }

    /// The float32 tensor `name`, required to have exactly `shape`. O(1) when the data is
    /// aligned (it points into the mapping), O(n) otherwise (one aligned copy).
    /// - Throws: ``SafeTensorsError/missingTensor(path:name:)`` or
    ///   ``SafeTensorsError/unexpectedTensor(path:name:expected:found:)``.
    public func float32(_ name: String, shape: [Int]) throws(SafeTensorsError) -> Float32Tensor {
        guard let info = tensors[name] else { throw .missingTensor(path: path, name: name) }
        guard info.dtype == .f32, info.shape == shape else {
            throw .unexpectedTensor(path: path, name: name, expected: "F32 \(shape)", found: "\(info.dtype.rawValue) \(info.shape)")
        }
        let raw = try data(of: info)
        let count = info.elementCount
        if count == 0 {
            let empty = AlignedCopy(count: 0)
            return Float32Tensor(shape: shape, pointer: UnsafePointer(empty.storage), owner: empty)
        }
        let start = raw.baseAddress!
        if Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
            return Float32Tensor(shape: shape, pointer: start.bindMemory(to: Float.self, capacity: count), owner: file)
        }
        let copy = AlignedCopy(count: count)
        UnsafeMutableRawPointer(copy.storage).copyMemory(from: start, byteCount: raw.count)
        return Float32Tensor(shape: shape, pointer: UnsafePointer(copy.storage), owner: copy)
    }
}

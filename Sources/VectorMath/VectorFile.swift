import Foundation

/// Reader of the TEXMEX vector formats used by ANN benchmarks: `.fvecs` (per vector a
/// little-endian int32 dimension, then that many float32) and `.ivecs` (the same with int32).
public enum VectorFile {
    public struct FormatError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// A matrix read from a file: `count` rows of `dimension` values, row-major.
    public struct Matrix<Element: Sendable>: Sendable {
        public let dimension: Int
        public let values: [Element]
        public var count: Int { dimension == 0 ? 0 : values.count / dimension }

        public func row(_ index: Int) -> ArraySlice<Element> {
            values[index * dimension ..< (index + 1) * dimension]
        }
    }

    /// Reads an `.fvecs` file. O(file size).
    /// - Parameter limit: read at most this many rows.
    public static func readFloats(_ path: String, limit: Int? = nil) throws -> Matrix<Float> {
        try read(path, limit: limit, as: Float.self)
    }

    /// Reads an `.ivecs` file. O(file size).
    public static func readInts(_ path: String, limit: Int? = nil) throws -> Matrix<Int32> {
        try read(path, limit: limit, as: Int32.self)
    }

    /// Streams the file through a 1 MiB buffer straight into the result, so reading a large
    /// dataset needs no second copy of it in memory.
    private static func read<T: Sendable>(_ path: String, limit: Int?, as: T.Type) throws -> Matrix<T> {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FormatError(path: path, reason: "cannot open the file")
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        try handle.seek(toOffset: 0)
        guard size >= 4, let first = try handle.read(upToCount: 4), first.count == 4 else {
            throw FormatError(path: path, reason: "file is empty or shorter than one header")
        }
        let dimension = Int(Int32(littleEndian: first.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        guard dimension > 0, dimension <= 1 << 20 else {
            throw FormatError(path: path, reason: "invalid dimension \(dimension) in the first header")
        }
        let rowBytes = 4 + 4 * dimension
        guard size % rowBytes == 0 else {
            throw FormatError(path: path, reason: "size \(size) is not a multiple of the row size \(rowBytes) (truncated file?)")
        }
        try handle.seek(toOffset: 0)
        let rows = min(size / rowBytes, limit ?? Int.max)
        var values: [T] = []
        values.reserveCapacity(rows * dimension)
        let rowsPerChunk = max(1, (1 << 20) / rowBytes)
        var row = 0
        while row < rows {
            let chunkRows = min(rowsPerChunk, rows - row)
            guard let chunk = try handle.read(upToCount: chunkRows * rowBytes), chunk.count == chunkRows * rowBytes else {
                throw FormatError(path: path, reason: "short read at row \(row)")
            }
            try chunk.withUnsafeBytes { raw in
                for r in 0..<chunkRows {
                    let offset = r * rowBytes
                    let header = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                    guard header == dimension else {
                        throw FormatError(path: path, reason: "row \(row + r) has dimension \(header), expected \(dimension)")
                    }
                    for i in 0..<dimension {
                        values.append(raw.loadUnaligned(fromByteOffset: offset + 4 + 4 * i, as: T.self))
                    }
                }
            }
            row += chunkRows
        }
        return Matrix(dimension: dimension, values: values)
    }
}

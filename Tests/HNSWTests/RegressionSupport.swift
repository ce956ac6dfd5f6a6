import Foundation
import Testing

/// TEXMEX files for the runner tests.
enum Texmex {
    static func write(floats rows: [[Float]], to path: String) throws {
        var bytes: [UInt8] = []
        for row in rows {
            withUnsafeBytes(of: Int32(row.count).littleEndian) { bytes += $0 }
            for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func write(ints rows: [[Int32]], to path: String) throws {
        var bytes: [UInt8] = []
        for row in rows {
            withUnsafeBytes(of: Int32(row.count).littleEndian) { bytes += $0 }
            for value in row { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// A fresh temporary directory, removed by the caller.
func makeRegressionDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "engram-regression-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// engram-ann's CSV as one dictionary per row.
func parseCSV(_ text: String) -> (header: [String], rows: [[String: String]]) {
    let lines = text.split(separator: "\n").map(String.init)
    guard let first = lines.first else { return ([], []) }
    let header = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let rows = lines.dropFirst().map { line in
        Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
    }
    return (header, rows)
}

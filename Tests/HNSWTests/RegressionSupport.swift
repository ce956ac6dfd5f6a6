import Foundation
import Testing

/// Runs the benchmark executables the way a user does, for the regression guards: they are
/// separate products (HNSWTests cannot import an executable target), so the tests drive the
/// built binary next to this test bundle, with files they write to a temporary directory.
enum BenchmarkBinary {
    /// The build's products folder: the directory of the running test binary
    /// (`.build/debug/EngramPackageTests.xctest` lives beside `.build/debug/engram-ann`).
    static var productsDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    /// Path of `name` in the products folder.
    /// - Throws: a test failure saying how to build it when it is missing (`swift build
    ///   --build-tests` and `swift test` build every product, so it is normally there).
    static func path(_ name: String) throws -> String {
        let path = productsDirectory.appendingPathComponent(name).path
        try #require(FileManager.default.isExecutableFile(atPath: path),
                     "\(path) is missing: build the package's products first (swift build --build-tests)")
        return path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments` and extra `environment`, waiting for it to exit.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting: a full pipe would block the child forever.
        let errData = PipeDrain(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a thread of its own (so stdout and stderr drain together).
final class PipeDrain: @unchecked Sendable {
    // `data` is written once by the reading thread before `done` is signalled, and read only
    // after waiting on `done`: the semaphore orders the two accesses.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

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

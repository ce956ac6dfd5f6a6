import Foundation

/// Runs the package's executables the way a user does (the benchmarks' regression guards,
/// engramd's start): a test target cannot import an executable target, so the tests drive the
/// built binary next to the test bundle, with files they write to a temporary directory.
public enum ProductBinary {
    /// The build's products folder: the directory of the running test binary
    /// (`.build/debug/EngramPackageTests.xctest` lives beside `.build/debug/engram-ann`).
    public static var productsDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    /// Path of `name` in the products folder.
    /// - Throws: ``Missing``, saying how to build it, when it is not there (`swift build
    ///   --build-tests` and `swift test` build every product, so it normally is).
    public static func path(_ name: String) throws -> String {
        let path = productsDirectory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        return path
    }

    /// A product that is not built.
    public struct Missing: Error, CustomStringConvertible {
        /// Where it was looked for.
        public let path: String
        public var description: String { "\(path) is missing: build the package's products first (swift build --build-tests)" }
    }

    /// What a run left.
    public struct Output: Sendable {
        /// The exit status (or the signal's number, for a program killed by one).
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `arguments`, this process's environment with `environment` added
    /// and the variables in `removing` taken out, waiting for it to exit — at most `timeout`:
    /// a program still running then is killed (a test then fails on its output, not by hanging
    /// the suite).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           removing: [String] = [], timeout: Double = 600) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        for name in removing { variables[name] = nil }
        process.environment = variables
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let pid = process.processIdentifier
        let deadline = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        // Read both pipes before waiting: a full pipe would block the child forever.
        let errData = PipeDrain(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        deadline.cancel()
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

#if canImport(Glibc)
import Glibc
#endif
import EngramCLI
import EngramTestSupport
import Foundation

/// A fresh, short directory (see `makeTemporaryDirectory`).
func makeTemporaryDirectory() throws -> String {
    try makeTemporaryDirectory(prefix: "engram-cli")
}

extension TestDaemon {
    /// Runs `engram <arguments> --socket <this daemon>` in-process.
    func run(_ arguments: [String], interrupt: InterruptFlag = InterruptFlag(),
             terminal: Bool = false) async -> CLIResult {
        await runCLI(arguments + ["--socket", socketPath], interrupt: interrupt, terminal: terminal)
    }
}

/// What one command printed and its exit status.
struct CLIResult: Sendable {
    var status: Int32
    var out: String
    var err: String

    /// stdout's lines after the header, split on runs of spaces (table rows).
    var rows: [[String]] {
        out.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }
}

/// Parses and runs `arguments` like the `engram` executable does, with captured streams.
func runCLI(_ arguments: [String], environment: [String: String] = [:], interrupt: InterruptFlag = InterruptFlag(),
            terminal: Bool = false) async -> CLIResult {
    let out = CapturedText()
    let err = CapturedText()
    let console = Console(out: out, err: err, errIsTerminal: terminal, environment: environment, interrupt: interrupt)
    let status = await EngramCLI.run(arguments, console: console)
    return CLIResult(status: status, out: out.text, err: err.text)
}

/// Runs engramd in process over a fresh store (8 MiB body limit), runs `body`, then shuts
/// down gracefully.
func withEngramd(_ body: (TestDaemon) async throws -> Void) async throws {
    try await withTestDaemon(configure: { $0.maxBodyBytes = 8 << 20 }) { daemon in try await body(daemon) }
}

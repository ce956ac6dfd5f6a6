import ArgumentParser
import MemoryClient

/// How to reach the daemon; every command that talks to engramd has these.
struct ConnectionOptions: ParsableArguments {
    /// engramd's default (`server.socket` in config/engramd.toml).
    static let defaultSocket = "./run/engram.sock"

    @Option(name: .long, help: ArgumentHelp(
        "engramd's Unix socket.", discussion: "Default: $ENGRAM_SOCKET, else \(defaultSocket) (engramd's default).",
        valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each send and receive.", valueName: "seconds"))
    var timeout: Int = 30

    @Option(name: .long, help: ArgumentHelp(
        "Recorded as the actor of writes in the audit log, beside your uid.", valueName: "name"))
    var actor: String?

    /// `--socket`, else `$ENGRAM_SOCKET`, else the default.
    func socketPath(_ console: Console) -> String {
        Self.socketPath(socket, console)
    }

    /// `option` (a command's `--socket`), else `$ENGRAM_SOCKET`, else the default.
    static func socketPath(_ option: String?, _ console: Console) -> String {
        if let option { return option }
        if let fromEnvironment = console.environment["ENGRAM_SOCKET"], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultSocket
    }

    /// A client for one command; the actor defaults to `cli:$USER`.
    func client(_ console: Console) -> MemoryClient {
        let name = actor ?? console.environment["USER"].map { "cli:\($0)" } ?? "cli"
        return MemoryClient(socketPath: socketPath(console), actor: name, timeoutSeconds: timeout)
    }

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }
}

/// How to print results.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the API's JSON instead of a table (for scripts).")
    var json = false

    @Flag(name: .shortAndLong, help: "Full texts and ISO 8601 times instead of relative ones.")
    var wide = false
}

/// The namespace an entry command works in.
struct NamespaceOption: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("The namespace.", valueName: "name"))
    var namespace: String
}

/// Runs client calls and turns their errors into the command's failure (exit status and
/// `error: <code>: <message>`).
enum MemoryCLIRequest {
    static func run<Value>(_ body: () async throws(MemoryClientError) -> Value) async throws(CLIFailure) -> Value {
        do {
            return try await body()
        } catch {
            throw CLIFailure(error)
        }
    }
}

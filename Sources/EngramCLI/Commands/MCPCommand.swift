import ArgumentParser
import EngramMCP
import Logging

/// `engram mcp`: wires ``EngramMCPServer`` to the process's stdin/stdout.
struct MCPCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve Engram's memory to an agent host over MCP (stdio).",
        discussion: """
            An agent host (Claude Desktop, Cursor, VS Code, an MCP SDK…) starts this command and \
            talks the Model Context Protocol over its stdin and stdout. Tools: remember, learn, \
            search, get, edit, forget, history, feedback, list_namespaces. Resources: a \
            namespace's recent memories, a memory's history. Writes are audited with the actor \
            mcp:<the host's name>. Logs go to stderr. See docs/mcp.md for host configurations.
            """)

    @Option(name: .long, help: ArgumentHelp(
        "engramd's Unix socket.", discussion: "Default: $ENGRAM_SOCKET, else \(ConnectionOptions.defaultSocket).",
        valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp(
        "Namespace of calls that name none (default: $ENGRAM_NAMESPACE, else \"default\").", valueName: "name"))
    var namespace: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each send to and receive from engramd.", valueName: "seconds"))
    var timeout: Int = 30

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (stderr).", valueName: "level"))
    var logLevel: String = "warning"

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func execute(on console: Console) async throws {
        let socketPath = ConnectionOptions.socketPath(socket, console)
        let chosen = namespace ?? console.environment["ENGRAM_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var logger = Logger(label: "engram.mcp") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let server = EngramMCPServer(socketPath: socketPath, defaultNamespace: chosen, timeoutSeconds: timeout,
                                     version: EngramCommand.version)
        try await server.runOverStandardIO(logger: logger)
    }
}

import ArgumentParser

/// `engram`: the root of the command tree. It only groups the subcommands; see
/// ``EngramCLI/run(_:console:)`` for how a command line becomes an exit status.
public struct EngramCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "engram",
        abstract: "Inspect and correct what Engram learned, and operate the store.",
        discussion: """
            Client commands talk to engramd over its Unix socket: --socket, else $ENGRAM_SOCKET, \
            else ./run/engram.sock. Add --json for the API's JSON (for scripts), --wide for full \
            texts and ISO 8601 times. Operator commands (index, backup, verify, export, import) go \
            through the daemon too, or work on a data directory directly with --data when no \
            daemon runs. Errors go to stderr as 'error: <code>: <message>', with the daemon's \
            stable error code.

            \(ExitStatus.documentation)
            """,
        version: "engram \(version)",
        subcommands: [
            RememberCommand.self, LearnCommand.self, SearchCommand.self, ListCommand.self, GetCommand.self, EditCommand.self,
            ReviewCommand.self,
            ForgetCommand.self, RevertCommand.self, HistoryCommand.self, AuditCommand.self, FeedbackCommand.self,
            NamespaceCommand.self, StatsCommand.self, HealthCommand.self, MCPCommand.self,
            IndexCommand.self, BackupCommand.self, VerifyCommand.self, CompactCommand.self, SalvageCommand.self, ExportCommand.self, ImportCommand.self,
            ImportTextsCommand.self,
        ])

    /// The version `--version` prints and `engram mcp` reports to hosts.
    static let version = "0.1"

    public init() {}
}

import ArgumentParser
import Foundation
import MemoryClient
import MemoryStore

struct BackupCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the store to a new directory (hot, through the daemon; or offline).",
        discussion: """
            Online, engramd writes a compacted, consistent copy while reads and writes go on, \
            into one of its backup directories ([storage] backup_dirs; by default `backups` \
            beside its data directory): DEST is a bare name (placed in the first of them) or a \
            path directly inside one of them. With --data, DEST may be any new directory; a \
            relative DEST is resolved against the current directory. DEST must not exist yet. \
            The copy is a complete data directory: start engramd on it or pass it to --data.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The new directory (online: a name, or a path inside a backup directory).") var destination: String
    @Option(help: ArgumentHelp("Back up the store in this directory directly (no daemon may hold it).",
                               valueName: "dir"))
    var data: String?

    func execute(on console: Console) async throws {
        let summary: BackupJSON
        if let data {
            let path = OfflineStore.absolute(destination)
            let store = try OfflineStore.open(data)
            guard !FileManager.default.fileExists(atPath: path) else {
                throw CLIFailure(.invalidInput, code: "invalid_argument", "\(path) exists: a backup goes to a new directory")
            }
            let started = Date()
            try OfflineStore.run(data) { try store.backup(to: path) }
            summary = BackupJSON(path: path, bytes: OfflineStore.size(of: path), seconds: Date().timeIntervalSince(started))
        } else {
            let client = connection.client(console)
            // A bare name is the daemon's to place; a path is made absolute here.
            let path = destination.contains("/") ? OfflineStore.absolute(destination) : destination
            let result = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
                try await client.backup(to: path)
            }
            summary = BackupJSON(path: result.path, bytes: result.bytes, seconds: result.seconds)
        }
        if output.json { return console.print(try JSONOutput.line(summary)) }
        console.print("backed up to \(summary.path): \(ValueFormatting.bytes(summary.bytes)) in "
                      + ValueFormatting.duration(summary.seconds))
    }
}

/// `POST /v1/admin/backup`'s document.
struct BackupJSON: Encodable {
    var path: String
    var bytes: Int
    var seconds: Double
}

struct VerifyCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check that entries, vectors, graphs and audit log agree.",
        discussion: """
            Checks every record's checksum and every cross-reference. Prints a report and exits \
            with 0 when the store is consistent, 7 when any problem was found (each one is listed).
            Online through engramd, or offline with --data DIR when no daemon runs there.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Verify the store in this directory directly (no daemon may hold it).",
                               valueName: "dir"))
    var data: String?

    func execute(on console: Console) async throws {
        let report: VerifyJSON
        if let data, FileManager.default.fileExists(atPath: (data as NSString).appendingPathComponent("data.mdb")),
           case let pageProblems = try OfflineStore.run(data, { try MemoryStore.pageStructureProblems(path: data) }),
           !pageProblems.isEmpty {
            // Damaged pages: opening the store would hand them to LMDB, which aborts on them.
            report = VerifyJSON(consistent: false, problems: pageProblems, namespaces: 0, entries: 0, graph_nodes: 0,
                                vectors: 0, audit_events: 0)
        } else if let data {
            // A store whose graph records are damaged cannot be opened normally: report why,
            // then open it without its graphs to check everything else.
            let (store, openProblem) = try Self.openForVerification(data)
            var local = store.verify()
            if let openProblem { local.problems.insert(openProblem, at: 0) }
            report = VerifyJSON(consistent: local.isConsistent, problems: local.problems, namespaces: local.namespaces,
                                entries: local.entries, graph_nodes: local.graphNodes, vectors: local.vectors,
                                audit_events: local.auditEvents)
        } else {
            let client = connection.client(console)
            let remote = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in try await client.verify() }
            report = VerifyJSON(consistent: remote.consistent, problems: remote.problems, namespaces: remote.namespaces,
                                entries: remote.entries, graph_nodes: remote.graphNodes, vectors: remote.vectors,
                                audit_events: remote.auditEvents)
        }
        if output.json {
            console.print(try JSONOutput.line(report))
        } else {
            console.out.write(Self.render(report))
        }
        if !report.consistent {
            throw CLIFailure(.problemsFound, code: "inconsistent",
                             "\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found")
        }
    }

    /// The store at `path`, opened normally, or, when its graphs cannot be restored (damaged
    /// graph records), opened without them, with the reason as a problem to report.
    static func openForVerification(_ path: String) throws(CLIFailure) -> (MemoryStore, String?) {
        let failure: CLIFailure
        do {
            return (try OfflineStore.open(path), nil)
        } catch {
            failure = error
        }
        guard failure.status != .notFound, failure.status != .conflict else { throw failure }
        let store = try OfflineStore.open(path, loadIndexes: false)
        return (store, "cannot load the indexes: \(failure.message) (engram index rebuild --data rebuilds them)")
    }

    static func render(_ report: VerifyJSON) -> String {
        var view = KeyValueRenderer()
        view.append("namespaces", ValueFormatting.count(report.namespaces))
        view.append("entries", ValueFormatting.count(report.entries))
        view.append("vectors", ValueFormatting.count(report.vectors))
        view.append("graph nodes", ValueFormatting.count(report.graph_nodes))
        view.append("audit events", ValueFormatting.count(report.audit_events))
        view.append("result", report.consistent ? "consistent" : "\(report.problems.count) problem(s)")
        var text = view.render()
        for problem in report.problems { text += "problem: \(problem)\n" }
        return text
    }
}

/// `POST /v1/admin/verify`'s document.
struct VerifyJSON: Encodable {
    var consistent: Bool
    var problems: [String]
    var namespaces: Int
    var entries: Int
    var graph_nodes: Int
    var vectors: Int
    var audit_events: Int
}

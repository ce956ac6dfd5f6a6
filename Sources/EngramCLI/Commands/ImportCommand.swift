import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

struct ImportCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Load a JSON Lines export into engramd, in batches.",
        discussion: """
            Entries keep their ids. Re-importing the same file changes nothing: an entry identical \
            to the stored one with its id is counted 'unchanged'. An entry whose id exists with \
            different content is a conflict. {"namespace_config": …} lines create their namespace \
            (kept when it exists with the same configuration); {"audit_event": …} lines are \
            skipped and counted. A bad line (not JSON, a missing field, refused by the daemon) is \
            reported on stderr with its line number, and the good lines are still imported; the \
            exit status is then 7. Ctrl-C stops after the batch in flight (status 130).
            """)

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print the summary as JSON (created, unchanged, bad_lines, skipped_audit_events).")
    var json = false
    @Argument(help: "The export file ('-' reads standard input).") var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Import every entry into this namespace instead of its own.",
                                                    valueName: "name"))
    var namespace: String?
    @Option(help: ArgumentHelp("Entries per request (1…1000).", valueName: "n")) var batchSize: Int = 500

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be in 1…1000") }
    }

    func execute(on console: Console) async throws {
        console.interrupt.arm()
        let client = connection.client(console)
        let total = LineReader.countLines(path: file) ?? 0
        let reader = try LineReader(path: file)
        let progress = ProgressReporter(console: console)
        var importer = BatchImporter(client: client, console: console, batchSize: batchSize)
        let decoder = JSONOutput.decoder()
        var lineNumber = 0
        var interrupted = false
        while let bytes = try reader.next() {
            lineNumber += 1
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            importer.linesRead += 1
            let line: ExportFormat.Line
            do {
                line = try ExportFormat.parse(bytes, decoder: decoder)
            } catch {
                importer.bad(lineNumber, error.message)
                continue
            }
            switch line {
            case .auditEvent:
                importer.skippedAuditEvents += 1
            case .namespace(let config):
                try await importer.flush()
                try await importer.createNamespace(config, as: namespace ?? config.name, line: lineNumber)
            case .claim(let claim, let claimNamespace):
                guard let target = namespace ?? claimNamespace else {
                    importer.bad(lineNumber, "a rejected claim names no namespace (give --namespace)")
                    continue
                }
                try await importer.add(claim, into: target, line: lineNumber)
            case .entry(let entry):
                guard let target = namespace ?? entry.namespace else {
                    importer.bad(lineNumber, "entry \(entry.id) names no namespace (give --namespace)")
                    continue
                }
                try await importer.add(entry, into: target, line: lineNumber)
            }
            if importer.pendingCount == 0 || lineNumber % 100 == 0 {
                progress.update(label: "import", phase: nil, done: importer.linesRead, total: total)
            }
            if console.interrupt.isRequested {
                interrupted = true
                break
            }
        }
        if !interrupted { try await importer.flush() }
        progress.update(label: "import", phase: nil, done: importer.linesRead, total: max(total, importer.linesRead))
        progress.finish()
        if json {
            console.print(try JSONOutput.line(ImportSummaryJSON(
                created: importer.created, unchanged: importer.unchanged, bad_lines: importer.badLines,
                skipped_audit_events: importer.skippedAuditEvents, interrupted: interrupted)))
        } else {
            console.print(importer.summary)
        }
        if interrupted {
            throw CLIFailure(.interrupted, code: "interrupted", "stopped at line \(lineNumber); the batches sent before are kept")
        }
        if importer.badLines > 0 {
            throw CLIFailure(.problemsFound, code: "bad_lines",
                             "\(importer.badLines) bad line\(importer.badLines == 1 ? "" : "s") (listed above); the good lines were imported")
        }
    }
}

/// Groups entries into batches of one namespace and sends them with `importEntries`, mapping
/// each result back to its line number.
struct BatchImporter {
    let client: MemoryClient
    let console: Console
    let batchSize: Int
    private var pending: [(line: Int, entry: ExportedEntry)] = []
    private var pendingClaims: [(line: Int, claim: ExportedClaim)] = []
    private var pendingNamespace = ""
    var linesRead = 0
    var created = 0
    var unchanged = 0
    var badLines = 0
    var skippedAuditEvents = 0
    var namespacesCreated = 0
    var claimsImported = 0

    init(client: MemoryClient, console: Console, batchSize: Int) {
        self.client = client
        self.console = console
        self.batchSize = batchSize
    }

    var pendingCount: Int { pending.count + pendingClaims.count }

    mutating func bad(_ line: Int, _ message: String) {
        badLines += 1
        console.printError("line \(line): \(message)")
    }

    mutating func add(_ entry: ExportedEntry, into namespace: String, line: Int) async throws {
        if namespace != pendingNamespace || pending.count >= batchSize { try await flush() }
        pendingNamespace = namespace
        pending.append((line, entry))
    }

    mutating func add(_ claim: ExportedClaim, into namespace: String, line: Int) async throws {
        if namespace != pendingNamespace || pendingClaims.count >= batchSize { try await flush() }
        pendingNamespace = namespace
        pendingClaims.append((line, claim))
    }

    mutating func createNamespace(_ config: ExportFormat.NamespaceConfigLine, as name: String, line: Int) async throws {
        do {
            _ = try await client.createNamespace(name, config.request)
            namespacesCreated += 1
        } catch {
            if case .unavailable = error { throw CLIFailure(error) }
            bad(line, "namespace \(name): \(error.code ?? "error"): \(Self.message(error))")
        }
    }

    /// Sends the pending batch. A refused batch (the namespace is missing, the body too large…)
    /// marks each of its lines bad; an unreachable daemon ends the import.
    mutating func flush() async throws {
        guard !pending.isEmpty || !pendingClaims.isEmpty else { return }
        let batch = pending, claims = pendingClaims
        pending.removeAll(keepingCapacity: true)
        pendingClaims.removeAll(keepingCapacity: true)
        let result: ImportResult
        do {
            result = try await client.importEntries(batch.map(\.entry), into: pendingNamespace, claims: claims.map(\.claim))
        } catch {
            if case .unavailable = error { throw CLIFailure(error) }
            let reason = "\(error.code ?? "error"): \(Self.message(error))"
            for item in batch { bad(item.line, reason) }
            for item in claims { bad(item.line, reason) }
            return
        }
        claimsImported += result.claims ?? 0
        for (index, item) in batch.enumerated() {
            guard index < result.results.count else {
                bad(item.line, "no result from engramd for entry \(item.entry.id)")
                continue
            }
            let outcome = result.results[index]
            switch outcome.status {
            case .created: created += 1
            case .unchanged: unchanged += 1
            default:
                bad(item.line, "entry \(outcome.id): \(outcome.status.rawValue): \(outcome.message ?? "refused")")
            }
        }
    }

    var summary: String {
        let imported = created + unchanged
        var parts = ["imported \(ValueFormatting.count(imported)) \(imported == 1 ? "entry" : "entries"): "
                     + "\(ValueFormatting.count(created)) created, \(ValueFormatting.count(unchanged)) unchanged"]
        if claimsImported > 0 {
            parts.append("\(ValueFormatting.count(claimsImported)) rejected claim\(claimsImported == 1 ? "" : "s") of forgotten entries")
        }
        if badLines > 0 { parts.append("\(ValueFormatting.count(badLines)) bad lines") }
        if skippedAuditEvents > 0 { parts.append("\(ValueFormatting.count(skippedAuditEvents)) audit events skipped") }
        return parts.joined(separator: "; ")
    }

    static func message(_ error: MemoryClientError) -> String {
        if case .server(_, _, let message) = error { return message }
        return error.description
    }
}

/// `import --json`'s document.
struct ImportSummaryJSON: Encodable {
    var created: Int
    var unchanged: Int
    var bad_lines: Int
    var skipped_audit_events: Int
    var interrupted: Bool
}

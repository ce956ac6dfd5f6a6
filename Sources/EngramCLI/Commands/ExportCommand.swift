import ArgumentParser
import Foundation
import EngineDocuments
import EngramAPI
import MemoryClient
import class MemoryStore.MemoryStore

struct ExportCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write namespaces as JSON Lines: every field, vectors in base64.",
        discussion: """
            Each namespace starts with a {"namespace_config": …} line (dimension, metric, HNSW \
            parameters, lexical and search settings), followed by one line per entry: the entry's JSON with every field plus \
            vector_b64 (little-endian float32, base64). --audit appends the audit log as \
            {"audit_event": …} lines, which 'engram import' skips and counts. Output goes to stdout, \
            or to --output FILE (written as FILE.partial and renamed when complete). Online \
            through engramd, or offline with --data DIR.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Only this namespace (repeatable; default: all).", valueName: "name"))
    var namespace: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?
    @Flag(help: "Also write the audit log (of the exported namespaces).") var audit = false
    @Option(help: ArgumentHelp("Read the store in this directory directly (no daemon may hold it).", valueName: "dir"))
    var data: String?
    @Option(help: ArgumentHelp("Entries per request.", valueName: "n")) var pageSize: Int = 500

    func validate() throws {
        guard (1...1000).contains(pageSize) else { throw ValidationError("--page-size must be in 1…1000") }
    }

    func execute(on console: Console) async throws {
        let source: any ExportSource
        if let data {
            source = LocalExportSource(store: try OfflineStore.open(data), path: data)
        } else {
            source = DaemonExportSource(client: connection.client(console))
        }
        let sink: any TextSink
        var partialPath: String?
        if let output {
            let partial = output + ".partial"
            let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard descriptor >= 0 else {
                throw CLIFailure(.invalidInput, "cannot create \(partial): \(String(cString: strerror(errno)))")
            }
            sink = FileDescriptorSink(descriptor: descriptor, buffered: true, closesOnDeinit: true)
            partialPath = partial
        } else {
            sink = console.out
        }
        var problems: [String] = []
        let counts = try await write(from: source, to: sink, problems: &problems)
        sink.flush()
        if let output, let partialPath {
            guard rename(partialPath, output) == 0 else {
                throw CLIFailure(.error, "cannot rename \(partialPath) to \(output): \(String(cString: strerror(errno)))")
            }
        }
        let auditNote = audit ? " and \(ValueFormatting.count(counts.events)) audit events" : ""
        console.printError("exported \(ValueFormatting.count(counts.entries)) entries from \(counts.namespaces) "
                           + "namespace\(counts.namespaces == 1 ? "" : "s")\(auditNote)\(output.map { " to \($0)" } ?? "")")
        guard problems.isEmpty else {
            for problem in problems { console.printError("problem: \(problem)") }
            throw CLIFailure(.problemsFound, code: "damaged",
                             "the export is incomplete (\(problems.count) problem\(problems.count == 1 ? "" : "s") above); "
                                 + "engram verify lists the damage, engram salvage copies what is readable")
        }
    }

    private func write(from source: any ExportSource, to sink: any TextSink,
                       problems: inout [String]) async throws -> (namespaces: Int, entries: Int, events: Int) {
        let encoder = WireJSON.encoder()
        func line<Value: Encodable>(_ value: Value) throws {
            var data = try encoder.encode(value)
            data.append(10)
            sink.write(String(decoding: data, as: UTF8.self))
        }
        let all = try await source.namespaces()
        for name in namespace where !all.contains(where: { $0.config.name == name }) {
            throw CLIFailure(.notFound, code: "namespace_not_found", "namespace \"\(name)\" does not exist")
        }
        let selected = namespace.isEmpty ? all : all.filter { namespace.contains($0.config.name) }
        var entries = 0
        for (config, expected) in selected {
            try line(ExportFormat.NamespaceLine(namespace_config: config))
            var after: UInt64?
            var written = 0
            var damaged = 0
            repeat {
                let page = try await source.page(namespace: config.name, after: after, limit: pageSize)
                for entry in page.entries { try line(entry) }
                for claim in page.orphanedClaims {
                    try line(ExportFormat.ClaimLine(rejected_claim: claim, namespace: config.name))
                }
                for record in page.damaged {
                    problems.append("\(config.name): skipped a damaged record: \(record.problem)")
                }
                written += page.entries.count
                damaged += page.damaged.count
                after = page.next
            } while after != nil
            entries += written
            // A damaged B-tree can end a walk early without any error: count what was seen. Online,
            // entries forgotten meanwhile lower the count (new ones get higher ids, after the
            // cursor, and are exported), so compare with the smaller of the counts before and after.
            let countNow = try await source.namespaces().first { $0.config.name == config.name }?.entries ?? 0
            if written + damaged < min(expected, countNow) {
                problems.append("\(config.name): exported \(written) of \(min(expected, countNow)) entries; the others "
                                + "could not be reached (the store is damaged)")
            }
        }
        var events = 0
        if audit {
            let names = Set(selected.map(\.config.name))
            let only = namespace.count == 1 ? namespace.first : nil
            var after: UInt64 = 0
            while true {
                let page = try await source.audit(after: after, namespace: only)
                for event in page.events where names.contains(event.namespace) || namespace.isEmpty {
                    try line(ExportFormat.AuditLine(audit_event: event))
                    events += 1
                }
                guard let next = page.next else { break }
                after = next
            }
        }
        return (selected.count, entries, events)
    }
}

/// One page of an export: the entries, where the next page starts, and the records of the
/// page's range that could not be read.
struct ExportSourcePage {
    var entries: [ExportedEntry]
    var next: UInt64?
    var damaged: [DamagedRecord]
    /// On the last page: the claims whose holder is gone.
    var orphanedClaims: [ExportedClaim] = []
}

/// Where an export reads from: the daemon, or a data directory.
protocol ExportSource {
    /// Each namespace's configuration and how many live entries its index holds (what a
    /// complete export of it must account for).
    func namespaces() async throws -> [(config: ExportFormat.NamespaceConfigLine, entries: Int)]
    func page(namespace: String, after: UInt64?, limit: Int) async throws -> ExportSourcePage
    func audit(after: UInt64, namespace: String?) async throws -> (events: [AuditEvent], next: UInt64?)
}

struct DaemonExportSource: ExportSource {
    var client: MemoryClient

    func namespaces() async throws -> [(config: ExportFormat.NamespaceConfigLine, entries: Int)] {
        try await MemoryCLIRequest.run { () async throws(MemoryClientError) in try await client.namespaces() }.map {
            (ExportFormat.NamespaceConfigLine(name: $0.name, dimension: $0.dimension, metric: $0.metric,
                                              parameters: HNSWParametersInput($0.parameters), embedderID: $0.embedderID,
                                              lexical: $0.lexical, search: $0.search,
                                              learning: $0.learning.isEmpty ? nil : $0.learning),
             $0.entryCount)
        }
    }

    func page(namespace: String, after: UInt64?, limit: Int) async throws -> ExportSourcePage {
        let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.exportPage(namespace: namespace, after: after, limit: limit)
        }
        return ExportSourcePage(entries: page.entries, next: page.nextCursor, damaged: page.damaged ?? [],
                                orphanedClaims: page.orphanedClaims ?? [])
    }

    func audit(after: UInt64, namespace: String?) async throws -> (events: [AuditEvent], next: UInt64?) {
        let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.audit(after: after, namespace: namespace, limit: 1000)
        }
        return (page.events, page.nextCursor)
    }
}

struct LocalExportSource: ExportSource {
    var store: MemoryStore
    var path: String

    func namespaces() async throws -> [(config: ExportFormat.NamespaceConfigLine, entries: Int)] {
        store.namespaces().map {
            (ExportFormat.NamespaceConfigLine(name: $0.config.name, dimension: $0.config.dimension,
                                              metric: $0.config.metric.document, parameters: $0.config.documentParameters,
                                              embedderID: $0.config.embedderID, lexical: $0.config.lexical,
                                              search: $0.config.search,
                                              learning: $0.config.learning.isEmpty ? nil : $0.config.learning),
             $0.entryCount)
        }
    }

    func page(namespace: String, after: UInt64?, limit: Int) async throws -> ExportSourcePage {
        let page = try OfflineStore.run(path) { try store.exportPage(namespace: namespace, after: after ?? 0, limit: limit) }
        let document = page.document
        return ExportSourcePage(entries: document.entries, next: document.nextCursor, damaged: document.damaged ?? [],
                                orphanedClaims: document.orphanedClaims ?? [])
    }

    func audit(after: UInt64, namespace: String?) async throws -> (events: [AuditEvent], next: UInt64?) {
        let limit = 1000
        let events = try OfflineStore.run(path) {
            if let namespace { return try store.audit(namespace: namespace, after: after, limit: limit) }
            return try store.audit(after: after, limit: limit)
        }
        return (events, events.count == limit ? events.last?.sequence : nil)
    }
}

import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

struct HistoryCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "An entry's audit events: every version, who changed it and why.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64
    @Option(help: ArgumentHelp("Only events after this sequence number.", valueName: "seq")) var after: UInt64?
    @Option(help: ArgumentHelp("At most this many events.", valueName: "n")) var limit: Int = 100

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.history(id, in: scope.namespace, after: after, limit: limit)
        }
        if output.json { return console.print(try JSONOutput.line(page)) }
        console.out.write(EntryFormatting.events(page.events, now: console.now(), wide: output.wide, showNamespace: false))
        if let cursor = page.nextCursor { console.printError("more events: --after \(cursor)") }
    }
}

struct AuditCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The global audit log, in commit order; --follow tails it.",
        discussion: """
            --actor, --kind (repeatable), --entry, --since and --until filter the events (--actor \
            here names whose events to show). With --follow the command keeps polling for events after the last one shown (every \
            --interval milliseconds) until Ctrl-C; with --json it then prints one event per line \
            (JSON Lines) instead of one page document.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Only this namespace's events.", valueName: "name"))
    var namespace: String?
    @Option(help: ArgumentHelp("Only events after this sequence number.", valueName: "seq")) var after: UInt64?
    @Option(help: ArgumentHelp("Only events of these kinds (repeatable): created, updated, reinforced, feedback, "
                               + "deleted, reverted, expired, restored, accepted, rejected, refused.", valueName: "kind"))
    var kind: [AuditKind] = []
    @Option(help: ArgumentHelp("Only events of this entry.", valueName: "id")) var entry: UInt64?
    @Option(help: ArgumentHelp("Only events at or after this time: ISO 8601, a day, or a duration ago (90m, 7d).",
                               valueName: "when"))
    var since: String?
    @Option(help: ArgumentHelp("Only events at or before this time (as --since).", valueName: "when")) var until: String?
    @Option(help: ArgumentHelp("At most this many events (per poll with --follow).", valueName: "n"))
    var limit: Int = 100
    @Flag(help: "Keep printing new events as they are committed.") var follow = false
    @Option(help: ArgumentHelp("Poll interval for --follow.", valueName: "ms")) var interval: Int = 500

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        guard interval >= 10 else { throw ValidationError("--interval must be at least 10 ms") }
        _ = try filter(now: Date())
    }

    /// The filter of the options; `--since`/`--until` durations count back from `now`.
    func filter(now: Date) throws -> AuditFilter {
        func time(_ text: String?, _ option: String) throws -> Date? {
            guard let text else { return nil }
            if let ago = ArgumentParsing.duration(text) { return now.addingTimeInterval(-ago) }
            return try ArgumentParsing.time(text, option: option)
        }
        // `--actor` (a connection option, naming the actor of writes) names the actor whose
        // events to show here: the audit command writes nothing.
        return AuditFilter(actor: connection.actor, kinds: kind.isEmpty ? nil : Set(kind), entryID: entry,
                           since: try time(since, "--since"), until: try time(until, "--until"))
    }

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        if !follow {
            let filter = try filter(now: console.now())
            let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
                try await client.audit(after: after, namespace: namespace, filter: filter, limit: limit)
            }
            if output.json { return console.print(try JSONOutput.line(page)) }
            console.out.write(EntryFormatting.events(page.events, now: console.now(), wide: output.wide,
                                                     showNamespace: true))
            if let cursor = page.nextCursor { console.printError("more events: --after \(cursor)") }
            return
        }
        try await followLog(client, console: console)
    }

    /// Polls `after = last sequence seen` until Ctrl-C (SIGINT keeps its default action, which
    /// ends the process with status 130; output is flushed after every poll, so nothing shown
    /// is lost) or an interrupt requested through the console (status 130 too). The header
    /// is printed once; each batch's rows are aligned on their own (widths cannot be known
    /// ahead).
    private func followLog(_ client: MemoryClient, console: Console) async throws {
        defer { console.out.flush() }
        var cursor = after ?? 0
        var headerPrinted = false
        while !console.interrupt.isRequested, !Task.isCancelled {
            let filter = try filter(now: console.now())
            let position = cursor
            let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
                try await client.audit(after: position, namespace: namespace, filter: filter, limit: limit)
            }
            // A filtered page may hold no event yet have read further: go on from there.
            if let next = page.nextCursor ?? page.events.last?.sequence { cursor = max(cursor, next) }
            if output.json {
                for event in page.events { console.print(try JSONOutput.line(event)) }
            } else if !page.events.isEmpty {
                var rendered = EntryFormatting.events(page.events, now: console.now(), wide: output.wide,
                                                      showNamespace: true)
                if headerPrinted, let newline = rendered.firstIndex(of: "\n") {
                    rendered = String(rendered[rendered.index(after: newline)...])
                }
                headerPrinted = true
                console.out.write(rendered)
            }
            console.out.flush()
            if page.nextCursor != nil { continue }  // more already waiting: no pause
            do {
                try await Task.sleep(for: .milliseconds(interval))
            } catch {
                return
            }
        }
        if console.interrupt.isRequested { throw ExitCode(ExitStatus.interrupted.rawValue) }
    }
}

extension AuditKind: ExpressibleByArgument {}

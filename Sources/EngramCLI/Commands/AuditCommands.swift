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
            With --follow the command keeps polling for events after the last one shown (every \
            --interval milliseconds) until Ctrl-C; with --json it then prints one event per line \
            (JSON Lines) instead of one page document.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Only this namespace's events.", valueName: "name"))
    var namespace: String?
    @Option(help: ArgumentHelp("Only events after this sequence number.", valueName: "seq")) var after: UInt64?
    @Option(help: ArgumentHelp("At most this many events (per poll with --follow).", valueName: "n"))
    var limit: Int = 100
    @Flag(help: "Keep printing new events as they are committed.") var follow = false
    @Option(help: ArgumentHelp("Poll interval for --follow.", valueName: "ms")) var interval: Int = 500

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        guard interval >= 10 else { throw ValidationError("--interval must be at least 10 ms") }
    }

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        if !follow {
            let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
                try await client.audit(after: after, namespace: namespace, limit: limit)
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
            let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
                try await client.audit(after: cursor, namespace: namespace, limit: limit)
            }
            if let last = page.events.last { cursor = last.sequence }
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

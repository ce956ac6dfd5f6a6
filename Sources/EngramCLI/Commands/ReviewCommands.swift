import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

extension ListOrder: ExpressibleByArgument {}
extension ConflictPolicy: ExpressibleByArgument {}

/// `engram list -n NS`: a namespace's entries, filtered and sorted for review.
struct ListCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a namespace's entries, filtered and sorted for review.",
        discussion: """
            Pending facts (held for review) are listed and marked; --pending shows only them, \
            --active only the live knowledge, --conflicts only learned facts that may contradict \
            other entries (STATUS shows ≠ and the ids). --sort updated|confidence|use lists the \
            most first; the cursor printed for the next page is then a position in that order.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Option(help: ArgumentHelp("Only entries with one of these tags (repeatable).", valueName: "tag")) var tag: [String] = []
    @Option(help: ArgumentHelp("Only entries of this source (user, agent, extraction:<model>…).", valueName: "source"))
    var source: String?
    @Flag(help: "Only facts held for review.") var pending = false
    @Flag(help: "Only live knowledge (no pending facts).") var active = false
    @Flag(help: "Only entries that may contradict others.") var conflicts = false
    @Option(help: ArgumentHelp("Only entries at least this confident (0–1).", valueName: "c")) var minConfidence: Double?
    @Option(help: ArgumentHelp("Only entries at most this confident (0–1).", valueName: "c")) var maxConfidence: Double?
    @Option(help: ArgumentHelp("Order: id (default), updated, confidence, use.", valueName: "order")) var sort: ListOrder = .id
    @Option(help: ArgumentHelp("Start after this cursor (printed at the end of a page).", valueName: "cursor")) var after: UInt64?
    @Option(help: ArgumentHelp("At most this many entries.", valueName: "n")) var limit: Int = 100

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        guard !(pending && active) else { throw ValidationError("--pending and --active exclude each other") }
        for (name, value) in [("--min-confidence", minConfidence), ("--max-confidence", maxConfidence)] {
            if let value, !(value.isFinite && (0...1).contains(value)) { throw ValidationError("\(name) must be in 0…1") }
        }
    }

    /// The filter of the options; `nil` when none is given.
    var filter: SearchFilter? {
        let filter = SearchFilter(tagsAny: tag.isEmpty ? nil : tag, sources: source.map { [$0] }, minConfidence: minConfidence,
                                  maxConfidence: maxConfidence, status: pending ? .pending : active ? .active : nil,
                                  conflicting: conflicts ? true : nil)
        return filter.isEmpty ? nil : filter
    }

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.list(in: scope.namespace, after: after, limit: limit, filter: filter, order: sort)
        }
        if output.json { return console.print(try JSONOutput.line(page)) }
        console.out.write(EntryFormatting.entries(page.entries, now: console.now(), wide: output.wide))
        if let cursor = page.nextCursor { console.printError("more entries: --after \(cursor)") }
    }
}

/// `engram review`: the learned facts held back or disputed, and a person's decision on each.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Review learned facts that are pending or may contradict others.",
        discussion: """
            learn holds back a fact whose values (numbers, dates, names, negation) differ from a \
            live entry it is close to (the namespace's conflict_policy: pending, link or store). \
            accept makes it live knowledge; reject removes it and keeps its text as a rejected \
            claim, which learn refuses from then on. Every decision is an audit event with your \
            actor (--actor) and --reason.
            """,
        subcommands: [ReviewListCommand.self, ReviewShowCommand.self, ReviewAcceptCommand.self, ReviewRejectCommand.self],
        defaultSubcommand: ReviewListCommand.self)
}

struct ReviewListCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The facts under review, oldest first.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Option(help: ArgumentHelp("Start after this entry id.", valueName: "id")) var after: UInt64?
    @Option(help: ArgumentHelp("At most this many facts.", valueName: "n")) var limit: Int = 100

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let page = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.review(in: scope.namespace, after: after, limit: limit)
        }
        if output.json { return console.print(try JSONOutput.line(page)) }
        if page.items.isEmpty { return console.print("nothing to review in \(scope.namespace)") }
        var table = TableRenderer([.init("ID", .right), .init("STATUS"), .init("CONF", .right), .init("SOURCE"),
                                   .init("TEXT", maxWidth: output.wide ? nil : 50),
                                   .init("MAY CONTRADICT", maxWidth: output.wide ? nil : 50)])
        for item in page.items {
            let against = item.conflicts.map { "#\($0.id) \($0.text)" }.joined(separator: "; ")
            table.append(["\(item.entry.id)", item.entry.pending ? "pending" : "live", ValueFormatting.confidence(item.entry.confidence),
                          item.entry.source, item.entry.text, against.isEmpty ? "-" : against])
        }
        console.out.write(table.render())
        if let cursor = page.nextCursor { console.printError("more facts: --after \(cursor)") }
    }
}

struct ReviewShowCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One entry with the entries it may contradict and the claims it holds.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let (entry, claims) = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            (try await client.get(id, in: scope.namespace), try await client.rejectedClaims(id, in: scope.namespace))
        }
        var conflicts: [MemoryEntry] = []
        for other in entry.conflictsWith {
            if let found = try? await client.get(other, in: scope.namespace) { conflicts.append(found) }
        }
        if output.json {
            return console.print(try JSONOutput.line(ReviewShow(entry: entry, conflicts: conflicts, claims: claims)))
        }
        let now = console.now()
        console.out.write(EntryFormatting.detail(entry, now: now))
        for other in conflicts {
            console.print("\nmay contradict entry \(other.id):")
            console.out.write(EntryFormatting.detail(other, now: now))
        }
        if !claims.isEmpty {
            console.print("\nrejected claims held by entry \(id) (learn refuses them):")
            console.out.write(EntryFormatting.claims(claims, now: now, wide: output.wide))
        }
    }

    struct ReviewShow: Encodable {
        var entry: MemoryEntry
        var conflicts: [MemoryEntry]
        var claims: [RejectedClaim]
    }
}

struct ReviewAcceptCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept", abstract: "Make a fact under review live knowledge (a person's word from now on).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64
    @Option(help: ArgumentHelp("Why (kept in the audit log).", valueName: "text")) var reason: String?

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.accept(id, in: scope.namespace, reason: reason)
        }
        console.print(EntryFormatting.written("accepted", outcome))
    }
}

struct ReviewRejectCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Remove a fact under review; learn refuses its text from then on.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64
    @Option(help: ArgumentHelp("Why (kept in the audit log and with the rejected claim).", valueName: "text"))
    var reason: String?

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.reject(id, in: scope.namespace, reason: reason)
        }
        console.print("rejected entry \(outcome.entry.id) in \(outcome.entry.namespace): removed, its text is now a rejected "
                      + "claim (sequence \(outcome.sequence))")
    }
}

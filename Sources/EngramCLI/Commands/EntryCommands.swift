import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

struct RememberCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "remember", abstract: "Store a new memory entry.",
        discussion: "Always creates an entry (use 'learn' to reinforce a near-duplicate instead).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @OptionGroup var entry: NewEntryOptions

    func execute(on console: Console) async throws {
        let request = try entry.request(now: console.now())
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.remember(request, in: scope.namespace, reason: entry.reason)
        }
        if output.json { return console.print(try JSONOutput.line(outcome)) }
        console.print(EntryFormatting.written("created", outcome))
    }
}

struct LearnCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn", abstract: "Learn a fact: reinforce a near-duplicate, or create an entry.",
        discussion: """
            When a live entry is close enough (cosine similarity at or above the daemon's threshold), \
            its support count grows and its confidence is recomputed; a pinned match is left unchanged.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @OptionGroup var entry: NewEntryOptions

    func execute(on console: Console) async throws {
        let request = try entry.request(now: console.now())
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.learn(request, in: scope.namespace, reason: entry.reason)
        }
        if output.json { return console.print(try JSONOutput.line(outcome)) }
        let similarity = outcome.similarity.map { ", similarity \(ValueFormatting.fixed($0, digits: 3))" } ?? ""
        let sequence = outcome.sequence.map { " (sequence \($0))" } ?? " (nothing written)"
        if outcome.action == .rejected, let claim = outcome.rejectedBy {
            return console.print("rejected: it repeats a claim \(claim.cause.rawValue) by \(claim.actor) on "
                                 + "\(ValueFormatting.iso(claim.rejectedAt)), held by entry \(claim.entryID)"
                                 + "\(claim.reason.map { " (\"\($0)\")" } ?? "")\(similarity)\(sequence)")
        }
        guard let learned = outcome.entry else { return console.print("\(outcome.action.rawValue)\(sequence)") }
        let verb: String
        switch outcome.action {
        case .created: verb = "created"
        case .reinforced: verb = "reinforced"
        case .matchedPinned: verb = "matched pinned"
        case .rejected: verb = "rejected; holding the correction:"
        case .pending: verb = "held for review (pending):"
        case .conflicting: verb = "created, conflicting:"
        }
        let conflicts = learned.conflictsWith.isEmpty ? ""
            : ", may contradict " + learned.conflictsWith.map { "entry \($0)" }.joined(separator: ", ")
        console.print("\(verb) entry \(learned.id) in \(learned.namespace): version \(learned.version), confidence "
                      + "\(ValueFormatting.confidence(learned.confidence)), support \(learned.evidence.support)"
                      + "\(conflicts)\(similarity)\(sequence)")
    }
}

struct GetCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one entry.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let entry = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.get(id, in: scope.namespace)
        }
        if output.json { return console.print(try JSONOutput.line(entry)) }
        console.out.write(EntryFormatting.detail(entry, now: console.now()))
    }
}

struct EditCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Change an entry (a new version; the old one stays in its history).",
        discussion: "Only the fields given change. A new text is re-embedded and re-indexed in the same write.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64

    @Option(help: ArgumentHelp("New text; '-' reads it from standard input.", valueName: "text"))
    var text: String?
    @Option(name: .customLong("tag"), help: ArgumentHelp("Replace the tags with these (repeatable).", valueName: "tag"))
    var tags: [String] = []
    @Flag(help: "Remove every tag.") var clearTags = false
    @Option(help: ArgumentHelp("Replace the metadata with this JSON object.", valueName: "json"))
    var metadata: String?
    @Option(help: ArgumentHelp("New source.", valueName: "source")) var source: String?
    @Option(help: ArgumentHelp("Set the confidence, 0…1.", valueName: "0…1")) var confidence: Double?
    @Flag(inversion: .prefixedNo, help: "Pin or unpin.") var pin: Bool?
    @Option(help: ArgumentHelp("Expiry: ISO 8601 time or a duration (90m, 7d).", valueName: "when"))
    var expires: String?
    @Flag(help: "Remove the expiry.") var noExpiry = false
    @Option(help: ArgumentHelp("Embedding of the new text (JSON array or raw float32 file).", valueName: "file"))
    var vectorFile: String?
    @Option(help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text")) var reason: String?
    @OptionGroup var event: EventOptions
    @Flag(help: "Remove the validity interval.") var noValidity = false

    func validate() throws {
        if clearTags && !tags.isEmpty { throw ValidationError("--tag and --clear-tags exclude each other") }
        if noValidity && (event.validFrom != nil || event.validTo != nil) {
            throw ValidationError("--valid-from/--valid-to and --no-validity exclude each other")
        }
        if expires != nil && noExpiry { throw ValidationError("--expires and --no-expiry exclude each other") }
        if vectorFile != nil && text == nil { throw ValidationError("--vector-file needs --text") }
        if let confidence, !(0...1).contains(confidence) { throw ValidationError("--confidence must be in 0…1") }
        if let metadata { _ = try ArgumentParsing.metadata(metadata) }
        if text == nil, tags.isEmpty, !clearTags, metadata == nil, source == nil, confidence == nil, pin == nil,
           expires == nil, !noExpiry, event.isEmpty, !noValidity {
            throw ValidationError("nothing to change: give at least one of --text, --tag, --clear-tags, --metadata, "
                                  + "--source, --confidence, --pin/--no-pin, --expires, --no-expiry, --occurred, "
                                  + "--valid-from, --valid-to, --no-validity, --thread, --position")
        }
    }

    func execute(on console: Console) async throws {
        let request = EditRequest(
            text: try text.map(ArgumentParsing.text),
            vector: try vectorFile.map { path throws(CLIFailure) in try VectorFile.read(path: path) },
            tags: clearTags ? [] : (tags.isEmpty ? nil : tags),
            metadata: try metadata.map(ArgumentParsing.metadata), source: source, confidence: confidence, pinned: pin,
            expiresAt: try expires.map { try ArgumentParsing.expiry($0, now: console.now()) },
            clearExpiry: noExpiry ? true : nil, occurredAt: try event.occurredAt(), validFrom: try event.validFromDate(),
            validTo: try event.validToDate(), clearValidity: noValidity ? true : nil, thread: event.thread,
            position: event.position)
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.edit(id, in: scope.namespace, request, reason: reason)
        }
        if output.json { return console.print(try JSONOutput.line(outcome)) }
        console.print(EntryFormatting.written("updated", outcome))
    }
}

struct ForgetCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget", abstract: "Delete an entry (removed from search at once).",
        discussion: """
            The audit log keeps what was deleted, so 'history' still shows it; --hard also scrubs \
            the content (text, tags, metadata, source, reason) from every audit event of the \
            entry, keeping who changed it when, and engramd overwrites the freed pages of its \
            data file within one maintenance interval.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64
    @Flag(help: "Also scrub the text from the audit log.") var hard = false
    @Option(help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text")) var reason: String?

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.forget(id, in: scope.namespace, hard: hard, reason: reason)
        }
        if output.json { return console.print(try JSONOutput.line(outcome)) }
        let scrubbed = hard ? "; its text is scrubbed from the audit log" : ""
        console.print("forgot entry \(outcome.entry.id) in \(outcome.entry.namespace)\(scrubbed) "
                      + "(sequence \(outcome.sequence))")
    }
}

struct RevertCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert", abstract: "Restore an earlier version's content as a new version.",
        discussion: "'engram history' lists the versions.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64
    @Option(name: .customLong("to"), help: ArgumentHelp("The version to restore.", valueName: "version"))
    var version: UInt64
    @Option(help: ArgumentHelp("Embedding of that version's text, for namespaces with client vectors.",
                               valueName: "file"))
    var vectorFile: String?
    @Option(help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text")) var reason: String?

    func execute(on console: Console) async throws {
        let vector = try vectorFile.map { path throws(CLIFailure) in try VectorFile.read(path: path) }
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.revert(id, in: scope.namespace, toVersion: version, vector: vector, reason: reason)
        }
        if output.json { return console.print(try JSONOutput.line(outcome)) }
        console.print(EntryFormatting.written("reverted", outcome, extra: ", content of version \(version)"))
    }
}

extension FeedbackSignal: ExpressibleByArgument {}

struct FeedbackCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback", abstract: "Tell Engram whether an entry helped; moves its confidence.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption
    @Argument(help: "The entry's id.") var id: UInt64
    @Argument(help: ArgumentHelp("useful, not_useful or contradicted.", valueName: "signal"))
    var signal: FeedbackSignal
    @Option(help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text")) var reason: String?

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let outcome = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.feedback(id, in: scope.namespace, signal, reason: reason)
        }
        if output.json { return console.print(try JSONOutput.line(outcome)) }
        console.print(EntryFormatting.written("recorded \(signal.rawValue) feedback on", outcome))
    }
}

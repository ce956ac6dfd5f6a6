import ArgumentParser
import Foundation
import EngramAPI

/// The fields `remember` and `learn` share: a new entry's content and audit reason.
struct NewEntryOptions: ParsableArguments {
    @Argument(help: "The knowledge to store; '-' reads it from standard input.")
    var text: String

    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(help: ArgumentHelp("Metadata as a JSON object.", valueName: "json"))
    var metadata: String?

    @Option(help: ArgumentHelp("Who taught it (user, agent, import, extraction:<model>…).", valueName: "source"))
    var source: String = "user"

    @Option(help: ArgumentHelp("Initial confidence, 0…1 (default: the daemon's).", valueName: "0…1"))
    var confidence: Double?

    @Flag(help: "Pin it: automatic learning never changes or removes it.")
    var pinned = false

    @Option(help: ArgumentHelp("Expiry: ISO 8601 time or a duration (90m, 7d).", valueName: "when"))
    var expires: String?

    @Option(help: ArgumentHelp("Use this embedding instead of the daemon's (JSON array or raw float32 file).",
                               valueName: "file"))
    var vectorFile: String?

    @OptionGroup var event: EventOptions

    @Option(help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text"))
    var reason: String?

    func validate() throws {
        if let confidence, !(0...1).contains(confidence) { throw ValidationError("--confidence must be in 0…1") }
        if let metadata { _ = try ArgumentParsing.metadata(metadata) }
    }

    func request(now: Date) throws -> RememberRequest {
        RememberRequest(text: try ArgumentParsing.text(text),
                        vector: try vectorFile.map { path throws(CLIFailure) in try VectorFile.read(path: path) },
                        tags: tags, metadata: try metadata.map(ArgumentParsing.metadata) ?? [:], source: source,
                        confidence: confidence, pinned: pinned,
                        expiresAt: try expires.map { try ArgumentParsing.expiry($0, now: now) },
                        occurredAt: try event.occurredAt(), validFrom: try event.validFromDate(),
                        validTo: try event.validToDate(), thread: event.thread, position: event.position)
    }
}

/// When a fact happened and holds, and its thread: options of `remember` and `edit`.
struct EventOptions: ParsableArguments {
    @Option(help: ArgumentHelp("When it happened or was said: ISO 8601 time or day (default: now).", valueName: "when"))
    var occurred: String?

    @Option(help: ArgumentHelp("Start of the interval in which it holds.", valueName: "when"))
    var validFrom: String?

    @Option(help: ArgumentHelp("End of the interval in which it holds (inclusive).", valueName: "when"))
    var validTo: String?

    @Option(help: ArgumentHelp("The conversation or document it belongs to (search --context shows its neighbours).",
                               valueName: "thread"))
    var thread: String?

    @Option(help: ArgumentHelp("Its place in the thread (ascending; default: after the positioned entries).",
                               valueName: "n"))
    var position: Int64?

    func occurredAt() throws -> Date? { try occurred.map { try ArgumentParsing.time($0, option: "--occurred") } }
    func validFromDate() throws -> Date? { try validFrom.map { try ArgumentParsing.time($0, option: "--valid-from") } }
    func validToDate() throws -> Date? { try validTo.map { try ArgumentParsing.time($0, option: "--valid-to") } }

    var isEmpty: Bool { occurred == nil && validFrom == nil && validTo == nil && thread == nil && position == nil }

    func validate() throws {
        _ = try occurredAt()
        _ = try validFromDate()
        _ = try validToDate()
    }
}

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
                        expiresAt: try expires.map { try ArgumentParsing.expiry($0, now: now) })
    }
}

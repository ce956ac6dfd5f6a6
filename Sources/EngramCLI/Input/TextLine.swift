import EngramAPI
import Foundation

/// One line of a file given to `engram import-texts`: a JSON object with `remember`'s fields
/// (`text` required; tags, metadata, source, times, thread, `vector`…) or a plain text that
/// is the memory itself. Pure, so tests pin it.
enum TextLine {
    /// How the lines of a file are read.
    enum Format: String, CaseIterable, Sendable {
        /// JSON Lines when the file's name ends in `.jsonl`/`.ndjson` or its first non-blank
        /// line starts with `{`; plain text otherwise.
        case auto
        case jsonl
        case text

        /// `auto` decided for `path` whose first non-blank line is `firstLine` (`nil`: none).
        func resolved(path: String, firstLine: ArraySlice<UInt8>?) -> Format {
            guard self == .auto else { return self }
            let lower = path.lowercased()
            if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
            let first = firstLine?.first { ![32, 9].contains($0) }
            return first == UInt8(ascii: "{") ? .jsonl : .text
        }
    }

    /// What applies to every line: tags added to each, the source of a line that names none.
    struct Defaults: Sendable {
        var tags: [String] = []
        var source: String?
    }

    /// Whether `bytes` holds nothing but blanks (skipped, still counted as a line).
    static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 32 || $0 == 9 }
    }

    /// The memory a line describes. `format` must be resolved (not `auto`).
    /// - Throws: a message for the line (not UTF-8, not a JSON object, a field the daemon
    ///   would refuse to decode).
    static func request(_ bytes: ArraySlice<UInt8>, format: Format, defaults: Defaults) throws(LineError) -> RememberRequest {
        var request: RememberRequest
        var namesSource = false
        switch format {
        case .text, .auto:
            guard let text = String(validating: bytes, as: UTF8.self) else { throw LineError("the line is not UTF-8") }
            request = RememberRequest(text: text)
        case .jsonl:
            do {
                request = try BatchRememberBody.item(Array(bytes))
            } catch {
                throw LineError("\(error.code): \(error.message)")
            }
            namesSource = (try? JSONDecoder().decode(SourceProbe.self, from: Data(bytes)))?.source != nil
        }
        for tag in defaults.tags where !request.tags.contains(tag) { request.tags.append(tag) }
        if let source = defaults.source, !namesSource { request.source = source }
        return request
    }

    /// Why a line was not read.
    struct LineError: Error, Sendable {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Only whether a JSON line names its `source` (its other members are ignored here).
    private struct SourceProbe: Decodable {
        var source: String?
    }
}

import Foundation

/// Why a tokenizer vocabulary could not be loaded.
public enum VocabularyError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read vocabulary \(path): \(reason)"
        case let .invalid(path, reason): return "vocabulary \(path) is invalid: \(reason)"
        }
    }
}

/// A WordPiece vocabulary: `vocab.txt`, one token per line, the line number (from 0) being the
/// token id. This is the same table as `tokenizer.json`'s `model.vocab` for BERT models.
public struct Vocabulary: Sendable {
    /// Token text → id.
    public let ids: [String: Int32]
    /// id → token text.
    public let tokens: [String]
    /// Length in UTF-8 bytes of the longest token (without a `##` prefix), so WordPiece never
    /// probes substrings longer than any entry.
    public let longestTokenBytes: Int

    /// Builds a vocabulary from tokens in id order.
    /// - Precondition: no duplicates (checked; a duplicate would make ids ambiguous).
    public init(tokens: [String]) throws(VocabularyError) {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var longest = 0
        for (index, token) in tokens.enumerated() {
            guard ids.updateValue(Int32(index), forKey: token) == nil else {
                throw .invalid(path: "<memory>", reason: "duplicate token '\(token)' at line \(index + 1)")
            }
            var bytes = token.utf8.count
            if token.hasPrefix("##") { bytes -= 2 }
            longest = max(longest, bytes)
        }
        self.ids = ids
        self.tokens = tokens
        self.longestTokenBytes = longest
    }

    /// Loads `vocab.txt`. O(file size).
    public init(contentsOf path: String) throws(VocabularyError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .cannotRead(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalid(path: path, reason: "not UTF-8")
        }
        // Split on the scalar U+000A, not the Character "\n": "\r\n" is a single Character
        // (one grapheme), so a CRLF file would otherwise be one huge line.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.last == "\r" ? line.dropLast() : line)
        }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw .invalid(path: path, reason: "empty") }
        do {
            try self.init(tokens: lines)
        } catch {
            if case let .invalid(_, reason) = error { throw .invalid(path: path, reason: reason) }
            throw error
        }
    }

    /// Number of tokens.
    public var count: Int { tokens.count }

    /// The id of `token`, or `nil`.
    public func id(_ token: String) -> Int32? { ids[token] }
}

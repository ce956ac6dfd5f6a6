import Foundation

/// Reads the facts out of the extraction model's answer.
///
/// The extraction prompt (`config/templates/extraction.mustache`) asks for JSON only: an array
/// of strings, or an object `{"facts": [...]}`. Models often wrap JSON in a Markdown fence, so
/// one surrounding ```` ``` ```` / ```` ```json ```` fence is removed first. Anything else is a
/// failure with a stable `reason` (the label of `engram_prompt_extraction_failures_total`):
/// - `malformed_json`: not JSON at all
/// - `unexpected_shape`: JSON, but neither an array nor an object with a `facts` array
/// - `invalid_item`: an element that is not a string (the string elements are still used)
/// Empty strings are skipped without counting: "nothing to learn" is a valid answer.
enum FactExtraction {
    struct Parsed: Equatable {
        var facts: [String]
        /// (reason, detail) for each problem found.
        var problems: [Problem]
    }

    struct Problem: Equatable {
        var reason: String
        var detail: String
    }

    static func parse(_ content: String) -> Parsed {
        let text = stripFence(content.trimmingCharacters(in: .whitespacesAndNewlines))
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            return Parsed(facts: [], problems: [Problem(reason: "malformed_json", detail: excerpt(content))])
        }
        let list: [Any]
        if let array = parsed as? [Any] {
            list = array
        } else if let object = parsed as? [String: Any], let facts = object["facts"] as? [Any] {
            list = facts
        } else {
            return Parsed(facts: [], problems: [Problem(reason: "unexpected_shape", detail: excerpt(content))])
        }
        var facts: [String] = []
        var problems: [Problem] = []
        for item in list {
            if let fact = item as? String {
                let trimmed = fact.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { facts.append(trimmed) }
            } else {
                problems.append(Problem(reason: "invalid_item", detail: excerpt("\(item)")))
            }
        }
        return Parsed(facts: facts, problems: problems)
    }

    /// The content of one Markdown code fence around the whole text, or the text.
    static func stripFence(_ text: String) -> String {
        guard text.hasPrefix("```"), text.hasSuffix("```"), text.count >= 6 else { return text }
        var inner = text.dropFirst(3).dropLast(3)
        if let newline = inner.firstIndex(of: "\n") {
            let language = inner[..<newline].trimmingCharacters(in: .whitespaces)
            if language.allSatisfy({ $0.isLetter }) { inner = inner[inner.index(after: newline)...] }
        }
        return inner.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// At most 200 characters, for logs.
    static func excerpt(_ text: String) -> String {
        text.count <= 200 ? text : String(text.prefix(200)) + "…"
    }
}

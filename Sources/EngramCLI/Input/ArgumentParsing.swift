import ArgumentParser
import Foundation
import EngramJSON
import EngramAPI

/// Parsers for option values that are more than a string: metadata objects, filters, expiry
/// times. Each throws a ``ValidationError`` (exit status 2) that says what was expected.
enum ArgumentParsing {
    /// A JSON object such as `{"ticket": 42}`.
    static func metadata(_ text: String) throws -> [String: JSONValue] {
        guard let object = try? JSONOutput.decoder().decode([String: JSONValue].self, from: Data(text.utf8)) else {
            throw ValidationError("--metadata must be a JSON object, e.g. '{\"ticket\": 42}'")
        }
        return object
    }

    /// A search filter in the API's JSON form (`{"tags_any": ["billing"], "min_confidence": 0.5}`).
    static func filter(_ text: String) throws -> SearchFilter {
        do {
            return try JSONOutput.decoder().decode(SearchFilter.self, from: Data(text.utf8))
        } catch {
            throw ValidationError("--filter must be a JSON search filter, e.g. '{\"tags_any\": [\"billing\"]}': \(error)")
        }
    }

    /// An absolute ISO 8601 time (`2026-12-31T00:00:00Z`) or a duration from `now`: a number
    /// with a unit `s`, `m`, `h`, `d` or `w` (`90m`, `7d`).
    static func expiry(_ text: String, now: Date) throws -> Date {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        if let seconds = duration(text) { return now.addingTimeInterval(seconds) }
        throw ValidationError("--expires takes an ISO 8601 time (2026-12-31T00:00:00Z) or a duration (90m, 7d)")
    }

    /// A positive duration: a number with a unit `s`, `m`, `h`, `d` or `w` (`90m`, `7d`), in
    /// seconds; `nil` for anything else.
    static func duration(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let scale = units[unit], let amount = Double(text.dropLast()), amount > 0,
              amount.isFinite, (amount * scale).isFinite else { return nil }
        return amount * scale
    }

    /// An ISO 8601 time (`2023-05-08T13:56:00Z`) or a day (`2023-05-08`, midnight UTC), for the
    /// option named `option`.
    static func time(_ text: String, option: String) throws -> Date {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()) { return date }
        throw ValidationError("\(option) takes an ISO 8601 time (2023-05-08T13:56:00Z) or a day (2023-05-08)")
    }

    /// The text argument, or standard input when it is `-`.
    static func text(_ argument: String) throws -> String {
        guard argument == "-" else { return argument }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        var text = String(decoding: data, as: UTF8.self)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}

import EngramJSON
import Foundation
import Logging
import MCP

/// Keeps tool arguments exactly as the host wrote them.
///
/// The SDK's `Value` decoder turns any string of the form `data:…,…` into binary data (it
/// reads it as a data URL), so `remember {"text": "data: kept 30 days, then deleted"}` would
/// reach the tools rewritten. ``ArgumentEscapingTransport`` therefore escapes, in the raw
/// `tools/call` message before the SDK decodes it, every argument string that starts with
/// `data:` or with the escape mark U+E000 by putting one U+E000 in front; ``unescape(_:)``
/// takes exactly one mark off every string that starts with it. Reversible for every string,
/// and messages without such a string pass through byte for byte.
enum ArgumentEscaping {
    static let mark: Unicode.Scalar = "\u{E000}"

    static func needsEscape(_ text: String) -> Bool {
        text.hasPrefix("data:") || text.unicodeScalars.first == mark
    }

    /// `message` (one JSON-RPC message or a batch) with its `tools/call` arguments escaped;
    /// `nil` when nothing needs it (then the original bytes are used).
    static func escaped(_ message: Data) -> Data? {
        guard message.range(of: Data("data:".utf8)) != nil || message.range(of: Data("\u{E000}".utf8)) != nil,
              let value = try? JSONDecoder().decode(JSONValue.self, from: message) else { return nil }
        var changed = false
        let rewritten: JSONValue
        switch value {
        case .array(let batch): rewritten = .array(batch.map { escapeCall($0, changed: &changed) })
        default: rewritten = escapeCall(value, changed: &changed)
        }
        guard changed else { return nil }
        return try? JSONEncoder().encode(rewritten)
    }

    private static func escapeCall(_ message: JSONValue, changed: inout Bool) -> JSONValue {
        guard case .object(var members) = message, members["method"] == .string(CallTool.name),
              case .object(var params)? = members["params"], let arguments = params["arguments"] else { return message }
        params["arguments"] = escapeStrings(arguments, changed: &changed)
        members["params"] = .object(params)
        return .object(members)
    }

    private static func escapeStrings(_ value: JSONValue, changed: inout Bool) -> JSONValue {
        switch value {
        case .string(let text) where needsEscape(text):
            changed = true
            return .string(String(mark) + text)
        case .array(let items): return .array(items.map { escapeStrings($0, changed: &changed) })
        case .object(let members): return .object(members.mapValues { escapeStrings($0, changed: &changed) })
        default: return value
        }
    }

    /// The arguments as the host wrote them (see the type's documentation).
    static func unescape(_ value: Value) -> Value {
        switch value {
        case .string(let text) where text.unicodeScalars.first == mark:
            return .string(String(String.UnicodeScalarView(text.unicodeScalars.dropFirst())))
        case .array(let items): return .array(items.map(unescape))
        case .object(let members): return .object(members.mapValues(unescape))
        default: return value
        }
    }

    /// A JSON document as an MCP `Value` without the SDK decoder's data-URL reading: strings
    /// stay strings; whole numbers within `Int` become `.int`.
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            if number.rounded() == number, abs(number) < 9.0e15 { return .int(Int(number)) }
            return .double(number)
        case .string(let text): return .string(text)
        case .array(let items): return .array(items.map(value))
        case .object(let members): return .object(members.mapValues(value))
        }
    }
}

/// A transport that escapes tool-call arguments (``ArgumentEscaping``) on their way in;
/// everything else passes through to `base` unchanged.
actor ArgumentEscapingTransport: Transport {
    let base: any Transport
    nonisolated let logger: Logger

    init(_ base: any Transport, logger: Logger) {
        self.base = base
        self.logger = logger
    }

    func connect() async throws { try await base.connect() }

    func disconnect() async { await base.disconnect() }

    func send(_ data: Data) async throws { try await base.send(data) }

    func receive() -> AsyncThrowingStream<Data, any Error> {
        let base = self.base
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await message in await base.receive() {
                        continuation.yield(ArgumentEscaping.escaped(message) ?? message)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

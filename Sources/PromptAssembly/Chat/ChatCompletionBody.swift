import Foundation
import EngramAPI

/// An OpenAI chat completion request, kept as a JSON object so that every field engram-prompt
/// does not touch (tools, temperature, response_format, vendor extensions…) reaches the
/// upstream with the value the client sent (re-serialized: `1.0` is written `1`, key order
/// may change). Only `messages` (the injection) and, when absent, `model` are changed.
struct ChatCompletionBody {
    private(set) var object: [String: Any]

    /// Parses and checks the shape: an object with a non-empty `messages` array of objects that
    /// each have a string `role`. - Throws: `malformed_json`, `missing_field`, `invalid_field`.
    init(json data: Data) throws(PromptAPIError) {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .malformedJSON("\((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")")
        }
        guard let object = parsed as? [String: Any] else { throw .invalidField("$", "expected a JSON object") }
        guard let messages = object["messages"] else { throw .missingField("messages") }
        guard let list = messages as? [Any], !list.isEmpty else { throw .invalidField("messages", "expected a non-empty array") }
        for (index, message) in list.enumerated() {
            guard let message = message as? [String: Any] else { throw .invalidField("messages[\(index)]", "expected an object") }
            guard message["role"] is String else { throw .invalidField("messages[\(index)].role", "expected a string") }
        }
        // JSONSerialization turns JSON numbers and booleans alike into NSNumber, so the scalar
        // fields are checked by a typed decode, which tells `true` from `1`.
        struct Scalars: Decodable {
            var stream: Bool?
            var model: String?
        }
        do {
            _ = try JSONDecoder().decode(Scalars.self, from: data)
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        } catch {
            throw .malformedJSON("\(error)")
        }
        self.object = object
    }

    var messages: [[String: Any]] { (object["messages"] as? [[String: Any]]) ?? [] }
    var streaming: Bool { (object["stream"] as? Bool) ?? false }
    var model: String? { object["model"] as? String }

    mutating func setModelIfMissing(_ model: String) {
        if self.model == nil, !model.isEmpty { object["model"] = model }
    }

    /// The text of the last `user` message: a string `content`, or the `text` parts of an
    /// array `content` joined by newlines (OpenAI's multi-part form). `nil` without one.
    var latestUserText: String? {
        for message in messages.reversed() where message["role"] as? String == "user" {
            let text = Self.text(of: message["content"])
            return text.isEmpty ? nil : text
        }
        return nil
    }

    /// The `user` and `assistant` turns before the last user message, oldest first, at most
    /// `count` of them, each as (role, text); turns without text are left out.
    func turnsBeforeLatestUser(_ count: Int) -> [(role: String, text: String)] {
        guard count > 0, let last = messages.lastIndex(where: { $0["role"] as? String == "user" }) else { return [] }
        var turns: [(role: String, text: String)] = []
        for message in messages[..<last].reversed() {
            guard turns.count < count, let role = message["role"] as? String, role == "user" || role == "assistant" else { continue }
            let text = Self.text(of: message["content"])
            if !text.isEmpty { turns.append((role, text)) }
        }
        return turns.reversed()
    }

    /// The OpenAI `user` field (an end-user id), when it is a non-empty string.
    var endUser: String? {
        guard let user = object["user"] as? String, !user.isEmpty else { return nil }
        return user
    }

    static func text(of content: Any?) -> String {
        if let string = content as? String { return string }
        if let parts = content as? [[String: Any]] {
            return parts.compactMap { part in part["type"] as? String == "text" ? part["text"] as? String : nil }
                .joined(separator: "\n")
        }
        return ""
    }

    /// Puts `block` into the messages: `merge` prefixes the first message's content when it is a
    /// system message with string content (block, blank line, original), otherwise — and always
    /// for `prepend` — a new system message is inserted first.
    mutating func inject(_ block: String, mode: PromptConfiguration.Injection) {
        var list = messages
        if mode == .merge, var first = list.first, first["role"] as? String == "system", let content = first["content"] as? String {
            first["content"] = content.isEmpty ? block : block + "\n\n" + content
            list[0] = first
        } else {
            list.insert(["role": "system", "content": block], at: 0)
        }
        object["messages"] = list
    }

    func serialized() throws(PromptAPIError) -> [UInt8] {
        do {
            return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]))
        } catch {
            throw .invalidField("$", "cannot be re-encoded: \(error)")
        }
    }
}

/// Reads the assistant's text out of upstream answers.
enum CompletionText {
    /// `choices[0].message.content` of a non-streamed completion.
    static func fromCompletion(_ data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let choices = object["choices"] as? [[String: Any]], let first = choices.first,
              let message = first["message"] as? [String: Any] else { return nil }
        return ChatCompletionBody.text(of: message["content"])
    }

    /// The text of a non-streamed Responses API answer: `output_text` when the upstream sends
    /// it, else the `output_text` parts of its `message` output items, joined.
    static func fromResponse(_ data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if let text = object["output_text"] as? String { return text }
        guard let output = object["output"] as? [[String: Any]] else { return nil }
        return output.filter { $0["type"] as? String == "message" }
            .flatMap { ($0["content"] as? [[String: Any]]) ?? [] }
            .filter { $0["type"] as? String == "output_text" }
            .compactMap { $0["text"] as? String }
            .joined()
    }
}

/// Collects the assistant's text from a server-sent-event stream of chat completion chunks
/// (`choices[0].delta.content`) or of Responses API events (`response.output_text.delta`'s
/// `delta`) while the bytes pass through unchanged: `data: {json}` lines appended, `data:
/// [DONE]`, comments and other events ignored. Lines may be split across chunks; a line
/// longer than 1 MiB is skipped rather than buffered without bound.
struct SSETextAccumulator {
    private(set) var text = ""
    private var pending: [UInt8] = []
    private var overflow = false
    static let maxLine = 1 << 20
    /// Text kept at most (a job keeps less; an endless stream must not grow it forever).
    static let maxText = 256 * 1024

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if !overflow { line(pending) }
                pending.removeAll(keepingCapacity: true)
                overflow = false
            } else if pending.count < Self.maxLine {
                pending.append(byte)
            } else {
                overflow = true
            }
        }
    }

    /// Handles a last line without a newline.
    mutating func finish() {
        if !pending.isEmpty, !overflow { line(pending) }
        pending.removeAll()
    }

    private mutating func line(_ raw: [UInt8]) {
        var bytes = raw[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard bytes.starts(with: Array("data:".utf8)) else { return }
        var payload = bytes.dropFirst(5)
        if payload.first == UInt8(ascii: " ") { payload = payload.dropFirst() }
        if payload.elementsEqual("[DONE]".utf8) { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return }
        if object["type"] as? String == "response.output_text.delta" {
            if let delta = object["delta"] as? String, text.utf8.count < Self.maxText { text += delta }
            return
        }
        guard let choices = object["choices"] as? [[String: Any]], let first = choices.first,
              let delta = first["delta"] as? [String: Any], let content = delta["content"] as? String,
              text.utf8.count < Self.maxText else { return }
        text += content
    }
}

import EngramAPI
import Foundation

/// What a chat or responses request says about who and what it belongs to, checked: the end
/// user, the conversation, and the search text built from the conversation.
enum RequestContext {
    /// The longest search text engramd accepts (its text limit).
    static let maxQueryBytes = 32 * 1024
    /// Longest end-user id and conversation id kept.
    static let maxUserBytes = 256
    static let maxConversationBytes = 128

    /// The end user: the `X-Engram-User` header, else the OpenAI `user` field; empty is none.
    /// - Throws: `invalid_field` naming the source for a value over 256 bytes or with control
    ///   characters (it is stored with learned facts and may name a namespace).
    static func endUser(header: String?, body: String?) throws(PromptAPIError) -> String? {
        for (value, source) in [(header, "X-Engram-User"), (body, "user")] {
            guard let value, !value.isEmpty else { continue }
            guard value.utf8.count <= maxUserBytes, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalidField(source, "expected 1–\(maxUserBytes) bytes without control characters")
            }
            return value
        }
        return nil
    }

    /// The conversation id of `X-Engram-Conversation` (the learned facts' thread).
    /// - Throws: `invalid_field` for an empty value, one over 128 bytes or with control characters.
    static func conversation(_ header: String?) throws(PromptAPIError) -> String? {
        guard let header else { return nil }
        guard !header.isEmpty, header.utf8.count <= maxConversationBytes,
              !header.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidField("X-Engram-Conversation", "expected 1–\(maxConversationBytes) bytes without control characters")
        }
        return header
    }

    /// What a chat is searched with: its last user message alone, and (when there are
    /// earlier turns) that message with the turns before it (``query(latest:earlier:)``).
    static func search(latest: String, earlier: [String]) -> SearchText {
        let latestText = prefix(latest, bytes: maxQueryBytes)
        return SearchText(latest: latestText, conversation: earlier.isEmpty ? nil : query(latest: latest, earlier: earlier))
    }

    /// The search text: `latest`, then the `earlier` turns most recent first, within
    /// ``maxQueryBytes`` (each piece cut on a character boundary; turns that no longer fit
    /// are left out), so a long conversation never makes the search itself too large.
    static func query(latest: String, earlier: [String]) -> String {
        var budget = maxQueryBytes
        var pieces: [String] = []
        for piece in [latest] + earlier.reversed() {
            let cost = pieces.isEmpty ? 0 : 1  // the newline between pieces
            guard budget > cost + 1 else { break }
            let cut = prefix(piece, bytes: budget - cost)
            if cut.isEmpty { break }
            pieces.append(cut)
            budget -= cut.utf8.count + cost
        }
        return pieces.joined(separator: "\n")
    }

    /// The longest prefix of `text` of at most `bytes` UTF-8 bytes, ending on a character.
    static func prefix(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var end = text.startIndex
        var used = 0
        for index in text.indices {
            let next = text.index(after: index)
            let size = text.utf8.distance(from: index.samePosition(in: text.utf8) ?? text.utf8.startIndex,
                                          to: next.samePosition(in: text.utf8) ?? text.utf8.endIndex)
            guard used + size <= bytes else { break }
            used += size
            end = next
        }
        return String(text[..<end])
    }

    /// The namespace `template` names for `user` (`{user}` replaced by the id with every byte
    /// outside `[A-Za-z0-9-]` written `_xx` in hex, `_` included: one name per id, no two ids
    /// sharing one, e-mail addresses allowed).
    /// - Throws: `invalid_field` when the name comes out over 128 bytes.
    static func namespace(template: String, user: String) throws(PromptAPIError) -> String {
        var id = ""
        for byte in user.utf8 {
            if (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 {
                id.append(Character(Unicode.Scalar(byte)))
            } else {
                id += "_" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        let name = template.replacingOccurrences(of: "{user}", with: id)
        guard PlainName.isValid(name) else {
            throw .invalidField("X-Engram-User", "the end user's namespace would be \(name.utf8.count) bytes, over 128")
        }
        return name
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// The texts a request's memories are searched with (each within engramd's text limit).
///
/// The last user message is searched alone, and with the turns before it when there are any:
/// one text of the whole conversation lets unrelated earlier turns drown a self-contained
/// question (its embedding is their average, its words theirs), while the message alone
/// misses what a follow-up ("and for EU orders?") refers to. The two rankings are merged
/// with the message's leading (``PromptAssembler/interleave(_:_:k:)``).
struct SearchText: Sendable, Equatable {
    /// The last user message.
    var latest: String
    /// The last user message, then the earlier turns most recent first; `nil` without any.
    var conversation: String?
}

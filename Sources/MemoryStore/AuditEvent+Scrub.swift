#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension AuditEvent {
    /// The event as a hard delete leaves it: kind, time, actor, namespace, entry id and the
    /// entries' bookkeeping (version, confidence, evidence, times) stay, so the log still says
    /// who changed what when; every piece of content goes — text, tags, metadata, source and
    /// thread (a caller's free text) of both entries, the reason (which often quotes the
    /// content), and any hash of the text.
    /// Idempotent.
    func scrubbed() -> AuditEvent {
        func blank(_ entry: MemoryEntry?) -> MemoryEntry? {
            guard var entry else { return nil }
            entry.text = ""
            entry.tags = []
            entry.metadata = [:]
            entry.source = ""
            entry.thread = nil
            entry.position = nil
            return entry
        }
        var copy = self
        copy.before = blank(before)
        copy.after = blank(after)
        copy.reason = nil
        copy.claim = nil
        copy.beforeTextSHA256 = nil
        copy.afterTextSHA256 = nil
        copy.scrubMark = true
        return copy
    }
}

/// The who/why/when of a write, recorded in its audit event.
public struct AuditContext: Sendable, Hashable, Codable {
    public var actor: String
    public var reason: String?
    public var time: Date

    public init(actor: String, reason: String? = nil, time: Date = Date()) {
        self.actor = actor
        self.reason = reason
        self.time = time
    }
}

import Foundation
import MemoryClient
import EngramAPI
import class HNSW.HNSWIndex

/// How entries, audit events and namespaces look in human output. Shared by the commands so
/// that `get`, `history`, `audit` and the write commands agree.
enum EntryFormatting {
    /// `get`: every field of one entry, times both relative and ISO.
    static func detail(_ entry: MemoryEntry, now: Date) -> String {
        var view = KeyValueRenderer()
        view.append("id", "\(entry.id)")
        view.append("namespace", entry.namespace)
        view.append("text", entry.text)
        view.append("tags", entry.tags.isEmpty ? "-" : entry.tags.joined(separator: ", "))
        view.append("metadata", entry.metadata.isEmpty ? "-" : ((try? JSONOutput.line(entry.metadata)) ?? "?"))
        view.append("source", entry.source)
        let evidence = entry.evidence
        view.append("confidence", "\(ValueFormatting.confidence(entry.confidence))  (support \(evidence.support), "
                    + "useful \(evidence.useful), not useful \(evidence.notUseful), "
                    + "contradictions \(evidence.contradictions))")
        view.append("pinned", entry.pinned ? "yes" : "no")
        view.append("version", "\(entry.version)")
        view.append("created", both(entry.createdAt, now: now))
        view.append("updated", both(entry.updatedAt, now: now))
        view.append("last used", entry.lastUsedAt.map { both($0, now: now) } ?? "never")
        view.append("use count", "\(entry.useCount)")
        view.append("expires", entry.expiresAt.map { both($0, now: now) } ?? "never")
        view.append("occurred", both(entry.occurredAt, now: now))
        if entry.validFrom != nil || entry.validTo != nil {
            view.append("valid", "\(entry.validFrom.map(ValueFormatting.iso) ?? "always") … \(entry.validTo.map(ValueFormatting.iso) ?? "open")")
        }
        if let thread = entry.thread {
            view.append("thread", thread + (entry.position.map { ", position \($0)" } ?? ""))
        }
        if entry.learned { view.append("learned", "yes (no person has edited or accepted it)") }
        if entry.pending { view.append("status", "pending review (left out of searches and prompts)") }
        if !entry.conflictsWith.isEmpty {
            view.append("conflicts with", entry.conflictsWith.map { "entry \($0)" }.joined(separator: ", "))
        }
        return view.render()
    }

    /// `list` and `review list`: one row per entry.
    static func entries(_ entries: [MemoryEntry], now: Date, wide: Bool) -> String {
        var table = TableRenderer([.init("ID", .right), .init("CONF", .right), .init("USES", .right), .init("UPDATED"),
                                   .init("SOURCE", maxWidth: wide ? nil : 20), .init("STATUS"),
                                   .init("TEXT", maxWidth: wide ? nil : 60)])
        for entry in entries {
            var status = entry.pending ? "pending" : "active"
            if !entry.conflictsWith.isEmpty { status += " ≠" + entry.conflictsWith.map(String.init).joined(separator: ",") }
            if entry.pinned { status += " pinned" }
            table.append(["\(entry.id)", ValueFormatting.confidence(entry.confidence), "\(entry.useCount)",
                          ValueFormatting.time(entry.updatedAt, now: now, wide: wide), entry.source, status, entry.text])
        }
        return table.render()
    }

    /// A rejected claim: what was turned away, why, by whom and when.
    static func claims(_ claims: [RejectedClaim], now: Date, wide: Bool) -> String {
        var table = TableRenderer([.init("SEQ", .right), .init("WHEN"), .init("CAUSE"), .init("FROM", .right), .init("ACTOR"),
                                   .init("REASON", maxWidth: wide ? nil : 30), .init("TEXT", maxWidth: wide ? nil : 50)])
        for claim in claims {
            table.append(["\(claim.sequence)", ValueFormatting.time(claim.rejectedAt, now: now, wide: wide), claim.cause.rawValue,
                          "\(claim.fromEntry)", claim.actor, claim.reason ?? "", claim.text])
        }
        return table.render()
    }

    /// "3 min ago (2026-11-29T10:19:01.123Z)".
    static func both(_ date: Date, now: Date) -> String {
        "\(ValueFormatting.relative(date, now: now)) (\(ValueFormatting.iso(date)))"
    }

    /// One line for a write: what happened, to which entry, and the audit sequence.
    static func written(_ verb: String, _ outcome: WriteOutcome, extra: String = "") -> String {
        let entry = outcome.entry
        return "\(verb) entry \(entry.id) in \(entry.namespace): version \(entry.version), confidence "
            + "\(ValueFormatting.confidence(entry.confidence))\(extra) (sequence \(outcome.sequence))"
    }

    /// `history` and `audit`: one row per event.
    static func events(_ events: [AuditEvent], now: Date, wide: Bool, showNamespace: Bool) -> String {
        var columns: [TableRenderer.Column] = [.init("SEQ", .right), .init("TIME"), .init("KIND")]
        if showNamespace { columns += [.init("NAMESPACE"), .init("ID", .right)] }
        columns += [.init("VERSION", .right), .init("CONF", .right), .init("ACTOR"),
                    .init("REASON", maxWidth: wide ? nil : 30), .init("TEXT", maxWidth: wide ? nil : 50)]
        var table = TableRenderer(columns)
        for event in events {
            let state = event.after ?? event.before
            var row = ["\(event.sequence)", ValueFormatting.time(event.time, now: now, wide: wide), event.kind.rawValue]
            if showNamespace { row += [event.namespace, "\(event.entryID)"] }
            let text: String
            if event.isScrubbed {
                text = "(scrubbed)"
            } else {
                // A refusal changes no entry: its text is the fact learn turned away.
                text = event.kind == .refused ? "(refused) " + (event.claim ?? "") : state?.text ?? ""
            }
            row += [state.map { "\($0.version)" } ?? "-", state.map { ValueFormatting.confidence($0.confidence) } ?? "-",
                    event.actor, event.reason ?? "", text]
            table.append(row)
        }
        return table.render()
    }

    /// `namespace list`: one row per namespace.
    static func namespaceList(_ namespaces: [Namespace], now: Date, wide: Bool) -> String {
        var table = TableRenderer([.init("NAME"), .init("DIM", .right), .init("METRIC"), .init("ENTRIES", .right),
                                   .init("EMBEDDER"), .init("CREATED")])
        for namespace in namespaces {
            table.append([namespace.name, "\(namespace.dimension)", namespace.metric.rawValue,
                          ValueFormatting.count(namespace.entryCount), namespace.embedderID ?? "-",
                          ValueFormatting.time(namespace.createdAt, now: now, wide: wide)])
        }
        return table.render()
    }

    /// `stats`: index figures per namespace and a total row.
    static func namespaceStats(_ namespaces: [Namespace]) -> String {
        var table = TableRenderer([.init("NAME"), .init("ENTRIES", .right), .init("DELETED", .right),
                                   .init("FREE", .right), .init("LEVELS", .right), .init("INDEX", .right),
                                   .init("M", .right), .init("EF_C", .right), .init("DIM", .right), .init("METRIC")])
        for namespace in namespaces {
            table.append([namespace.name, ValueFormatting.count(namespace.entryCount),
                          ValueFormatting.count(namespace.deletedNodes), ValueFormatting.count(namespace.freeSlots),
                          "\(namespace.maxLevel + 1)", ValueFormatting.bytes(namespace.indexBytes),
                          "\(namespace.parameters.m)", "\(namespace.parameters.efConstruction)",
                          "\(namespace.dimension)", namespace.metric.rawValue])
        }
        if namespaces.count > 1 {
            table.append(["TOTAL", ValueFormatting.count(namespaces.reduce(0) { $0 + $1.entryCount }),
                          ValueFormatting.count(namespaces.reduce(0) { $0 + $1.deletedNodes }),
                          ValueFormatting.count(namespaces.reduce(0) { $0 + $1.freeSlots }), "",
                          ValueFormatting.bytes(namespaces.reduce(0) { $0 + $1.indexBytes })])
        }
        return table.render()
    }

    /// `namespace stats NAME`: one namespace in full.
    static func namespaceDetail(_ namespace: Namespace, now: Date) -> String {
        var view = KeyValueRenderer()
        let p = namespace.parameters
        view.append("name", namespace.name)
        view.append("dimension", "\(namespace.dimension)")
        view.append("metric", namespace.metric.rawValue)
        view.append("embedder", namespace.embedderID ?? "- (clients send vectors)")
        view.append("entries", ValueFormatting.count(namespace.entryCount))
        view.append("deleted nodes", ValueFormatting.count(namespace.deletedNodes))
        view.append("free slots", ValueFormatting.count(namespace.freeSlots))
        view.append("graph levels", "\(namespace.maxLevel + 1)")
        view.append("index memory", ValueFormatting.bytes(namespace.indexBytes))
        view.append("hnsw", "M \(p.m), ef_construction \(p.efConstruction), ef_search \(p.efSearch), "
                    + "flat below \(p.flatThreshold), consolidate at \(ValueFormatting.fixed(p.consolidationFraction * 100, digits: 0))% deleted")
        view.append("traversal", (p.quantization == .none ? "float vectors"
                    : namespace.traversal != .none ? "\(p.quantization.rawValue) codes, re-ranked on float vectors"
                    : "float vectors until \(p.quantization.rawValue) codes are trained (\(ValueFormatting.count(HNSWIndex.quantizerFirstTraining)) nodes)")
                    + (namespace.vectorsInMemory ? "" : " read from the data file (vectors_in_memory = false)"))
        let l = namespace.lexical, s = namespace.search
        view.append("lexical", "stemming \(l.stemming.rawValue), stop words \(l.stopWords.rawValue), "
                    + "k1 \(ValueFormatting.fixed(l.k1, digits: 2)), b \(ValueFormatting.fixed(l.b, digits: 2)), "
                    + "\(ValueFormatting.count(namespace.lexicalTerms)) terms, \(ValueFormatting.bytes(namespace.lexicalBytes))")
        view.append("text search", "\(s.mode.rawValue); hybrid fuses by \(s.fusion.rawValue), weights "
                    + "\(ValueFormatting.fixed(s.vectorWeight, digits: 2)) vector / \(ValueFormatting.fixed(s.lexicalWeight, digits: 2)) lexical, "
                    + "rrf_k \(ValueFormatting.fixed(s.rrfK, digits: 0)), \(s.candidates) candidates each")
        let learning = namespace.learning
        var overrides: [String] = []
        if let policy = learning.conflictPolicy { overrides.append("conflicts \(policy.rawValue)") }
        if let value = learning.conflictSimilarity { overrides.append("conflict band from \(ValueFormatting.fixed(value, digits: 2))") }
        if let value = learning.reinforceSimilarity { overrides.append("reinforce at \(ValueFormatting.fixed(value, digits: 2))") }
        if let value = learning.rejectedSimilarity { overrides.append("refuse at \(ValueFormatting.fixed(value, digits: 2))") }
        view.append("learning", overrides.isEmpty ? "the daemon's [engine] settings" : overrides.joined(separator: ", "))
        view.append("created", both(namespace.createdAt, now: now))
        return view.render()
    }
}

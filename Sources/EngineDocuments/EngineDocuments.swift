package import EngramAPI
import Foundation
// The engine's and the store's types by scoped import: a scoped import wins over the whole
// `EngramAPI` import, so unqualified names below are the domain types and `EngramAPI.X` the
// documents of the same name.
package import struct HNSW.HNSWParameters
package import struct MemoryEngine.AuditPage
package import struct MemoryEngine.EditRequest
package import struct MemoryEngine.EntryList
package import enum MemoryEngine.FeedbackSignal
package import enum MemoryEngine.LearnAction
package import struct MemoryEngine.LearnOutcome
package import struct MemoryEngine.NamespaceRequest
package import struct MemoryEngine.NamespaceStats
package import struct MemoryEngine.RankOptions
package import struct MemoryEngine.RememberRequest
package import struct MemoryEngine.SearchFilter
package import struct MemoryEngine.SearchHit
package import struct MemoryEngine.SearchRequest
package import struct MemoryEngine.TimeRange
package import struct MemoryEngine.WriteOutcome
package import struct MemoryStore.AuditEvent
package import enum MemoryStore.AuditKind
package import struct MemoryStore.DamagedRecord
package import struct MemoryStore.Evidence
package import struct MemoryStore.ImportItem
package import struct MemoryStore.ImportReport
package import struct MemoryStore.MemoryDraft
package import struct MemoryStore.MemoryEntry
package import struct MemoryStore.NamespaceConfig
package import struct MemoryStore.VerificationReport
package import struct MemoryStore.VectorEntryPage
package import enum VectorMath.Metric

// The one place where engine and store values become API documents and API requests become
// engine requests: for engramd's routes and for the CLI's offline commands (which read a data
// directory and write the same documents). Each conversion copies fields one to one; a field
// added to an entry or a request is added here, beside the document (EngramAPI) and the domain
// type.

// MARK: - Engine values → documents

extension MemoryEntry {
    package var document: EngramAPI.MemoryEntry {
        EngramAPI.MemoryEntry(
            id: id, namespace: namespace, text: text, tags: tags, metadata: metadata, source: source,
            confidence: confidence, evidence: evidence.document, pinned: pinned, createdAt: createdAt,
            updatedAt: updatedAt, lastUsedAt: lastUsedAt, useCount: useCount, version: version, expiresAt: expiresAt,
            slot: slot)
    }
}

extension Evidence {
    package var document: EngramAPI.Evidence {
        EngramAPI.Evidence(support: support, contradictions: contradictions, useful: useful, notUseful: notUseful)
    }
}

extension WriteOutcome {
    package var document: EngramAPI.WriteOutcome { EngramAPI.WriteOutcome(entry: entry.document, sequence: sequence) }
}

extension LearnOutcome {
    package var document: EngramAPI.LearnOutcome {
        let action: EngramAPI.LearnAction = switch action {
        case .created: .created
        case .reinforced: .reinforced
        case .matchedPinned: .matchedPinned
        }
        return EngramAPI.LearnOutcome(action: action, entry: entry.document, sequence: sequence, similarity: similarity)
    }
}

extension SearchHit {
    package var document: EngramAPI.SearchHit {
        EngramAPI.SearchHit(entry: entry.document, distance: distance, similarity: similarity, score: score)
    }
}

extension DamagedRecord {
    package var document: EngramAPI.DamagedRecord { EngramAPI.DamagedRecord(id: id, problem: problem) }
}

extension EntryList {
    package var document: EngramAPI.EntryList {
        EngramAPI.EntryList(entries: entries.map(\.document), nextCursor: nextCursor,
                            damaged: damaged.map { $0.map(\.document) })
    }
}

extension AuditEvent {
    package var document: EngramAPI.AuditEvent {
        EngramAPI.AuditEvent(
            sequence: sequence, kind: EngramAPI.AuditKind(rawValue: kind.rawValue) ?? .updated, time: time,
            actor: actor, namespace: namespace, entryID: entryID, before: before?.document, after: after?.document,
            reason: reason, scrubbed: scrubMark, beforeTextSHA256: beforeTextSHA256, afterTextSHA256: afterTextSHA256)
    }
}

extension AuditPage {
    package var document: EngramAPI.AuditPage { EngramAPI.AuditPage(events: events.map(\.document), nextCursor: nextCursor) }
}

extension HNSWParameters {
    package var document: EngramAPI.HNSWParameters {
        EngramAPI.HNSWParameters(m: m, efConstruction: efConstruction, efSearch: efSearch, flatThreshold: flatThreshold,
                                 consolidationFraction: consolidationFraction, seed: seed)
    }
}

extension Metric {
    package var document: EngramAPI.Metric {
        switch self {
        case .cosine: .cosine
        case .l2: .l2
        }
    }
}

extension NamespaceStats {
    package var document: EngramAPI.Namespace {
        EngramAPI.Namespace(name: name, dimension: dimension, metric: metric.document, parameters: parameters.document,
                            embedderID: embedderID, createdAt: createdAt, entryCount: entryCount,
                            deletedNodes: deletedNodes, freeSlots: freeSlots, maxLevel: maxLevel, indexBytes: indexBytes)
    }
}

extension NamespaceConfig {
    /// The configuration's HNSW parameters as a request gives them (every one set).
    package var documentParameters: HNSWParametersInput { HNSWParametersInput(parameters.document) }
}

extension VerificationReport {
    package var document: Verification {
        Verification(consistent: isConsistent, problems: problems, namespaces: namespaces, entries: entries,
                     graphNodes: graphNodes, vectors: vectors, auditEvents: auditEvents)
    }
}

extension ImportReport {
    package var document: ImportResult {
        ImportResult(results: outcomes.map {
            ImportResult.Item(id: $0.id, status: ImportResult.Status(rawValue: $0.status.rawValue) ?? .invalid,
                              message: $0.message)
        }, sequence: sequence)
    }
}

extension VectorEntryPage {
    package var document: ExportPage {
        ExportPage(entries: entries.map { ExportedEntry(entry: $0.entry.document, vector: $0.vector) },
                   nextCursor: nextCursor, damaged: damaged.map(\.document))
    }
}

// MARK: - Requests → engine requests

extension EngramAPI.RememberRequest {
    package var command: RememberRequest {
        RememberRequest(text: text, vector: vector, tags: tags, metadata: metadata, source: source,
                        confidence: confidence, pinned: pinned, expiresAt: expiresAt)
    }
}

extension EngramAPI.EditRequest {
    package var command: EditRequest {
        EditRequest(text: text, vector: vector, tags: tags, metadata: metadata, source: source, confidence: confidence,
                    pinned: pinned, expiresAt: expiresAt, clearExpiry: clearExpiry)
    }
}

extension EngramAPI.FeedbackSignal {
    package var command: FeedbackSignal {
        switch self {
        case .useful: .useful
        case .notUseful: .notUseful
        case .contradicted: .contradicted
        }
    }
}

extension EngramAPI.TimeRange {
    package var command: TimeRange { TimeRange(from: from, to: to) }
}

extension EngramAPI.SearchRequest {
    package var command: SearchRequest {
        let filter = filter.map {
            SearchFilter(tagsAny: $0.tagsAny, tagsAll: $0.tagsAll, sources: $0.sources, minConfidence: $0.minConfidence,
                         created: $0.created?.command, updated: $0.updated?.command, metadata: $0.metadata,
                         pinned: $0.pinned)
        }
        let rank = rank.map {
            RankOptions(similarity: $0.similarity, confidence: $0.confidence, recency: $0.recency,
                        recencyHalfLife: $0.recencyHalfLife)
        }
        return SearchRequest(text: text, vector: vector, k: k, ef: ef, filter: filter, rank: rank)
    }
}

extension EngramAPI.NamespaceRequest {
    package var command: NamespaceRequest {
        let defaults = HNSWParameters()
        let given = parameters ?? HNSWParametersInput()
        let parameters = HNSWParameters(
            m: given.m ?? defaults.m, efConstruction: given.efConstruction ?? defaults.efConstruction,
            efSearch: given.efSearch ?? defaults.efSearch, flatThreshold: given.flatThreshold ?? defaults.flatThreshold,
            consolidationFraction: given.consolidationFraction ?? defaults.consolidationFraction,
            seed: given.seed ?? defaults.seed)
        let metric: Metric = switch metric ?? .cosine {
        case .cosine: .cosine
        case .l2: .l2
        }
        return NamespaceRequest(dimension: dimension, metric: metric, parameters: parameters)
    }
}

extension ExportedEntry {
    package var command: ImportItem {
        let evidence = Evidence(support: evidence.support, contradictions: evidence.contradictions,
                                useful: evidence.useful, notUseful: evidence.notUseful)
        return ImportItem(id: id, draft: MemoryDraft(
            text: text, tags: tags, metadata: metadata, source: source, confidence: confidence, evidence: evidence,
            pinned: pinned, createdAt: createdAt, updatedAt: updatedAt, lastUsedAt: lastUsedAt, useCount: useCount,
            version: version, expiresAt: expiresAt), vector: vector)
    }
}

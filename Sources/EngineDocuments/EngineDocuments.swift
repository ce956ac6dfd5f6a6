package import EngramAPI
import Foundation
// The engine's and the store's types by scoped import: a scoped import wins over the whole
// `EngramAPI` import, so unqualified names below are the domain types and `EngramAPI.X` the
// documents of the same name.
package import struct HNSW.HNSWParameters
package import enum HNSW.VectorQuantization
package import struct MemoryEngine.NamespaceRequest
package import struct MemoryEngine.NamespaceStats
package import struct MemoryStore.ImportItem
package import struct MemoryStore.ImportReport
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

extension HNSWParameters {
    package var document: EngramAPI.HNSWParameters {
        EngramAPI.HNSWParameters(m: m, efConstruction: efConstruction, efSearch: efSearch, flatThreshold: flatThreshold,
                                 consolidationFraction: consolidationFraction, seed: seed, quantization: quantization.document)
    }
}

extension VectorQuantization {
    package var document: EngramAPI.VectorQuantization {
        switch self {
        case .none: .none
        case .int8: .int8
        case .int4: .int4
        }
    }
}

extension EngramAPI.VectorQuantization {
    package var engineValue: VectorQuantization {
        switch self {
        case .none: .none
        case .int8: .int8
        case .int4: .int4
        }
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
                            deletedNodes: deletedNodes, freeSlots: freeSlots, maxLevel: maxLevel, indexBytes: indexBytes,
                            lexical: lexical, search: search, lexicalTerms: lexicalTerms, lexicalBytes: lexicalBytes,
                            learning: learning, traversal: traversesCodes ? parameters.quantization.document : .none, vectorsInMemory: vectorsInMemory)
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
            let status: ImportResult.Status = switch $0.status {
            case .created: .created
            case .unchanged: .unchanged
            case .conflict: .conflict
            case .invalid: .invalid
            }
            return ImportResult.Item(id: $0.id, status: status, message: $0.message)
        }, sequence: sequence, claims: claims)
    }
}

extension VectorEntryPage {
    package var document: ExportPage {
        ExportPage(entries: entries.map {
            ExportedEntry(entry: $0.entry, vector: $0.vector, rejectedClaims: $0.claims.map { ExportedClaim($0.claim, vector: $0.vector) })
        }, nextCursor: nextCursor, damaged: damaged,
                   orphanedClaims: orphanedClaims.isEmpty ? nil : orphanedClaims.map { ExportedClaim($0.claim, vector: $0.vector, withHolder: true) })
    }
}

// MARK: - Requests → engine requests

extension EngramAPI.NamespaceRequest {
    package var command: NamespaceRequest {
        let defaults = HNSWParameters()
        let given = parameters ?? HNSWParametersInput()
        let parameters = HNSWParameters(
            m: given.m ?? defaults.m, efConstruction: given.efConstruction ?? defaults.efConstruction,
            efSearch: given.efSearch ?? defaults.efSearch, flatThreshold: given.flatThreshold ?? defaults.flatThreshold,
            consolidationFraction: given.consolidationFraction ?? defaults.consolidationFraction,
            seed: given.seed ?? defaults.seed, quantization: given.quantization?.engineValue ?? defaults.quantization)
        let metric: Metric = switch metric ?? .cosine {
        case .cosine: .cosine
        case .l2: .l2
        }
        return NamespaceRequest(dimension: dimension, metric: metric, parameters: parameters,
                                lexical: lexical ?? LexicalOptions(), search: search ?? SearchDefaults(),
                                learning: learning ?? LearningPolicy(), quantizationGiven: given.quantization != nil)
    }
}

extension ExportedClaim {
    /// An orphaned claim of an import request, held by its `entry_id` (0 when absent, which
    /// the store refuses with a message naming the field).
    package var orphanCommand: (claim: RejectedClaim, vector: [Float]) {
        (claim(heldBy: entryID ?? 0), vector)
    }
}

extension ExportedEntry {
    package var command: ImportItem {
        ImportItem(id: id, draft: MemoryDraft(
            text: text, tags: tags, metadata: metadata, source: source, confidence: confidence, evidence: evidence,
            pinned: pinned, createdAt: createdAt, updatedAt: updatedAt, lastUsedAt: lastUsedAt, useCount: useCount,
            version: version, expiresAt: expiresAt, occurredAt: occurredAt, validFrom: validFrom, validTo: validTo,
            thread: thread, position: position, pending: pending ?? false, conflictsWith: conflictsWith ?? [],
            learned: learned ?? false), vector: vector,
            claims: (rejectedClaims ?? []).map { (claim: $0.claim(heldBy: id), vector: $0.vector) })
    }
}

import Foundation
import MemoryEngine
import VectorMath

// Response documents the engine's types do not already give in the API's shape.

/// One namespace: ``NamespaceStats`` with the HNSW parameters in snake case.
struct NamespaceView: Encodable {
    let name: String
    let dimension: Int
    let metric: Metric
    let parameters: ParametersBody
    let embedder_id: String?
    let created_at: Date
    let entry_count: Int
    let deleted_nodes: Int
    let free_slots: Int
    let max_level: Int
    let index_bytes: Int

    init(_ stats: NamespaceStats) {
        name = stats.name
        dimension = stats.dimension
        metric = stats.metric
        parameters = ParametersBody(stats.parameters)
        embedder_id = stats.embedderID
        created_at = stats.createdAt
        entry_count = stats.entryCount
        deleted_nodes = stats.deletedNodes
        free_slots = stats.freeSlots
        max_level = stats.maxLevel
        index_bytes = stats.indexBytes
    }
}

/// `GET /v1/namespaces`.
struct NamespaceListView: Encodable {
    let namespaces: [NamespaceView]
}

/// `DELETE /v1/namespaces/{ns}`: the sequence of the last `deleted` event (`null` when the
/// namespace held no entries, so no event was written).
struct NamespaceDeletedView: Encodable {
    let deleted: String
    let sequence: UInt64?
}


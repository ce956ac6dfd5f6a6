import HNSW
import LMDB

/// Loading a namespace's graph at open.
enum GraphLoader {
    /// Restores `ns`'s index from its node records, graph state and vectors, without
    /// recomputing any neighbour list. O(nodes·(dimension + M0)).
    /// - Throws: `MemoryStoreError.corrupt` naming the namespace and the damaged record.
    /// - Parameter vectorSource: where the index reads its vectors, `nil` to keep them in memory.
    static func load(_ txn: Transaction, _ dbs: Databases, _ ns: StoredNamespace,
                     vectorSource: (any HNSWVectorSource)?) throws -> HNSWIndex {
        let what = "namespace \"\(ns.config.name)\""
        var records: [HNSWNodeRecord] = []
        try txn.forEach(in: dbs.nodes, range: .prefix(Keys.namespace(ns.id))) { key, value in
            let slot = key.count == 8 ? UInt32(bigEndianBytes: key, at: 4) : nil
            guard let slot else { throw MemoryStoreError.corrupt("\(what): graph node key of \(key.count) bytes") }
            let record: HNSWNodeRecord
            do {
                record = try HNSWNodeRecord(decoding: Array(value))
            } catch {
                throw MemoryStoreError.corrupt("\(what): graph node of slot \(slot): \(error)")
            }
            guard record.slot == slot else {
                throw MemoryStoreError.corrupt("\(what): graph node stored under slot \(slot) says slot \(record.slot)")
            }
            records.append(record)
            return .continue
        }
        guard let stateBytes = try txn.get(Keys.namespace(ns.id), in: dbs.graphState) else {
            guard records.isEmpty else { throw MemoryStoreError.corrupt("\(what): graph nodes without a graph state") }
            do {
                return try HNSWIndex(dimension: ns.config.dimension, metric: ns.config.metric, parameters: ns.config.parameters,
                                     vectorSource: vectorSource)
            } catch {
                throw MemoryStoreError.corrupt("\(what): \(error)")
            }
        }
        let state: HNSWGraphState
        do {
            state = try HNSWGraphState(decoding: stateBytes)
        } catch {
            throw MemoryStoreError.corrupt("\(what): graph state: \(error)")
        }
        do {
            return try HNSWIndex.restore(
                dimension: ns.config.dimension, metric: ns.config.metric, parameters: ns.config.parameters,
                state: state, records: records, vectorSource: vectorSource
            ) { slot in
                try txn.withValue(forKey: Keys.slot(ns.id, slot), in: dbs.vectors) { raw in
                    try VectorCodec.decode(raw, dimension: ns.config.dimension, what: "\(what): vector of slot \(slot)")
                }
            }
        } catch let error as HNSWCodecError {
            throw MemoryStoreError.corrupt("\(what): graph: \(error)")
        }
    }
}

extension HNSWDelta {
    /// The live slot of every key this delta touched.
    var liveSlots: [UInt64: UInt32] {
        var slots: [UInt64: UInt32] = [:]
        for record in nodes where record.state == .live { slots[record.key] = record.slot }
        return slots
    }
}

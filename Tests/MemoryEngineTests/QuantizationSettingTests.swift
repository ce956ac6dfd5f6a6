import Foundation
import HNSW
import MemoryEngine
import MemoryStore
import Testing

@Suite("A namespace's quantization: default, kept by idempotent creation, switched by rebuild")
struct QuantizationSettingTests {
    /// `count` distinct 16-d vectors (a deterministic spiral, no two alike).
    static func vectors(_ count: Int) -> [[Float]] {
        (0..<count).map { i in (0..<16).map { d in Float(sin(Double(i) * 0.37 + Double(d) * 1.3) + 0.01 * Double(d)) } }
    }

    @Test func newNamespacesTraverseCodesAndOldOnesKeepTheirs() throws {
        try withEngine { h in
            let fresh = try h.engine.createNamespace("fresh", NamespaceRequest(dimension: 16))
            #expect(fresh.parameters.quantization == .int8)
            #expect(!fresh.traversesCodes)  // empty: no codes before 1,024 nodes

            // A namespace made without codes (as every namespace made before them was).
            let floats = HNSWParameters(quantization: .none)
            #expect(try h.engine.createNamespace("old", NamespaceRequest(dimension: 16, parameters: floats)).parameters == floats)
            // A request that does not name a quantization matches it…
            let again = try h.engine.createNamespace("old", NamespaceRequest(dimension: 16, quantizationGiven: false))
            #expect(again.parameters.quantization == .none)
            // …one that names another does not.
            #expect(errorCode {
                try h.engine.createNamespace("old", NamespaceRequest(dimension: 16, parameters: HNSWParameters(quantization: .int8)))
            } == "conflict")
            // A new namespace created by such a request takes the default.
            #expect(try h.engine.createNamespace("new", NamespaceRequest(dimension: 16, quantizationGiven: false))
                .parameters.quantization == .int8)
        }
    }

    @Test func rebuildSwitchesTheTraversalAndSearchesStayRight() throws {
        try withEngine { h in
            try h.engine.createNamespace("kb", NamespaceRequest(dimension: 16))
            let data = Self.vectors(1_200)
            let outcomes = try h.engine.rememberBatch(
                data.enumerated().map { RememberRequest(text: "entry \($0.offset)", vector: $0.element) }, namespace: "kb")
            #expect(try h.engine.namespace("kb").traversesCodes)
            let int8Bytes = try h.engine.namespace("kb").indexBytes

            func nearestIsItself(_ row: Int) throws -> Bool {
                let hits = try h.engine.search(namespace: "kb", SearchRequest(vector: data[row], k: 1))
                return hits.first?.entry.id == outcomes[row].entry.id
            }
            #expect(try [3, 500, 1_199].allSatisfy(nearestIsItself))

            let toFloats = try h.engine.rebuildIndex(namespace: "kb", quantization: HNSW.VectorQuantization.none)
            #expect(toFloats.parameters.quantization == .none)
            let stats = try h.engine.namespace("kb")
            #expect(stats.parameters.quantization == .none && !stats.traversesCodes && stats.entryCount == 1_200)
            #expect(try [3, 500, 1_199].allSatisfy(nearestIsItself))

            try h.engine.rebuildIndex(namespace: "kb", quantization: .int4)
            let packed = try h.engine.namespace("kb")
            #expect(packed.parameters.quantization == .int4 && packed.traversesCodes)
            // (At 16 dimensions the block padding hides the 8 bytes it saves; see FourBitQuantizationTests.)
            #expect(packed.indexBytes <= int8Bytes)
            #expect(try [3, 500, 1_199].allSatisfy(nearestIsItself))

            try h.engine.rebuildIndex(namespace: "kb", quantization: .int8)
            #expect(try h.engine.namespace("kb").traversesCodes)
            #expect(try [3, 500, 1_199].allSatisfy(nearestIsItself))
            #expect(h.store.verify().problems == [])
        }
    }
}

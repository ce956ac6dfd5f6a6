import Foundation
import HNSW
import LMDB
@testable import MemoryStore
import Testing
import VectorMath

@Suite struct RoundTripTests {
    static let fullDraft = MemoryDraft(
        text: "The user prefers tea — 茶, not coffee ☕️",
        tags: ["preference", "drink"],
        metadata: ["origin": .string("chat"), "turn": .number(12), "verified": .bool(true), "none": .null,
                   "nested": .object(["list": .array([.number(1.5), .string("x")])])],
        source: "extraction:gpt-4o", confidence: 0.75,
        evidence: Evidence(support: 3, contradictions: 1, useful: 4, notUseful: 2), pinned: true,
        createdAt: Date(timeIntervalSince1970: 1_600_000_000.123456), updatedAt: Date(timeIntervalSince1970: 1_600_000_100.5),
        lastUsedAt: Date(timeIntervalSince1970: 1_650_000_000.25), useCount: 17, version: 3,
        expiresAt: Date(timeIntervalSince1970: 1_900_000_000.75))

    @Test func everyFieldRoundTripsThroughReopen() throws {
        try withTemporaryDirectory { dir in
            let vector = testVector(7)
            let written: WriteResult
            do {
                let store = try openStore(dir)
                written = try store.insert(Self.fullDraft, vector: vector, namespace: "ns", context: testContext)
                #expect(written.sequence == 1)
                #expect(written.entry.id == 1)
                #expect(try store.get(namespace: "ns", id: written.entry.id) == written.entry)
            }
            let store = try openStore(dir, createNamespace: false)
            let entry = try #require(try store.get(namespace: "ns", id: written.entry.id))
            #expect(entry == written.entry)
            let d = Self.fullDraft
            #expect(entry.namespace == "ns")
            #expect(entry.text == d.text && entry.tags == d.tags && entry.metadata == d.metadata)
            #expect(entry.source == d.source && entry.confidence == d.confidence && entry.evidence == d.evidence)
            #expect(entry.pinned && entry.createdAt == d.createdAt && entry.updatedAt == d.updatedAt!)
            #expect(entry.lastUsedAt == d.lastUsedAt && entry.useCount == 17 && entry.version == 3)
            #expect(entry.expiresAt == d.expiresAt)
            // The stored vector is the normalised input (cosine).
            let stored = try #require(try store.vector(namespace: "ns", id: entry.id))
            let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
            for (a, b) in zip(stored, vector) { #expect(abs(a - b / norm) < 1e-6) }
            // Namespace config survives too.
            let config = try #require(store.namespaceConfig("ns"))
            #expect(config.dimension == 8 && config.metric == .cosine && config.parameters == HNSWParameters())
            // And the audit event.
            let events = try store.audit()
            #expect(events.count == 1)
            #expect(events[0].kind == .created && events[0].actor == "test" && events[0].reason == "because")
            #expect(events[0].time == testContext.time && events[0].after == entry && events[0].before == nil)
            #expect(store.verify().problems == [])
        }
    }

    @Test func reopenRestoresTheSameIndexWithoutRebuilding() throws {
        try withTemporaryDirectory { dir in
            // Enough entries to use the graph (flat threshold 0), with deletes and updates so
            // the persisted graph has deleted nodes and reused slots.
            let parameters = HNSWParameters(m: 8, efConstruction: 64, flatThreshold: 0, consolidationFraction: 0.2)
            let before: [[SearchResult]]
            let beforeSnapshot: (HNSWGraphState, [HNSWNodeRecord])
            do {
                let store = try openStore(dir, parameters: parameters)
                let ids = try fill(store, count: 300)
                for id in ids.prefix(80) where id % 3 == 0 {
                    try store.delete(namespace: "ns", id: id, context: testContext)
                }
                for id in ids.suffix(20) {
                    try store.update(namespace: "ns", id: id, vector: testVector(id + 5_000), context: testContext) { $0.text += "!" }
                }
                before = try probe(store)
                let snapshot = try store.index(namespace: "ns").snapshot()
                beforeSnapshot = (snapshot.state, snapshot.nodes)
                #expect(store.verify().problems == [])
            }
            let store = try openStore(dir, createNamespace: false, parameters: parameters)
            #expect(try probe(store) == before)
            let after = try store.index(namespace: "ns").snapshot()
            #expect(after.state == beforeSnapshot.0)
            #expect(after.nodes == beforeSnapshot.1)
            #expect(store.verify().problems == [])
            // The restored index keeps working: the next insert behaves as it would have.
            let id = try store.insert(MemoryDraft(text: "after"), vector: testVector(4242), namespace: "ns", context: testContext).entry.id
            #expect(try store.search(namespace: "ns", vector: testVector(4242), k: 1).first?.key == id)
        }
    }

    @Test func namespacesAreIsolatedAndIdempotent() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let again = try store.createNamespace(NamespaceConfig(name: "ns", dimension: 8, createdAt: Date(timeIntervalSince1970: 5)))
            #expect(again.createdAt != Date(timeIntervalSince1970: 5))  // the original is kept
            #expect(throws: MemoryStoreError.self) { try store.createNamespace(NamespaceConfig(name: "ns", dimension: 9)) }
            #expect(throws: MemoryStoreError.invalidNamespaceName("bad/name")) {
                try store.createNamespace(NamespaceConfig(name: "bad/name", dimension: 8))
            }
            #expect(throws: MemoryStoreError.invalidNamespaceName("")) { try store.createNamespace(NamespaceConfig(name: "", dimension: 8)) }
            try store.createNamespace(NamespaceConfig(name: "other.ns_2-x", dimension: 4, metric: .l2))
            let a = try fill(store, count: 5)
            let b = try (0..<3).map { i in
                try store.insert(MemoryDraft(text: "o\(i)"), vector: [Float(i), 1, 2, 3], namespace: "other.ns_2-x", context: testContext).entry.id
            }
            #expect(Set(a).isDisjoint(with: b))
            #expect(try store.get(namespace: "ns", id: b[0]) == nil)
            #expect(try store.search(namespace: "other.ns_2-x", vector: [0, 1, 2, 3], k: 10).map(\.key).sorted() == b)
            #expect(throws: MemoryStoreError.invalidVector("namespace \"ns\" has dimension 8, the vector has 4")) {
                try store.insert(MemoryDraft(text: "x"), vector: [1, 2, 3, 4], namespace: "ns", context: testContext)
            }
            #expect(store.namespaces().map(\.config.name) == ["ns", "other.ns_2-x"])
            #expect(store.namespace("ns")?.entryCount == 5)
            #expect(throws: MemoryStoreError.namespaceNotFound("nope")) { try store.get(namespace: "nope", id: 1) }

            let last = try store.deleteNamespace("other.ns_2-x", context: testContext)
            #expect(last == 11)
            #expect(store.namespace("other.ns_2-x") == nil)
            #expect(try store.audit(namespace: "other.ns_2-x").map(\.kind) == [.created, .created, .created, .deleted, .deleted, .deleted])
            #expect(store.verify().problems == [])
            // Created again, it starts empty, and its history is still listed under its name.
            try store.createNamespace(NamespaceConfig(name: "other.ns_2-x", dimension: 4))
            #expect(try store.entries(namespace: "other.ns_2-x").entries.isEmpty)
            #expect(try store.audit(namespace: "other.ns_2-x").count == 6)
            #expect(store.verify().problems == [])
        }
    }

    @Test func relaxedDurabilityRoundTrips() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try openStore(dir, options: MemoryStoreOptions(durability: .relaxed))
                try fill(store, count: 10)
                try store.sync()
            }
            let store = try openStore(dir, createNamespace: false)
            #expect(try store.entries(namespace: "ns").entries.count == 10)
            #expect(store.verify().problems == [])
        }
    }

    @Test func secondOpenIsRefused() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            #expect(throws: MemoryStoreError.self) { try MemoryStore(path: dir + "/store") }
            _ = store
        }
    }
}

@Suite struct BatchGetTests {
    @Test("get(ids:) gives each entry as get(id:) does, nil for absent or deleted ids, in the order asked")
    func batchGet() throws {
        try withTemporaryDirectory { dir in
            let store = try openStore(dir)
            let ids = try fill(store, count: 5)
            _ = try store.delete(namespace: "ns", id: ids[2], context: testContext)
            let asked = [ids[4], 999_999, ids[0], ids[2], ids[4]]
            let batch = try store.get(namespace: "ns", ids: asked)
            let single = try asked.map { try store.get(namespace: "ns", id: $0) }
            #expect(batch == single)
            #expect(batch.map { $0?.id } == [ids[4], nil, ids[0], nil, ids[4]])
            #expect(try store.get(namespace: "ns", ids: []).isEmpty)
            #expect(throws: MemoryStoreError.self) { try store.get(namespace: "missing", ids: [ids[0]]) }
        }
    }
}

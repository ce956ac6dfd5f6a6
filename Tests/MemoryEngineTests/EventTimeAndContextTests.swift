import Foundation
import MemoryStore
import Testing
@testable import MemoryEngine

/// Event time (`occurred_at`, validity) and threads with `context`.
@Suite struct EventTimeAndContextTests {
    static let may8 = Date(timeIntervalSince1970: 1_683_504_000)  // 8 May 2023

    @Test func eventTimeIsStoredFilteredAndEdited() throws {
        try withEngine { h in
            let said = try h.engine.remember(RememberRequest(text: "Caroline went to a support group", occurredAt: Self.may8,
                                                             validFrom: Self.may8, validTo: Self.may8.addingTimeInterval(86_400)),
                                             namespace: "c").entry
            let now = try h.engine.remember(RememberRequest(text: "Caroline is painting today"), namespace: "c").entry
            #expect(said.occurredAt == Self.may8 && said.validTo == Self.may8.addingTimeInterval(86_400))
            #expect(now.occurredAt == now.createdAt)  // default: when it was written
            func ids(_ filter: SearchFilter) throws -> Set<UInt64> {
                Set(try h.engine.search(namespace: "c", SearchRequest(text: "Caroline", k: 10, filter: filter)).map(\.entry.id))
            }
            #expect(try ids(SearchFilter(occurred: TimeRange(to: Self.may8.addingTimeInterval(60)))) == [said.id])
            #expect(try ids(SearchFilter(validAt: Self.may8.addingTimeInterval(3600))) == [said.id, now.id])  // no interval: always valid
            #expect(try ids(SearchFilter(validAt: Self.may8.addingTimeInterval(2 * 86_400))) == [now.id])
            let edited = try h.engine.edit(namespace: "c", id: said.id, EditRequest(occurredAt: Self.may8.addingTimeInterval(-86_400),
                                                                                    clearValidity: true)).entry
            #expect(edited.occurredAt == Self.may8.addingTimeInterval(-86_400) && edited.validFrom == nil && edited.validTo == nil)
            #expect(edited.text == said.text && edited.version == 2)
            // A revert restores when it happened and its validity with the rest of the content.
            let reverted = try h.engine.revert(namespace: "c", id: said.id, toVersion: 1).entry
            #expect(reverted.occurredAt == Self.may8 && reverted.validTo == Self.may8.addingTimeInterval(86_400))
            #expect(reverted.version == 3)
            #expect(errorCode {
                _ = try h.engine.remember(RememberRequest(text: "x", validFrom: Self.may8, validTo: Self.may8.addingTimeInterval(-1)),
                                          namespace: "c")
            } == "invalid_argument")
            #expect(errorCode {
                _ = try h.engine.edit(namespace: "c", id: now.id, EditRequest(validFrom: Self.may8, clearValidity: true))
            } == "invalid_argument")
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func recencyCountsFromWhenItHappened() throws {
        try withEngine { h in
            try h.engine.createNamespace("r", NamespaceRequest(dimension: 2))
            let old = try h.engine.remember(RememberRequest(text: "old news", vector: [1, 0], occurredAt: h.clock.now.addingTimeInterval(-90 * 86_400)),
                                            namespace: "r")
            let fresh = try h.engine.remember(RememberRequest(text: "fresh news", vector: [1, 0]), namespace: "r")
            let ranked = try h.engine.search(namespace: "r", SearchRequest(vector: [1, 0], k: 2,
                                                                           rank: RankOptions(similarity: 1, confidence: 0, recency: 1)))
            #expect(ranked.map(\.entry.id) == [fresh.entry.id, old.entry.id])
            let oldHit = try #require(ranked.last)
            #expect(abs(oldHit.score - ((oldHit.similarity ?? 0) + 0.125)) < 1e-9)  // three 30-day half-lives
        }
    }

    @Test func contextReturnsTheNeighboursInTheThread() throws {
        try withEngine { h in
            var turns: [UInt64] = []
            for (index, text) in ["hello there", "how was the trip", "the zebra at the zoo was huge", "did you eat", "yes pizza"].enumerated() {
                turns.append(try h.engine.remember(RememberRequest(text: text, thread: "s1", position: Int64(index * 10)),
                                                   namespace: "c").entry.id)
            }
            // Another thread, and an entry of the thread written later without a position.
            _ = try h.engine.remember(RememberRequest(text: "unrelated zebra note", thread: "s2"), namespace: "c")
            let late = try h.engine.remember(RememberRequest(text: "goodbye", thread: "s1"), namespace: "c").entry.id
            let hits = try h.engine.search(namespace: "c", SearchRequest(text: "zebra zoo huge", k: 1, mode: .lexical, context: 2))
            let hit = try #require(hits.first)
            #expect(hit.entry.id == turns[2])
            #expect(hit.context?.before.map(\.id) == [turns[1], turns[0]])
            #expect(hit.context?.after.map(\.id) == [turns[3], turns[4]])
            let last = try h.engine.search(namespace: "c", SearchRequest(text: "pizza", k: 1, mode: .lexical, context: 1))
            #expect(last.first?.context?.after.map(\.id) == [late])  // unpositioned entries come last
            // Neighbours obey the filter; moving an entry moves it in the thread.
            _ = try h.engine.edit(namespace: "c", id: turns[1], EditRequest(confidence: 0.1))
            let filtered = try h.engine.search(namespace: "c", SearchRequest(text: "zebra zoo huge", k: 1,
                                                                             filter: SearchFilter(minConfidence: 0.3), mode: .lexical, context: 1))
            #expect(filtered.first?.context?.before.map(\.id) == [turns[0]])
            _ = try h.engine.edit(namespace: "c", id: turns[0], EditRequest(position: 25))
            let moved = try h.engine.search(namespace: "c", SearchRequest(text: "zebra zoo huge", k: 1, mode: .lexical, context: 1))
            #expect(moved.first?.context?.after.map(\.id) == [turns[0]])
            _ = try h.engine.forget(namespace: "c", id: turns[0])
            let afterForget = try h.engine.search(namespace: "c", SearchRequest(text: "zebra zoo huge", k: 1, mode: .lexical, context: 1))
            #expect(afterForget.first?.context?.after.map(\.id) == [turns[3]])
            #expect(try h.engine.search(namespace: "c", SearchRequest(text: "zebra", k: 1, mode: .lexical, context: 0)).first?.context == nil)
            #expect(errorCode { _ = try h.engine.search(namespace: "c", SearchRequest(text: "zebra", context: 21)) } == "invalid_argument")
            #expect(try Set(h.engine.search(namespace: "c", SearchRequest(text: "zebra", k: 5, filter: SearchFilter(thread: "s2"),
                                                                          mode: .lexical)).map(\.entry.thread)) == ["s2"])
        }
    }
}

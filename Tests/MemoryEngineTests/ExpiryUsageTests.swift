import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct ExpiryUsageTests {
    @Test func expiredEntriesAreHiddenThenPurgedWithAnAuditEvent() throws {
        try withEngine { h in
            let keep = try h.engine.remember(RememberRequest(text: "permanent fact"), namespace: "n")
            let temp = try h.engine.remember(RememberRequest(text: "temporary fact", pinned: true,
                                                             expiresAt: h.clock.now.addingTimeInterval(60)), namespace: "n")
            #expect(try h.engine.search(namespace: "n", SearchRequest(text: "fact", k: 5)).count == 2)
            #expect(try h.engine.purgeExpired().purged == 0)

            h.clock.advance(by: 60)
            #expect(errorCode { _ = try h.engine.get(namespace: "n", id: temp.entry.id) } == "not_found")
            #expect(errorCode { _ = try h.engine.edit(namespace: "n", id: temp.entry.id, EditRequest(tags: ["x"])) } == "not_found")
            #expect(errorCode { _ = try h.engine.feedback(namespace: "n", id: temp.entry.id, .useful) } == "not_found")
            #expect(try h.engine.search(namespace: "n", SearchRequest(text: "temporary fact", k: 5)).map(\.entry.id) == [keep.entry.id])
            #expect(try h.engine.list(namespace: "n").entries.map(\.id) == [keep.entry.id])
            // Still stored until purged.
            #expect(try h.store.get(namespace: "n", id: temp.entry.id) != nil)

            let purge = try h.engine.purgeExpired()
            #expect(purge.purged == 1 && !purge.more)
            #expect(purge.lastSequence == (try h.store.lastSequence))
            #expect(try h.store.get(namespace: "n", id: temp.entry.id) == nil)
            let last = try #require(try h.engine.history(namespace: "n", id: temp.entry.id).events.last)
            #expect(last.kind == .expired && last.actor == "engine" && last.before?.text == "temporary fact")
            #expect(try h.engine.purgeExpired().purged == 0)
        }
    }

    @Test func purgeHonoursItsLimitAndEditsThatExtendExpiry() throws {
        try withEngine { h in
            let soon = h.clock.now.addingTimeInterval(10)
            let ids = try (0..<5).map {
                try h.engine.remember(RememberRequest(text: "short lived \($0)", expiresAt: soon), namespace: "n").entry.id
            }
            _ = try h.engine.edit(namespace: "n", id: ids[0], EditRequest(expiresAt: h.clock.now.addingTimeInterval(1000)))
            _ = try h.engine.edit(namespace: "n", id: ids[1], EditRequest(clearExpiry: true))
            h.clock.advance(by: 20)
            let first = try h.engine.purgeExpired(limit: 2)
            #expect(first.purged == 2 && first.more)
            let second = try h.engine.purgeExpired(limit: 2)
            #expect(second.purged == 1 && !second.more)
            #expect(try h.engine.list(namespace: "n").entries.map(\.id) == [ids[0], ids[1]])
        }
    }

    @Test func searchesCountUsesInMemoryAndFlushWritesThemWithoutAuditEvents() throws {
        try withEngine { h in
            let a = try h.engine.remember(RememberRequest(text: "red green blue"), namespace: "n")
            let b = try h.engine.remember(RememberRequest(text: "unrelated words here"), namespace: "n")
            h.clock.advance(by: 30)
            let firstTime = h.clock.now
            let first = try h.engine.search(namespace: "n", SearchRequest(text: "red green blue", k: 1))
            #expect(first.first?.entry.useCount == 1 && first.first?.entry.lastUsedAt == firstTime)
            h.clock.advance(by: 30)
            _ = try h.engine.search(namespace: "n", SearchRequest(text: "red green blue", k: 1))
            // Visible at once through the engine, not yet on disk.
            let got = try h.engine.get(namespace: "n", id: a.entry.id)
            #expect(got.useCount == 2 && got.lastUsedAt == h.clock.now && got.version == 1)
            #expect(try h.engine.get(namespace: "n", id: b.entry.id).useCount == 0)
            #expect(try h.store.get(namespace: "n", id: a.entry.id)?.useCount == 0)

            let sequence = try h.store.lastSequence
            #expect(try h.engine.flushUsage() == 1)   // one entry, written once with both uses
            let stored = try #require(try h.store.get(namespace: "n", id: a.entry.id))
            #expect(stored.useCount == 2 && stored.lastUsedAt == h.clock.now && stored.version == 1)
            #expect(try h.store.lastSequence == sequence)
            // Nothing pending is counted twice.
            #expect(try h.engine.get(namespace: "n", id: a.entry.id).useCount == 2)
            #expect(try h.engine.flushUsage() == 0)
        }
    }

    @Test func oneFlushWritesEveryPendingUseOfAnEntry() throws {
        try withEngine { h in
            let a = try h.engine.remember(RememberRequest(text: "red green blue"), namespace: "n")
            for _ in 0..<40 {
                h.clock.advance(by: 1)
                _ = try h.engine.search(namespace: "n", SearchRequest(text: "red green blue", k: 1))
            }
            #expect(try h.engine.flushUsage() == 1)
            let stored = try #require(try h.store.get(namespace: "n", id: a.entry.id))
            #expect(stored.useCount == 40 && stored.lastUsedAt == h.clock.now)
            #expect(try h.engine.get(namespace: "n", id: a.entry.id).useCount == 40)
            #expect(try h.engine.flushUsage() == 0)
        }
    }
}

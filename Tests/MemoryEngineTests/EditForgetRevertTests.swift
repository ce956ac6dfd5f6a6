import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct EditForgetRevertTests {
    @Test func editingTextReindexes() throws {
        try withEngine { h in
            let other = try h.engine.remember(RememberRequest(text: "alpha beta gamma delta"), namespace: "n")
            let id = try h.engine.remember(RememberRequest(text: "alpha beta gamma"), namespace: "n").entry.id
            h.clock.advance(by: 5)
            let edited = try h.engine.edit(namespace: "n", id: id,
                                           EditRequest(text: "kiwi mango papaya", tags: ["fruit"], metadata: ["k": .bool(true)],
                                                       pinned: true),
                                           actor: "alice", reason: "fix")
            #expect(edited.entry.version == 2 && edited.entry.text == "kiwi mango papaya" && edited.entry.pinned)
            #expect(edited.entry.updatedAt == h.clock.now && edited.entry.tags == ["fruit"])
            let byNew = try h.engine.search(namespace: "n", SearchRequest(text: "kiwi mango papaya", k: 1))
            #expect(byNew.first?.entry.id == id)
            #expect(try #require(byNew.first?.similarity) > 0.999)
            // The old text now finds the other entry first, and the edited one only as a weak match.
            let byOld = try h.engine.search(namespace: "n", SearchRequest(text: "alpha beta gamma", k: 2, mode: .vector))
            #expect(byOld.first?.entry.id == other.entry.id)
            let weak = byOld.first { $0.entry.id == id }
            #expect(weak.map { ($0.similarity ?? 0) < 0.5 } ?? true)
            let event = try #require(try h.engine.history(namespace: "n", id: id).events.last)
            #expect(event.kind == .updated && event.actor == "alice" && event.reason == "fix")
            #expect(event.before?.text == "alpha beta gamma" && event.after?.text == "kiwi mango papaya")
            #expect(event.sequence == edited.sequence)
        }
    }

    @Test func editValidatesItsRequest() throws {
        try withEngine { h in
            let id = try h.engine.remember(RememberRequest(text: "x y z"), namespace: "n").entry.id
            #expect(errorCode { _ = try h.engine.edit(namespace: "n", id: id, EditRequest()) } == "invalid_argument")
            #expect(errorCode { _ = try h.engine.edit(namespace: "n", id: id, EditRequest(vector: [1])) } == "invalid_argument")
            #expect(errorCode { _ = try h.engine.edit(namespace: "n", id: id, EditRequest(text: "")) } == "invalid_argument")
            #expect(errorCode { _ = try h.engine.edit(namespace: "n", id: id, EditRequest(text: "new", vector: [1, 2])) }
                    == "dimension_mismatch")
            #expect(errorCode { _ = try h.engine.edit(namespace: "n", id: id, EditRequest(confidence: -0.1)) } == "invalid_argument")
            #expect(errorCode {
                _ = try h.engine.edit(namespace: "n", id: id, EditRequest(expiresAt: h.clock.now.addingTimeInterval(9), clearExpiry: true))
            } == "invalid_argument")
            #expect(try h.engine.get(namespace: "n", id: id).version == 1)
        }
    }

    @Test func softForgetKeepsHistoryHardForgetScrubsIt() throws {
        try withEngine { h in
            let soft = try h.engine.remember(RememberRequest(text: "my locker code is 5150"), namespace: "n")
            let hard = try h.engine.remember(RememberRequest(text: "my bank pin is 9876"), namespace: "n")
            _ = try h.engine.edit(namespace: "n", id: hard.entry.id, EditRequest(text: "my bank pin is 1111"))

            let forgotten = try h.engine.forget(namespace: "n", id: soft.entry.id, actor: "bob", reason: "stale")
            #expect(forgotten.entry.text == "my locker code is 5150")
            #expect(errorCode { _ = try h.engine.get(namespace: "n", id: soft.entry.id) } == "not_found")
            #expect(try h.engine.search(namespace: "n", SearchRequest(text: "locker code", k: 5)).allSatisfy { $0.entry.id != soft.entry.id })
            let softHistory = try h.engine.history(namespace: "n", id: soft.entry.id).events
            #expect(softHistory.map(\.kind) == [.created, .deleted])
            #expect(softHistory[1].before?.text == "my locker code is 5150" && !softHistory[1].isScrubbed)

            let result = try h.engine.forget(namespace: "n", id: hard.entry.id, hard: true)
            #expect(result.sequence == forgotten.sequence + 1)
            let hardHistory = try h.engine.history(namespace: "n", id: hard.entry.id).events
            #expect(hardHistory.map(\.kind) == [.created, .updated, .deleted])
            for event in hardHistory {
                #expect(event.isScrubbed)
                #expect((event.before?.text ?? "").isEmpty && (event.after?.text ?? "").isEmpty)
            }
            #expect(hardHistory.allSatisfy { $0.afterTextSHA256 == nil && $0.beforeTextSHA256 == nil && $0.reason == nil })
            // The maintenance flush then overwrites the pages that held it (once).
            #expect(try h.engine.scrubFreedPages() != nil)
            #expect(try h.engine.scrubFreedPages() == nil)
            let everything = try h.engine.audit(limit: 1000).events
            #expect(!everything.contains { ($0.before?.text ?? "").contains("bank pin") || ($0.after?.text ?? "").contains("bank pin") })
            #expect(errorCode { _ = try h.engine.forget(namespace: "n", id: hard.entry.id) } == "not_found")
        }
    }

    @Test func revertRestoresAnEarlierVersionAsANewVersion() throws {
        try withEngine { h in
            let created = try h.engine.remember(
                RememberRequest(text: "lunch is at noon", tags: ["schedule"], metadata: ["v": .number(1)], confidence: 0.4),
                namespace: "n")
            let id = created.entry.id
            _ = try h.engine.edit(namespace: "n", id: id,
                                  EditRequest(text: "lunch is at one pm", tags: ["changed"], metadata: ["v": .number(2)], confidence: 0.8))
            _ = try h.engine.feedback(namespace: "n", id: id, .useful)
            let reverted = try h.engine.revert(namespace: "n", id: id, toVersion: 1, actor: "carol")
            #expect(reverted.entry.version == 4)
            #expect(reverted.entry.text == "lunch is at noon" && reverted.entry.tags == ["schedule"])
            #expect(reverted.entry.metadata == ["v": .number(1)] && reverted.entry.confidence == 0.4)
            #expect(reverted.entry.evidence.useful == 1)   // evidence is history, not content
            let last = try #require(try h.engine.history(namespace: "n", id: id).events.last)
            #expect(last.kind == .reverted && last.sequence == reverted.sequence && last.actor == "carol")
            #expect(last.reason == "revert to version 1")
            // Re-indexed under the old text.
            let hit = try #require(try h.engine.search(namespace: "n", SearchRequest(text: "lunch is at noon", k: 1, mode: .vector)).first)
            #expect(hit.entry.id == id && (hit.similarity ?? 0) > 0.999)
            // A version the entry never had, and one it has but in another namespace.
            #expect(errorCode { _ = try h.engine.revert(namespace: "n", id: id, toVersion: 99) } == "not_found")
            #expect(errorCode { _ = try h.engine.revert(namespace: "n", id: id, toVersion: 0) } == "not_found")
            // Reverting to the current version's predecessor works again (versions keep counting).
            #expect(try h.engine.revert(namespace: "n", id: id, toVersion: 2).entry.text == "lunch is at one pm")
        }
    }

    @Test func revertRestoresASoftDeletedEntry() throws {
        try withEngine { h in
            let created = try h.engine.remember(RememberRequest(text: "the refund window is 30 days", tags: ["policy"]),
                                                namespace: "n")
            let id = created.entry.id
            _ = try h.engine.edit(namespace: "n", id: id, EditRequest(text: "the refund window is 14 days"))
            _ = try h.engine.forget(namespace: "n", id: id, actor: "bob", reason: "mistake")
            #expect(errorCode { _ = try h.engine.get(namespace: "n", id: id) } == "not_found")

            let restored = try h.engine.revert(namespace: "n", id: id, toVersion: 1, actor: "alice", reason: "undo")
            #expect(restored.entry.id == id && restored.entry.version == 3)
            #expect(restored.entry.text == "the refund window is 30 days" && restored.entry.tags == ["policy"])
            #expect(restored.entry.createdAt == created.entry.createdAt)
            let history = try h.engine.history(namespace: "n", id: id)
            let last = try #require(history.events.last)
            #expect(last.kind == .restored && last.actor == "alice" && last.reason == "undo")
            #expect(last.sequence == restored.sequence && last.before == nil && last.after?.version == 3)
            // Back in every index: by id, by vector, by words.
            let fetched = try h.engine.get(namespace: "n", id: id)
            #expect(fetched.text == "the refund window is 30 days")
            let byVector = try h.engine.search(namespace: "n", SearchRequest(text: "refund window 30 days", k: 1, mode: .vector))
            #expect(byVector.first?.entry.id == id)
            let byWords = try h.engine.search(namespace: "n", SearchRequest(text: "refund", k: 1, mode: .lexical))
            #expect(byWords.first?.entry.id == id)
            #expect(h.store.verify().problems == [])
            // A live entry is reverted, not restored; a restored one can be forgotten and restored again.
            let again = try h.engine.revert(namespace: "n", id: id, toVersion: 2)
            #expect(again.entry.version == 4)
            _ = try h.engine.forget(namespace: "n", id: id)
            let twice = try h.engine.revert(namespace: "n", id: id, toVersion: 4)
            #expect(twice.entry.version == 5)
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func aHardDeletedEntryCannotBeRestored() throws {
        try withEngine { h in
            let secret = try h.engine.remember(RememberRequest(text: "the vault code is 4711"), namespace: "n")
            let id = secret.entry.id
            _ = try h.engine.forget(namespace: "n", id: id, hard: true)
            let refusal = engineError { _ = try h.engine.revert(namespace: "n", id: id, toVersion: 1) }
            #expect(refusal?.code == "conflict")
            #expect(refusal?.message.contains("hard-deleted") == true)
            // Never existed, or another namespace's entry.
            #expect(errorCode { _ = try h.engine.revert(namespace: "n", id: 9_999, toVersion: 1) } == "not_found")
            let other = try h.engine.remember(RememberRequest(text: "kept"), namespace: "n")
            _ = try h.engine.forget(namespace: "n", id: other.entry.id)
            _ = try h.engine.remember(RememberRequest(text: "elsewhere"), namespace: "m")
            #expect(errorCode { _ = try h.engine.revert(namespace: "m", id: other.entry.id, toVersion: 1) } == "not_found")
        }
    }
}

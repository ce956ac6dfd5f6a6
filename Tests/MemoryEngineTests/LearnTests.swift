import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct LearnTests {
    @Test func learnReinforcesANearDuplicateAndCreatesADistinctFact() throws {
        try withEngine { h in
            let first = try h.engine.learn(RememberRequest(text: "The capital of France is Paris", tags: ["geo"], confidence: 0.6),
                                           namespace: "facts")
            #expect(first.action == .created && first.similarity == nil && first.sequence != nil)

            h.clock.advance(by: 10)
            let again = try h.engine.learn(RememberRequest(text: "the capital of france is PARIS!", tags: ["europe"]),
                                           namespace: "facts")
            #expect(again.action == .reinforced)
            #expect(again.entry!.id == first.entry!.id)
            #expect(try #require(again.similarity) > 0.999)
            #expect(again.entry!.evidence.support == 2 && again.entry!.version == 2)
            #expect(again.entry!.text == "The capital of France is Paris")
            #expect(again.entry!.tags == ["geo", "europe"])
            #expect(again.entry!.updatedAt == h.clock.now)
            let expected = ConfidenceModel().confidence(initial: 0.6, evidence: Evidence(support: 2))
            #expect(abs(again.entry!.confidence - expected) < 1e-12)
            #expect(abs(again.entry!.confidence - (0.6 * 2 + 1) / 3) < 1e-12)
            let history = try h.engine.history(namespace: "facts", id: first.entry!.id).events
            #expect(history.map(\.kind) == [.created, .reinforced])
            #expect(history[1].sequence == again.sequence)

            let distinct = try h.engine.learn(RememberRequest(text: "Bananas are yellow when ripe"), namespace: "facts")
            #expect(distinct.action == .created && distinct.entry!.id != first.entry!.id)
            #expect(try h.engine.list(namespace: "facts").entries.count == 2)
        }
    }

    @Test func thresholdDecidesBetweenReinforceAndCreate() throws {
        let a = "alpha beta gamma delta epsilon"
        let b = "alpha beta gamma delta omega"
        let similarity = Harness.similarity(a, b)
        try #require(similarity > 0.3 && similarity < 0.95)
        var strict = EngineConfiguration()
        strict.learnSimilarityThreshold = min(1, similarity + 0.01)
        try withEngine(configuration: strict) { h in
            _ = try h.engine.learn(RememberRequest(text: a), namespace: "n")
            #expect(try h.engine.learn(RememberRequest(text: b), namespace: "n").action == .created)
        }
        var loose = EngineConfiguration()
        loose.learnSimilarityThreshold = similarity - 0.01
        try withEngine(configuration: loose) { h in
            _ = try h.engine.learn(RememberRequest(text: a), namespace: "n")
            let outcome = try h.engine.learn(RememberRequest(text: b), namespace: "n")
            #expect(outcome.action == .reinforced)
            #expect(abs(try #require(outcome.similarity) - similarity) < 1e-5)
        }
    }

    @Test func pinnedEntriesAreNeverChangedByLearn() throws {
        try withEngine { h in
            let pinned = try h.engine.remember(RememberRequest(text: "Deploys happen on Tuesdays", pinned: true), namespace: "ops")
            let sequence = try h.store.lastSequence
            let outcome = try h.engine.learn(RememberRequest(text: "deploys happen on tuesdays", tags: ["new"]), namespace: "ops")
            #expect(outcome.action == .matchedPinned)
            #expect(outcome.sequence == nil)
            #expect(outcome.entry!.id == pinned.entry.id)
            #expect(try h.store.lastSequence == sequence)
            let stored = try h.engine.get(namespace: "ops", id: pinned.entry.id)
            #expect(stored.version == 1 && stored.tags.isEmpty && stored.evidence.support == 1)
            #expect(try h.engine.list(namespace: "ops").entries.count == 1)
        }
    }

    @Test func learnIgnoresExpiredAndForgottenEntries() throws {
        var configuration = EngineConfiguration()
        configuration.learningActors = ["curator"]
        try withEngine(configuration: configuration) { h in
            let old = try h.engine.remember(RememberRequest(text: "temporary code 1234",
                                                            expiresAt: h.clock.now.addingTimeInterval(60)), namespace: "n")
            h.clock.advance(by: 61)
            let fresh = try h.engine.learn(RememberRequest(text: "temporary code 1234"), namespace: "n")
            #expect(fresh.action == .created && fresh.entry!.id != old.entry.id)
            // A forget by a learning actor leaves no rejected claim: the fact may be learned again.
            _ = try h.engine.forget(namespace: "n", id: fresh.entry!.id, actor: "curator (uid:1000)")
            #expect(try h.engine.learn(RememberRequest(text: "temporary code 1234"), namespace: "n").action == .created)
        }
    }

    @Test func concurrentLearnsOfOneFactCreateOneEntry() async throws {
        try await withEngine { h in
            try h.engine.createNamespace("n")
            let engine = h.engine
            let actions = try await withThrowingTaskGroup(of: LearnAction.self) { group in
                for _ in 0..<8 {
                    group.addTask { try engine.learn(RememberRequest(text: "water boils at 100 degrees"), namespace: "n").action }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(actions.filter { $0 == .created }.count == 1)
            #expect(actions.filter { $0 == .reinforced }.count == 7)
            let entries = try engine.list(namespace: "n").entries
            #expect(entries.count == 1 && entries[0].evidence.support == 8)
        }
    }
}

import EngramTestSupport
import Foundation
import MemoryEngine
import MemoryStore
import Testing

/// Corrections that hold: rejected claims, conflicts, review, and the listings that show them.
struct CorrectionTests {
    static let wrong = "the refund window is 14 days"
    static let right = "the refund window is 30 days"

    /// A namespace whose learn holds conflicts with `policy`.
    static func namespace(_ h: Harness, _ name: String = "kb", policy: ConflictPolicy = .pending) throws {
        try h.engine.createNamespace(name, NamespaceRequest(learning: LearningPolicy(conflictPolicy: policy)))
    }

    @Test func aCorrectedTextIsRefusedByLearnWithAnAuditEvent() throws {
        try withEngine { h in
            try Self.namespace(h)
            let taught = try h.engine.learn(RememberRequest(text: Self.wrong, source: "extraction:m"), namespace: "kb")
            let id = try #require(taught.entry).id
            #expect(taught.action == .created && taught.entry?.learned == true)
            let edit = try h.engine.edit(namespace: "kb", id: id, EditRequest(text: Self.right, pinned: true),
                                         actor: "alice (uid:1000)", reason: "policy changed in March")
            #expect(edit.entry.learned == false)
            let claims = try h.engine.rejectedClaims(namespace: "kb", id: id)
            #expect(claims.map(\.text) == [Self.wrong] && claims.first?.cause == .corrected)
            #expect(claims.first?.actor == "alice (uid:1000)" && claims.first?.reason == "policy changed in March")

            let again = try h.engine.learn(RememberRequest(text: Self.wrong, source: "extraction:m"), namespace: "kb",
                                           actor: "engram-prompt (uid:1000)")
            #expect(again.action == .rejected)
            #expect(again.entry?.id == id && again.entry?.text == Self.right)
            #expect(again.rejectedBy?.text == Self.wrong && again.rejectedBy?.entryID == id)
            // Nothing stored, the correction untouched.
            #expect(try h.engine.list(namespace: "kb").entries.map(\.text) == [Self.right])
            #expect(try h.engine.get(namespace: "kb", id: id).evidence.contradictions == 0)
            let refused = try h.engine.audit(filter: AuditFilter(kinds: [.refused])).events
            #expect(refused.count == 1 && refused.first?.entryID == id && refused.first?.claim == Self.wrong)
            #expect(refused.first?.actor == "engram-prompt (uid:1000)" && refused.first?.sequence == again.sequence)
            let edited = try h.engine.audit(filter: AuditFilter(kinds: [.updated])).events
            #expect(edited.first?.claim == Self.wrong && edited.first?.actor == "alice (uid:1000)")
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func forgetAndContradictionMakeClaimsAndRestoreTakesThemBack() throws {
        try withEngine { h in
            let a = try h.engine.remember(RememberRequest(text: "the office wifi password is tulip"), namespace: "kb").entry
            _ = try h.engine.forget(namespace: "kb", id: a.id, actor: "bob")
            #expect(try h.engine.learn(RememberRequest(text: a.text), namespace: "kb").action == .rejected)
            _ = try h.engine.revert(namespace: "kb", id: a.id, toVersion: 1)
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: a.id).isEmpty)
            #expect(try h.engine.learn(RememberRequest(text: a.text), namespace: "kb").action == .reinforced)

            let b = try h.engine.remember(RememberRequest(text: "the cafeteria closes at 3 pm"), namespace: "kb").entry
            _ = try h.engine.feedback(namespace: "kb", id: b.id, .contradicted, actor: "carol")
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: b.id).map(\.cause) == [.contradicted])
            #expect(try h.engine.learn(RememberRequest(text: b.text), namespace: "kb").action == .rejected)
            // A second contradiction keeps one claim of the text.
            _ = try h.engine.feedback(namespace: "kb", id: b.id, .contradicted, actor: "carol")
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: b.id).count == 1)
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func aRevertToACorrectedTextReinstatesItAndAHardForgetRemovesClaims() throws {
        try withEngine { h in
            let entry = try h.engine.remember(RememberRequest(text: Self.wrong), namespace: "kb").entry
            _ = try h.engine.edit(namespace: "kb", id: entry.id, EditRequest(text: Self.right))
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: entry.id).map(\.text) == [Self.wrong])
            _ = try h.engine.revert(namespace: "kb", id: entry.id, toVersion: 1)
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: entry.id).isEmpty)
            _ = try h.engine.edit(namespace: "kb", id: entry.id, EditRequest(text: Self.right))
            _ = try h.engine.forget(namespace: "kb", id: entry.id, hard: true)
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: entry.id).isEmpty)
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "kb").action == .created)
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func editingOrRestoringBackToATextTakesItsClaimBack() throws {
        try withEngine { h in
            let entry = try h.engine.remember(RememberRequest(text: Self.wrong), namespace: "kb").entry
            _ = try h.engine.edit(namespace: "kb", id: entry.id, EditRequest(text: Self.right))
            _ = try h.engine.edit(namespace: "kb", id: entry.id, EditRequest(text: Self.wrong))
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: entry.id).map(\.text) == [Self.right])
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "kb").action == .reinforced)

            // Edited, then forgotten, then restored to its first version: neither the forget's
            // claim nor the correction's claim of the restored text is left.
            _ = try h.engine.forget(namespace: "kb", id: entry.id)
            _ = try h.engine.revert(namespace: "kb", id: entry.id, toVersion: 1)
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: entry.id).map(\.text) == [Self.right])
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "kb").action == .reinforced)
            // A revert that keeps the text keeps the claims.
            _ = try h.engine.feedback(namespace: "kb", id: entry.id, .contradicted)
            let version = try h.engine.get(namespace: "kb", id: entry.id).version
            _ = try h.engine.edit(namespace: "kb", id: entry.id, EditRequest(tags: ["x"]))
            _ = try h.engine.revert(namespace: "kb", id: entry.id, toVersion: version)
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: entry.id).map(\.cause) == [.corrected, .contradicted])
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func aNearDuplicateWithAnotherValueIsNeverReinforcedWhateverTheBand() throws {
        try withEngine { h in
            try h.engine.createNamespace("kb", NamespaceRequest(learning: LearningPolicy(conflictSimilarity: 0.99)))
            let long = "the refund window for every online order placed in the european shop is"
            let person = try h.engine.remember(RememberRequest(text: long + " 30 days"), namespace: "kb").entry
            let similarity = Harness.similarity(long + " 30 days", long + " 14 days")
            #expect(similarity >= 0.9 && similarity < 0.99, "\(similarity)")
            let learned = try h.engine.learn(RememberRequest(text: long + " 14 days"), namespace: "kb")
            #expect(learned.action == .pending && learned.entry?.conflictsWith == [person.id])
            #expect(try h.engine.get(namespace: "kb", id: person.id).evidence.support == 1)
        }
        var configuration = EngineConfiguration()
        configuration.conflictSimilarityThreshold = 0.95
        #expect(throws: EngineError.self) { try configuration.validate() }
    }

    @Test func orphanedClaimsTravelOnTheirOwn() throws {
        try withEngine { h in
            let entry = try h.engine.remember(RememberRequest(text: Self.wrong), namespace: "kb").entry
            _ = try h.engine.forget(namespace: "kb", id: entry.id, actor: "bob")
            let page = try h.store.exportPage(namespace: "kb")
            #expect(page.entries.isEmpty && page.orphanedClaims.map(\.claim.entryID) == [entry.id])
            let target = try MemoryStore(path: h.directory + "/copy")
            try target.createNamespace(try #require(h.store.namespaceConfig("kb")))
            #expect(try target.importOrphanedClaims(page.orphanedClaims, namespace: "kb") == 1)
            #expect(try target.importOrphanedClaims(page.orphanedClaims, namespace: "kb") == 0)  // idempotent
            let engine = try MemoryEngine(store: target, embedder: WordHashEmbedder.hashing64)
            let refused = try engine.learn(RememberRequest(text: Self.wrong), namespace: "kb")
            #expect(refused.action == .rejected && refused.entry == nil && refused.rejectedBy?.entryID == entry.id)
            #expect(refused.rejectedBy?.cause == .forgotten && refused.rejectedBy?.actor == "bob")
            // The id counter moved past the holder: a new entry never takes over its claims.
            #expect(try engine.remember(RememberRequest(text: "a new fact"), namespace: "kb").entry.id > entry.id)
            #expect(target.verify().problems == [])
            var bad = page.orphanedClaims[0]
            bad.claim.entryID = 0
            #expect(throws: MemoryStoreError.self) { try target.importOrphanedClaims([bad], namespace: "kb") }
        }
    }

    @Test func claimsBelongToTheirNamespace() throws {
        try withEngine { h in
            let entry = try h.engine.remember(RememberRequest(text: Self.wrong), namespace: "a").entry
            _ = try h.engine.edit(namespace: "a", id: entry.id, EditRequest(text: Self.right))
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "b").action == .created)
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "a").action == .rejected)
            _ = try h.engine.deleteNamespace("a", confirm: true)
            try h.engine.createNamespace("a")
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "a").action == .created)
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func aChangedValueIsHeldForReviewAndKeptOutOfSearches() throws {
        try withEngine { h in
            try Self.namespace(h)
            let person = try h.engine.remember(RememberRequest(text: Self.right), namespace: "kb").entry
            let learned = try h.engine.learn(RememberRequest(text: Self.wrong, source: "extraction:m"), namespace: "kb")
            #expect(learned.action == .pending)
            let pending = try #require(learned.entry)
            #expect(pending.pending && pending.conflictsWith == [person.id] && pending.learned)
            let hits = try h.engine.search(namespace: "kb", SearchRequest(text: "refund window days", k: 10))
            #expect(hits.map(\.entry.id) == [person.id])
            let all = try h.engine.search(namespace: "kb", SearchRequest(text: "refund window days", k: 10,
                                                                         filter: SearchFilter(status: .any)))
            #expect(Set(all.map(\.entry.id)) == [person.id, pending.id])
            // Heard again while pending: the pending fact is reinforced, not copied.
            let again = try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "kb")
            #expect(again.action == .reinforced && again.entry?.id == pending.id && again.entry?.pending == true)

            let review = try h.engine.review(namespace: "kb")
            #expect(review.items.map(\.entry.id) == [pending.id])
            #expect(review.items.first?.conflicts.map(\.id) == [person.id])
            let rejected = try h.engine.reject(namespace: "kb", id: pending.id, actor: "lead", reason: "still 30 days")
            #expect(rejected.entry.id == pending.id)
            #expect(try h.engine.rejectedClaims(namespace: "kb", id: person.id).map(\.cause) == [.reviewed])
            #expect(try h.engine.review(namespace: "kb").items.isEmpty)
            #expect(try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "kb").action == .rejected)
            let decisions = try h.engine.audit(filter: AuditFilter(kinds: [.rejected])).events
            #expect(decisions.map(\.actor) == ["lead"] && decisions.first?.reason == "still 30 days")
            #expect(h.store.verify().problems == [])
        }
    }

    @Test func pendingFactsNeverCrowdLiveOnesOutOfTheTopK() throws {
        try withEngine { h in
            try Self.namespace(h)
            let live = try h.engine.remember(RememberRequest(text: "the office opens at 9 am"), namespace: "kb").entry
            var pending: [UInt64] = []
            for hour in 10...15 {
                let outcome = try h.engine.learn(RememberRequest(text: "the office opens at \(hour) am"), namespace: "kb")
                #expect(outcome.action == .pending)
                pending.append(try #require(outcome.entry).id)
            }
            // The pending facts are nearer to the query than the live one; k = 1 still finds it,
            // in every mode.
            for mode in [SearchMode.vector, .lexical, .hybrid] {
                let hits = try h.engine.search(namespace: "kb", SearchRequest(text: "the office opens at 12 am", k: 1, mode: mode))
                #expect(hits.map(\.entry.id) == [live.id], "\(mode)")
            }
            let all = try h.engine.search(namespace: "kb", SearchRequest(text: "the office opens at 12 am", k: 7,
                                                                         filter: SearchFilter(status: .pending)))
            #expect(Set(all.map(\.entry.id)) == Set(pending))
        }
    }

    @Test func acceptMakesAPendingFactLiveAndAPersonsWord() throws {
        try withEngine { h in
            try Self.namespace(h)
            let person = try h.engine.remember(RememberRequest(text: "the standup is at 9 am on mondays"), namespace: "kb").entry
            let learned = try #require(try h.engine.learn(RememberRequest(text: "the standup is at 10 am on mondays"),
                                                          namespace: "kb").entry)
            #expect(errorCode { _ = try h.engine.accept(namespace: "kb", id: person.id) } == "invalid_argument")
            #expect(errorCode { _ = try h.engine.reject(namespace: "kb", id: person.id) } == "invalid_argument")
            let accepted = try h.engine.accept(namespace: "kb", id: learned.id, actor: "lead", reason: "moved")
            #expect(!accepted.entry.pending && accepted.entry.conflictsWith.isEmpty && !accepted.entry.learned)
            #expect(try h.engine.audit(filter: AuditFilter(kinds: [.accepted])).events.map(\.entryID) == [learned.id])
            let hits = try h.engine.search(namespace: "kb", SearchRequest(text: "standup mondays", k: 10))
            #expect(Set(hits.map(\.entry.id)) == [person.id, learned.id])
        }
    }

    @Test func linkPolicyStoresLiveAndPutsThePersonFirst() throws {
        try withEngine { h in
            try Self.namespace(h, policy: .link)
            let person = try h.engine.remember(RememberRequest(text: Self.right, confidence: 0.1), namespace: "kb").entry
            let learned = try h.engine.learn(RememberRequest(text: Self.wrong, confidence: 0.9), namespace: "kb")
            #expect(learned.action == .conflicting && learned.entry?.pending == false)
            #expect(learned.entry?.conflictsWith == [person.id])
            // Ranked by confidence the learned fact would lead; the person's entry comes first.
            let hits = try h.engine.search(namespace: "kb", SearchRequest(text: Self.wrong, k: 10,
                                                                          rank: RankOptions(similarity: 0, confidence: 1)))
            #expect(hits.map(\.entry.id) == [person.id, learned.entry?.id])
            #expect(try h.engine.review(namespace: "kb").items.map(\.entry.id) == [learned.entry?.id])
        }
    }

    @Test func storePolicyIgnoresConflictsButNeverMergesChangedValues() throws {
        try withEngine { h in
            try Self.namespace(h, policy: .store)
            let person = try h.engine.remember(RememberRequest(text: Self.right), namespace: "kb").entry
            let learned = try h.engine.learn(RememberRequest(text: Self.wrong), namespace: "kb")
            #expect(learned.action == .created && learned.entry?.id != person.id)
            #expect(learned.entry?.conflictsWith == [] && learned.entry?.pending == false)
        }
    }

    @Test func listingsFilterAndSort() throws {
        try withEngine { h in
            try Self.namespace(h)
            let a = try h.engine.remember(RememberRequest(text: Self.right, tags: ["billing"], confidence: 0.9), namespace: "kb").entry
            let b = try h.engine.remember(RememberRequest(text: "support answers within a day", source: "agent",
                                                          confidence: 0.3), namespace: "kb").entry
            let pending = try #require(try h.engine.learn(RememberRequest(text: Self.wrong, confidence: 0.6), namespace: "kb").entry)
            func ids(_ filter: SearchFilter?, _ order: ListOrder = .id) throws -> [UInt64] {
                try h.engine.list(namespace: "kb", filter: filter, order: order).entries.map(\.id)
            }
            #expect(try h.engine.list(namespace: "kb").entries.count == 3)
            #expect(try ids(SearchFilter(status: .pending)) == [pending.id])
            #expect(try ids(SearchFilter(status: .active)) == [a.id, b.id])
            #expect(try ids(SearchFilter(conflicting: true)) == [pending.id])
            #expect(try ids(SearchFilter(tagsAny: ["billing"])) == [a.id])
            #expect(try ids(SearchFilter(sources: ["agent"])) == [b.id])
            #expect(try ids(SearchFilter(minConfidence: 0.5, maxConfidence: 0.7)) == [pending.id])
            #expect(try ids(nil, .confidence) == [a.id, pending.id, b.id])
            h.clock.advance(by: 10)
            _ = try h.engine.edit(namespace: "kb", id: b.id, EditRequest(tags: ["x"]))
            #expect(try ids(nil, .updated).first == b.id)
            _ = try h.engine.search(namespace: "kb", SearchRequest(text: "support answers", k: 1))
            #expect(try ids(nil, .use).first == b.id)
            let page = try h.engine.list(namespace: "kb", limit: 2, order: .confidence)
            #expect(page.entries.map(\.id) == [a.id, pending.id] && page.nextCursor == 2)
            #expect(try h.engine.list(namespace: "kb", after: 2, limit: 2, order: .confidence).entries.map(\.id) == [b.id])
            #expect(errorCode { _ = try h.engine.list(namespace: "kb", filter: SearchFilter(maxConfidence: 2)) } == "invalid_argument")
        }
    }

    @Test func claimsSurviveExportAndImport() throws {
        try withEngine { h in
            let entry = try h.engine.remember(RememberRequest(text: Self.wrong), namespace: "kb").entry
            _ = try h.engine.edit(namespace: "kb", id: entry.id, EditRequest(text: Self.right), actor: "alice")
            let page = try h.store.exportPage(namespace: "kb")
            #expect(page.entries.first?.claims.map(\.claim.text) == [Self.wrong])
            let target = try MemoryStore(path: h.directory + "/copy")
            try target.createNamespace(try #require(h.store.namespaceConfig("kb")))
            let items = page.entries.map { ImportItem(id: $0.entry.id, draft: MemoryDraft($0.entry), vector: $0.vector,
                                                      claims: $0.claims) }
            _ = try target.importEntries(items, namespace: "kb", context: AuditContext(actor: "import"))
            let copied = try target.rejectedClaims(namespace: "kb", entryID: entry.id)
            #expect(copied.map(\.text) == [Self.wrong] && copied.first?.actor == "alice" && copied.first?.entryID == entry.id)
            // The imported claim takes the sequence of the import's created event (1 here), so
            // the target's own later events, whose sequences the source had used, cannot meet it.
            #expect(copied.first?.sequence == 1)
            let engine = try MemoryEngine(store: target, embedder: WordHashEmbedder.hashing64)
            _ = try engine.edit(namespace: "kb", id: entry.id, EditRequest(text: "the refund window is 60 days"))
            #expect(try engine.rejectedClaims(namespace: "kb", id: entry.id).map(\.text) == [Self.wrong, Self.right])
            #expect(try engine.learn(RememberRequest(text: Self.wrong), namespace: "kb").action == .rejected)
            #expect(target.verify().problems == [])
        }
    }
}

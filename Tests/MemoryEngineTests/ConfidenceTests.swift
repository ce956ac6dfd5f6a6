import Foundation
import MemoryEngine
import MemoryStore
import Testing

@Suite struct ConfidenceTests {
    @Test func feedbackMovesConfidenceByTheFormula() throws {
        try withEngine { h in
            let created = try h.engine.remember(RememberRequest(text: "use tabs", confidence: 0.5), namespace: "n")
            let id = created.entry.id
            let useful = try h.engine.feedback(namespace: "n", id: id, .useful)
            #expect(useful.entry.evidence.useful == 1)
            #expect(abs(useful.entry.confidence - (0.5 * 2 + 1) / 3) < 1e-12)   // 2/3
            let notUseful = try h.engine.feedback(namespace: "n", id: id, .notUseful)
            #expect(abs(notUseful.entry.confidence - 2.0 / 4) < 1e-12)
            let contradicted = try h.engine.feedback(namespace: "n", id: id, .contradicted)
            #expect(abs(contradicted.entry.confidence - 2.0 / 6) < 1e-12)
            let evidence = contradicted.entry.evidence
            #expect(evidence == Evidence(support: 1, contradictions: 1, useful: 1, notUseful: 1))
            #expect(abs(contradicted.entry.confidence - ConfidenceModel().confidence(initial: 0.5, evidence: evidence)) < 1e-12)
            #expect(contradicted.sequence == notUseful.sequence + 1)
            let kinds = try h.engine.history(namespace: "n", id: id).events.map(\.kind)
            #expect(kinds == [.created, .feedback, .feedback, .feedback])
            #expect(try h.engine.get(namespace: "n", id: id).confidence == contradicted.entry.confidence)
        }
    }

    @Test func incrementalUpdatesEqualTheClosedForm() {
        let model = ConfidenceModel(priorStrength: 3, supportWeight: 1.5, usefulWeight: 1, notUsefulWeight: 0.5, contradictionWeight: 2)
        var state: UInt64 = 42
        for initial in [0.0, 0.2, 0.5, 0.93, 1.0] {
            var confidence = initial
            var evidence = Evidence()
            for _ in 0..<200 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                let observation: ConfidenceModel.Observation = [.support, .useful, .notUseful, .contradiction][Int(state >> 62)]
                model.observe(observation, confidence: &confidence, evidence: &evidence)
                #expect((0...1).contains(confidence))
            }
            #expect(abs(confidence - model.confidence(initial: initial, evidence: evidence)) < 1e-9)
        }
    }

    @Test func explicitConfidenceIsTheNewStartingPoint() throws {
        try withEngine { h in
            let id = try h.engine.remember(RememberRequest(text: "the build uses swift 6"), namespace: "n").entry.id
            _ = try h.engine.feedback(namespace: "n", id: id, .useful)   // n = 3
            let edited = try h.engine.edit(namespace: "n", id: id, EditRequest(confidence: 0.9))
            #expect(edited.entry.confidence == 0.9 && edited.entry.evidence.useful == 1)
            let after = try h.engine.feedback(namespace: "n", id: id, .notUseful)
            #expect(abs(after.entry.confidence - 0.9 * 3 / 4) < 1e-12)
        }
    }
}

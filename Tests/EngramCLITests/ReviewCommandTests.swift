import EngramAPI
import Foundation
import Testing
@testable import EngramCLI

/// `engram list` with its filters and `engram review` over a real daemon.
@Suite struct ReviewCommandTests {
    @Test("list filters and sorts; review lists, shows, accepts and rejects; learn reports a refusal")
    func reviewFlow() async throws {
        try await withEngramd { daemon in
            #expect(await daemon.run(["namespace", "create", "kb", "--dimension", "32", "--conflict-policy", "pending"]).status == 0)
            _ = await daemon.run(["remember", "-n", "kb", "the standup is at 9 am on mondays", "--confidence", "0.9",
                                  "--tag", "team"])
            _ = await daemon.run(["remember", "-n", "kb", "the cafeteria serves soup daily", "--confidence", "0.2"])
            let learned = await daemon.run(["learn", "-n", "kb", "the standup is at 10 am on mondays"])
            #expect(learned.status == 0 && learned.out.contains("held for review (pending): entry 3"), "\(learned.out)")
            #expect(learned.out.contains("may contradict entry 1"))

            #expect(await daemon.run(["list", "-n", "kb"]).rows.map { $0[0] } == ["1", "2", "3"])
            #expect(await daemon.run(["list", "-n", "kb", "--pending"]).rows.map { $0[0] } == ["3"])
            #expect(await daemon.run(["list", "-n", "kb", "--active"]).rows.map { $0[0] } == ["1", "2"])
            #expect(await daemon.run(["list", "-n", "kb", "--conflicts"]).rows.map { $0[0] } == ["3"])
            #expect(await daemon.run(["list", "-n", "kb", "--tag", "team"]).rows.map { $0[0] } == ["1"])
            #expect(await daemon.run(["list", "-n", "kb", "--max-confidence", "0.5"]).rows.map { $0[0] } == ["2", "3"])
            let sorted = await daemon.run(["list", "-n", "kb", "--sort", "confidence", "--limit", "2"])
            #expect(sorted.rows.map { $0[0] } == ["1", "3"] && sorted.err.contains("more entries: --after 2"))
            #expect(await daemon.run(["list", "-n", "kb", "--pending", "--active"]).status == 2)

            let listed = await daemon.run(["review", "-n", "kb"])
            #expect(listed.status == 0 && listed.rows.map { $0[0] } == ["3"] && listed.out.contains("#1 the standup is at 9 am"))
            let shown = await daemon.run(["review", "show", "-n", "kb", "3"])
            #expect(shown.out.contains("pending review") && shown.out.contains("may contradict entry 1"))
            #expect(await daemon.run(["review", "accept", "-n", "kb", "1"]).status != 0)
            let rejected = await daemon.run(["review", "reject", "-n", "kb", "3", "--reason", "still 9 am", "--actor", "lead"])
            #expect(rejected.status == 0 && rejected.out.contains("rejected entry 3"), "\(rejected.err)")
            #expect(await daemon.run(["review", "-n", "kb"]).out.contains("nothing to review"))
            let claims = await daemon.run(["review", "show", "-n", "kb", "1"])
            #expect(claims.out.contains("rejected claims held by entry 1") && claims.out.contains("still 9 am"))

            let refused = await daemon.run(["learn", "-n", "kb", "the standup is at 10 am on mondays"])
            #expect(refused.status == 0 && refused.out.contains("rejected: it repeats a claim reviewed by lead"), "\(refused.out)")
            let audit = await daemon.run(["audit", "--kind", "rejected", "--kind", "refused", "--json"])
            let page = try JSONOutput.decoder().decode(AuditPage.self, from: Data(audit.out.utf8))
            #expect(page.events.map(\.kind) == [.rejected, .refused])
        }
    }

    @Test("export and import carry the learning policy and the rejected claims")
    func exportImport() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/kb.jsonl"
        try await withEngramd { daemon in
            _ = await daemon.run(["namespace", "create", "kb", "--dimension", "32", "--conflict-policy", "link"])
            _ = await daemon.run(["remember", "-n", "kb", "the refund window is 14 days"])
            _ = await daemon.run(["edit", "-n", "kb", "1", "--text", "the refund window is 30 days", "--reason", "policy"])
            _ = await daemon.run(["remember", "-n", "kb", "the office wifi password is tulip"])
            _ = await daemon.run(["forget", "-n", "kb", "2"])
            #expect(await daemon.run(["export", "-n", "kb", "--output", file]).status == 0)
        }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains(#""learning":{"conflict_policy":"link"}"#) && text.contains(#""rejected_claims":[{"#))
        // The forgotten entry is not exported; its claim is, on a line of its own.
        #expect(text.contains(#"{"namespace":"kb","rejected_claim":{"#) && text.contains(#""entry_id":2"#), "\(text)")
        try await withEngramd { daemon in
            let imported = await daemon.run(["import", file])
            #expect(imported.status == 0 && imported.out.contains("1 rejected claim of forgotten entries"), "\(imported.out)")
            #expect(await daemon.run(["import", file]).out.contains("rejected claim") == false)
            let forgotten = await daemon.run(["learn", "-n", "kb", "the office wifi password is tulip"])
            #expect(forgotten.out.contains("rejected: it repeats a claim forgotten by"), "\(forgotten.out)")
            #expect(await daemon.run(["remember", "-n", "kb", "a new fact"]).out.contains("entry 3"))
            let namespace = await daemon.run(["namespace", "stats", "kb", "--json"])
            #expect(namespace.out.contains(#""conflict_policy":"link""#), "\(namespace.out)")
            let refused = await daemon.run(["learn", "-n", "kb", "the refund window is 14 days"])
            #expect(refused.out.contains("rejected: it repeats a claim corrected by"), "\(refused.out)")
        }
    }
}

import Foundation
import MemoryClient
import EngramAPI
import EngramTestSupport
import Testing
@testable import EngramCLI

@Suite("Client commands against a real engramd on a temporary socket")
struct ClientCommandTests {
    @Test("--help everywhere, usage errors exit 2, exit statuses documented")
    func helpAndUsage() async throws {
        let root = await runCLI(["--help"])
        #expect(root.status == 0)
        #expect(root.out.contains("Exit status:"))
        #expect(root.out.contains("3    not found"))
        #expect(root.out.contains("ENGRAM_SOCKET"))
        for command in [["search"], ["remember"], ["namespace", "delete"], ["audit"], ["namespace"]] {
            let help = await runCLI(command + ["--help"])
            #expect(help.status == 0, "\(command) --help")
            #expect(help.out.contains("USAGE:"), "\(command) --help")
        }
        #expect(await runCLI(["frobnicate"]).status == 2)
        #expect(await runCLI(["get", "-n", "kb", "not-a-number"]).status == 2)
        #expect(await runCLI(["search", "-n", "kb"]).status == 2)  // neither text nor vector
        let delete = await runCLI(["namespace", "delete", "kb"])
        #expect(delete.status == 2)
        #expect(delete.err.contains("--yes"))
        #expect(await runCLI(["remember", "-n", "kb", "x", "--metadata", "[1]"]).status == 2)
        #expect(await runCLI(["edit", "-n", "kb", "1"]).status == 2)  // nothing to change
    }

    @Test("no daemon: exit 5 with the code on stderr; ENGRAM_SOCKET is honoured")
    func unavailable() async throws {
        let missing = await runCLI(["health", "--socket", "/tmp/engram-cli-missing/none.sock"])
        #expect(missing.status == 5)
        #expect(missing.err.hasPrefix("error: unavailable: "))
        #expect(missing.out.isEmpty)
        let fromEnvironment = await runCLI(["health"], environment: ["ENGRAM_SOCKET": "/tmp/engram-cli-missing/env.sock"])
        #expect(fromEnvironment.status == 5)
        #expect(fromEnvironment.err.contains("/tmp/engram-cli-missing/env.sock"))
        try await withEngramd { daemon in
            let health = await runCLI(["health"], environment: ["ENGRAM_SOCKET": daemon.socketPath])
            #expect(health.status == 0)
            #expect(health.out.contains("status:"))
            #expect(health.out.contains("ok"))
            // The details (BLAS, embedder…) set the column width: match the line, not the padding.
            #expect(health.out.split(separator: "\n").contains { $0.hasPrefix("pid:") && $0.hasSuffix(" \(getpid())") })
            #expect(health.out.contains("embedder:"))
            let json = await daemon.run(["health", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
            #expect(object?["status"] as? String == "ok")
        }
    }

    @Test("namespace create (idempotent, conflict = 4), list, stats, delete; missing namespace = 3")
    func namespaces() async throws {
        try await withEngramd { daemon in
            let created = await daemon.run(["namespace", "create", "kb", "--dimension", "32", "--m", "8"])
            #expect(created.status == 0)
            #expect(created.out.contains("namespace kb: dimension 32, cosine, M 8"))
            #expect(await daemon.run(["namespace", "create", "kb", "--dimension", "32", "--m", "8"]).status == 0)
            let lexical = await daemon.run(["namespace", "create", "words", "--dimension", "32", "--search-mode", "lexical",
                                            "--stemming", "none", "--k1", "1.2"])
            #expect(lexical.out.contains("text search lexical"))
            let wordsStats = await daemon.run(["namespace", "stats", "words"])
            #expect(wordsStats.out.contains("stemming none, stop words english, k1 1.20, b 0.40"))
            #expect(await daemon.run(["namespace", "create", "bad", "--k1", "9"]).status == 2)
            let floats = await daemon.run(["namespace", "create", "floats", "--dimension", "32", "--quantization", "none"])
            #expect(floats.out.contains("quantization none"), "\(floats.out)")
            #expect(await daemon.run(["namespace", "stats", "floats"]).out.contains("traversal") )
            #expect(await daemon.run(["namespace", "create", "bad", "--quantization", "int2"]).status == 2)
            #expect(await daemon.run(["namespace", "delete", "floats", "--yes"]).status == 0)
            let conflict = await daemon.run(["namespace", "create", "kb", "--dimension", "16"])
            #expect(conflict.status == 4)
            #expect(conflict.err.hasPrefix("error: conflict: "))
            _ = await daemon.run(["namespace", "create", "other", "--dimension", "32"])
            #expect(await daemon.run(["remember", "-n", "kb", "first fact"]).status == 0)

            let list = await daemon.run(["namespace", "list"])
            #expect(list.status == 0)
            #expect(list.out.hasPrefix("NAME"))
            #expect(list.rows.map { $0[0] } == ["kb", "other", "words"])
            #expect(list.rows[0][1] == "32")
            #expect(list.rows[0][3] == "1")

            let listJSON = await daemon.run(["namespace", "list", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(listJSON.out.utf8)) as? [String: Any]
            let namespaces = try #require(object?["namespaces"] as? [[String: Any]])
            #expect(namespaces.map { $0["name"] as? String } == ["kb", "other", "words"])
            #expect((namespaces[0]["parameters"] as? [String: Any])?["m"] as? Int == 8)

            let stats = await daemon.run(["namespace", "stats", "kb"])
            #expect(stats.out.contains("entries:"))
            #expect(stats.out.contains("M 8, ef_construction"))
            let all = await daemon.run(["stats"])
            #expect(all.rows.map { $0[0] } == ["kb", "other", "words", "TOTAL"])
            #expect(all.rows.last?[1] == "1")

            let deleted = await daemon.run(["namespace", "delete", "kb", "--yes", "--reason", "test"])
            #expect(deleted.status == 0)
            #expect(deleted.out.hasPrefix("deleted namespace kb"))
            #expect(await daemon.run(["namespace", "delete", "other", "--confirm"]).status == 0)
            let gone = await daemon.run(["namespace", "stats", "kb"])
            #expect(gone.status == 3)
            #expect(gone.err.hasPrefix("error: namespace_not_found: "))
        }
    }

    @Test("remember, get, search (text, JSON vector, raw float32), learn, edit, revert, feedback, forget --hard")
    func entries() async throws {
        try await withEngramd { daemon in
            _ = await daemon.run(["namespace", "create", "kb", "--dimension", "32"])
            let remembered = await daemon.run(["remember", "-n", "kb", "refunds take five business days",
                                               "--tag", "billing", "--tag", "refunds", "--metadata", #"{"ticket": 42}"#,
                                               "--reason", "from ticket 42", "--json"])
            #expect(remembered.status == 0)
            let outcome = try JSONOutput.decoder().decode(WriteOutcome.self, from: Data(remembered.out.utf8))
            let id = outcome.entry.id
            #expect(outcome.entry.tags == ["billing", "refunds"])
            #expect(outcome.entry.metadata == ["ticket": .number(42)])
            let other = await daemon.run(["remember", "-n", "kb", "the office opens at nine"])
            #expect(other.out.hasPrefix("created entry 2 in kb: version 1, confidence 0.50"))

            let get = await daemon.run(["get", "-n", "kb", "\(id)"])
            #expect(get.status == 0)
            #expect(get.out.contains("text:        refunds take five business days"))
            #expect(get.out.contains("tags:        billing, refunds"))
            #expect(get.out.contains("confidence:  0.50  (support 1"))
            #expect(get.out.contains("just now ("))

            let search = await daemon.run(["search", "-n", "kb", "how many days for refunds", "-k", "2"])
            #expect(search.status == 0)
            #expect(search.out.hasPrefix("#"))
            #expect(search.rows.first?[1] == "\(id)")

            // The same query by vector: a JSON array file and a raw float32 file.
            let vector = WordHashEmbedder().vector("how many days for refunds")
            let jsonFile = "\(daemon.directory)/q.json"
            try Data("[\(vector.map { "\($0)" }.joined(separator: ","))]".utf8).write(to: URL(fileURLWithPath: jsonFile))
            let rawFile = "\(daemon.directory)/q.f32"
            var raw = Data()
            for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
            try raw.write(to: URL(fileURLWithPath: rawFile))
            for file in [jsonFile, rawFile] {
                let byVector = await daemon.run(["search", "-n", "kb", "--vector-file", file, "-k", "1", "--json"])
                #expect(byVector.status == 0)
                let hits = try #require(try JSONSerialization.jsonObject(with: Data(byVector.out.utf8)) as? [String: Any])["hits"]
                let first = (hits as? [[String: Any]])?.first?["entry"] as? [String: Any]
                #expect(first?["id"] as? Int == Int(id))
            }
            // Lexical mode: a BM25 column and no similarity; a thread with --context.
            let lexical = await daemon.run(["search", "-n", "kb", "refunds", "--mode", "lexical"])
            #expect(lexical.status == 0)
            #expect(lexical.out.hasPrefix("#") && lexical.out.contains("LEX") && !lexical.out.contains("SIM"))
            for (index, text) in ["the parcel left the warehouse", "the parcel reached the depot", "the parcel was delivered"].enumerated() {
                let turn = await daemon.run(["remember", "-n", "kb", text, "--thread", "order-7", "--position", "\(index)",
                                             "--occurred", "2023-05-0\(index + 1)"])
                #expect(turn.status == 0, "\(turn.err)")
            }
            let withContext = await daemon.run(["search", "-n", "kb", "depot", "--mode", "lexical", "-k", "1", "--context", "1"])
            #expect(withContext.status == 0)
            #expect(withContext.out.contains("↑ the parcel left the warehouse") && withContext.out.contains("↓ the parcel was delivered"))
            let json = await daemon.run(["search", "-n", "kb", "depot", "--mode", "lexical", "-k", "1", "--json"])
            let depotHits = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])["hits"]
            let depotID = try #require(((depotHits as? [[String: Any]])?.first?["entry"] as? [String: Any])?["id"] as? Int)
            let shown = await daemon.run(["get", "-n", "kb", "\(depotID)"])
            #expect(shown.out.contains("order-7, position 1"), "\(shown.out)")
            #expect(shown.out.contains("(2023-05-02T00:00:00"))
            #expect(json.out.contains("\"occurred_at\":\"2023-05-02T00:00:00") && json.out.contains("\"thread\":\"order-7\""))
            #expect(await daemon.run(["search", "-n", "kb", "depot", "--context", "99"]).status == 2)
            #expect(await daemon.run(["remember", "-n", "kb", "x", "--occurred", "yesterday"]).status == 2)
            // The audit log filtered by kind and time (and a bad time refused).
            let creations = await daemon.run(["audit", "--kind", "created", "--since", "1h", "--json"])
            #expect(creations.status == 0)
            let createdEvents = try #require(try JSONSerialization.jsonObject(with: Data(creations.out.utf8)) as? [String: Any])["events"]
            #expect(((createdEvents as? [[String: Any]]) ?? []).allSatisfy { $0["kind"] as? String == "created" })
            #expect(((createdEvents as? [[String: Any]]) ?? []).count >= 5)
            let none = await daemon.run(["audit", "--actor", "nobody-at-all", "--json"])
            #expect(none.out.contains(#""events":[]"#))
            #expect(await daemon.run(["audit", "--since", "last tuesday"]).status == 2)
            let filtered = await daemon.run(["search", "-n", "kb", "office refunds", "--tag", "nothing-has-this"])
            #expect(filtered.status == 0)
            #expect(filtered.err.contains("no results"))
            let wrongDimension = await daemon.run(["search", "-n", "kb", "--vector-file", jsonFile.replacingOccurrences(of: "q.json", with: "bad.json")])
            #expect(wrongDimension.status == 6)
            try Data("[1, 2, 3]".utf8).write(to: URL(fileURLWithPath: "\(daemon.directory)/small.json"))
            let mismatch = await daemon.run(["search", "-n", "kb", "--vector-file", "\(daemon.directory)/small.json"])
            #expect(mismatch.status == 6)
            #expect(mismatch.err.hasPrefix("error: dimension_mismatch: "))

            let learned = await daemon.run(["learn", "-n", "kb", "refunds take five business days"])
            #expect(learned.status == 0)
            #expect(learned.out.hasPrefix("reinforced entry \(id) in kb: version 2"))
            #expect(learned.out.contains("support 2"))

            let edited = await daemon.run(["edit", "-n", "kb", "\(id)", "--text", "refunds take ten business days",
                                           "--reason", "policy change"])
            #expect(edited.status == 0)
            #expect(edited.out.hasPrefix("updated entry \(id) in kb: version 3"))

            let reverted = await daemon.run(["revert", "-n", "kb", "\(id)", "--to", "1"])
            #expect(reverted.status == 0)
            #expect(try daemon.engine.get(namespace: "kb", id: id).text == "refunds take five business days")

            let before = try daemon.engine.get(namespace: "kb", id: id).confidence
            let feedback = await daemon.run(["feedback", "-n", "kb", "\(id)", "useful"])
            #expect(feedback.status == 0)
            #expect(try daemon.engine.get(namespace: "kb", id: id).confidence > before)
            #expect(await daemon.run(["feedback", "-n", "kb", "\(id)", "great"]).status == 2)

            let history = await daemon.run(["history", "-n", "kb", "\(id)"])
            #expect(history.status == 0)
            // The KIND cell, found by value: the TIME cell before it is one word or three
            // ("just now", "1 min ago") depending on how long the test has run.
            let kinds: Set = ["created", "reinforced", "updated", "reverted", "feedback", "deleted"]
            #expect(history.rows.map { $0.first(where: kinds.contains) } == ["created", "reinforced", "updated", "reverted", "feedback"])
            #expect(history.out.contains("policy change"))

            let forgot = await daemon.run(["forget", "-n", "kb", "\(id)", "--hard"])
            #expect(forgot.status == 0)
            #expect(forgot.out.contains("scrubbed"))
            let missing = await daemon.run(["get", "-n", "kb", "\(id)"])
            #expect(missing.status == 3)
            #expect(missing.err.hasPrefix("error: not_found: "))
            let scrubbed = await daemon.run(["history", "-n", "kb", "\(id)", "--wide"])
            #expect(scrubbed.out.contains("(scrubbed)"))
            #expect(!scrubbed.out.contains("five business days"))
            #expect(await daemon.run(["edit", "-n", "kb", "\(id)", "--pin"]).status == 3)
        }
    }

    @Test("audit lists events in order, with a namespace filter and JSON pages")
    func audit() async throws {
        try await withEngramd { daemon in
            _ = await daemon.run(["namespace", "create", "a", "--dimension", "32"])
            _ = await daemon.run(["namespace", "create", "b", "--dimension", "32"])
            _ = await daemon.run(["remember", "-n", "a", "alpha one"])
            _ = await daemon.run(["remember", "-n", "b", "beta one"])
            _ = await daemon.run(["remember", "-n", "a", "alpha two"])
            let all = await daemon.run(["audit"])
            #expect(all.status == 0)
            #expect(all.rows.map { $0[0] } == ["1", "2", "3"])
            let onlyA = await daemon.run(["audit", "-n", "a"])
            #expect(onlyA.rows.map { $0[0] } == ["1", "3"])
            let paged = await daemon.run(["audit", "--limit", "2"])
            #expect(paged.rows.count == 2)
            #expect(paged.err.contains("more events: --after 2"))
            let json = await daemon.run(["audit", "--after", "1", "--json"])
            let page = try JSONOutput.decoder().decode(AuditPage.self, from: Data(json.out.utf8))
            #expect(page.events.map(\.sequence) == [2, 3])
            #expect(page.events.map(\.kind) == [.created, .created])
        }
    }

    @Test("audit --follow prints events committed while it runs, then stops on interrupt with 130")
    func auditFollow() async throws {
        try await withEngramd { daemon in
            _ = await daemon.run(["namespace", "create", "kb", "--dimension", "32"])
            _ = await daemon.run(["remember", "-n", "kb", "already there"])
            let interrupt = InterruptFlag()
            let out = CapturedText()
            let console = Console(out: out, err: CapturedText(), interrupt: interrupt)
            let follower = Task {
                await EngramCLI.run(["audit", "--follow", "--json", "--interval", "20", "--socket", daemon.socketPath],
                                    console: console)
            }
            for index in 0..<5 { _ = await daemon.run(["remember", "-n", "kb", "new fact \(index)"]) }
            // Wait (bounded) until the follower printed all six events, then interrupt it.
            for _ in 0..<500 where out.text.split(separator: "\n").count < 6 {
                try await Task.sleep(for: .milliseconds(10))
            }
            interrupt.request()
            #expect(await follower.value == 130)
            let events = try out.text.split(separator: "\n").map {
                try JSONOutput.decoder().decode(AuditEvent.self, from: Data($0.utf8))
            }
            #expect(events.map(\.sequence) == Array(1...6))
            #expect(events.last?.after?.text == "new fact 4")
        }
    }
}

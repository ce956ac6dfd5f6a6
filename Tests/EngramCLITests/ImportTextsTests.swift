import EngramAPI
import Foundation
import MemoryEngine
import EngramTestSupport
import Testing
@testable import EngramCLI

@Suite("engram import-texts: files of texts into a namespace in batches")
struct ImportTextsTests {
    @Test("plain text: one memory a line, blank lines skipped, tags and source applied, several batches in flight")
    func plainText() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let texts = (1...23).map { "plain fact number \($0) about subject \($0 % 5)" }
        let file = "\(directory)/kb.txt"
        try Data((texts.prefix(10) + [""] + texts.dropFirst(10)).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        try await withEngramd { daemon in
            let result = await daemon.run(["import-texts", file, "-n", "kb", "--batch-size", "4", "--in-flight", "3",
                                           "--tag", "wiki", "--source", "confluence"])
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out.contains("23 lines read: created 23, 0 not stored"), "\(result.out)")
            // Batches in flight at once may commit in any order.
            let page = try daemon.engine.list(namespace: "kb", after: 0, limit: 100)
            #expect(page.entries.map(\.text).sorted() == texts.sorted())
            #expect(page.entries.allSatisfy { $0.tags == ["wiki"] && $0.source == "confluence" })
            // One at a time, the ids follow the lines.
            let ordered = await daemon.run(["import-texts", file, "-n", "ordered", "--batch-size", "4", "--in-flight", "1"])
            #expect(ordered.status == 0, "\(ordered.err)")
            #expect(try daemon.engine.list(namespace: "ordered", after: 0, limit: 100).entries.map(\.text) == texts)
        }
    }

    @Test("JSON Lines: each line's fields kept; a bad line and a refused item reported with their line; exit 7")
    func jsonLinesWithBadLines() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = [
            #"{"text": "the deploy key lives in the vault", "tags": ["ops"], "source": "runbook", "thread": "t9"}"#,
            "{not json",
            #"{"text": ""}"#,
            #"{"text": "lunch is at noon", "metadata": {"page": 4}}"#,
            #"{"text": "\#(String(repeating: "x", count: 1_100_000))"}"#,
        ]
        let file = "\(directory)/kb.jsonl"
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        try await withEngramd { daemon in
            let result = await daemon.run(["import-texts", file, "-n", "kb", "--tag", "import", "--source", "bulk", "--json"])
            #expect(result.status == 7, "\(result.err)")
            #expect(result.err.contains("line 2: malformed_json"), "\(result.err)")
            #expect(result.err.contains("line 3: invalid_argument"), "\(result.err)")
            #expect(result.err.contains("line 5: the line holds"), "\(result.err)")
            #expect(!result.err.contains("line 1:") && !result.err.contains("line 4:"))
            let summary = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]
            #expect(summary?["created"] as? Int == 2)
            #expect(summary?["failed"] as? Int == 3)
            #expect(summary?["next_line"] == nil)
            let entries = try daemon.engine.list(namespace: "kb", after: 0, limit: 10).entries
            #expect(entries.map(\.text) == ["the deploy key lives in the vault", "lunch is at noon"])
            #expect(entries[0].tags == ["ops", "import"] && entries[0].source == "runbook" && entries[0].thread == "t9")
            #expect(entries[1].source == "bulk" && entries[1].metadata["page"] == .number(4))
        }
    }

    @Test("interrupted, then continued with --from: every line stored exactly once")
    func resumeAfterInterrupt() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let texts = (1...30).map { "resumable fact \($0)" }
        let file = "\(directory)/kb.txt"
        try Data(texts.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        try await withEngramd { daemon in
            let interrupt = InterruptFlag()
            interrupt.request()  // as if Ctrl-C arrived as the first line was read
            let first = await daemon.run(["import-texts", file, "-n", "kb", "--batch-size", "5"], interrupt: interrupt)
            #expect(first.status == 130, "\(first.err)")
            let from = try #require(Self.fromLine(first.err), "\(first.err)")
            let stored = (try? daemon.engine.list(namespace: "kb", after: 0, limit: 100).entries.map(\.text)) ?? []
            #expect(stored == Array(texts.prefix(from - 1)))
            let second = await daemon.run(["import-texts", file, "-n", "kb", "--batch-size", "5", "--from", String(from)])
            #expect(second.status == 0, "\(second.err)")
            let all = try daemon.engine.list(namespace: "kb", after: 0, limit: 100).entries.map(\.text)
            #expect(all.sorted() == texts.sorted())  // batches in flight at once commit in any order
        }
    }

    @Test("a request the daemon refuses as a whole stops the import and names the line to continue from")
    func stopsOnAWholeRequestFailure() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/kb.txt"
        try Data("one\ntwo\nthree\n".utf8).write(to: URL(fileURLWithPath: file))
        try await withEngramd { daemon in
            let result = await daemon.run(["import-texts", file, "-n", "not a name!", "--batch-size", "2"])
            #expect(result.status == 2 || result.status == 1 || result.status == 6, "\(result.status) \(result.err)")
            #expect(result.err.contains("invalid_argument"), "\(result.err)")
            #expect(Self.fromLine(result.err) == 1, "\(result.err)")
            let missing = await daemon.run(["import-texts", "\(directory)/absent.txt", "-n", "kb"])
            #expect(missing.status == 6)
            #expect(await daemon.run(["import-texts", file, "-n", "kb", "--batch-size", "0"]).status == 2)
            #expect(await daemon.run(["import-texts", file, "-n", "kb", "--dedupe", "maybe"]).status == 2)
        }
    }

    @Test("line parsing: formats, defaults and errors")
    func lineParsing() throws {
        let defaults = TextLine.Defaults(tags: ["t"], source: "s")
        #expect(TextLine.Format.auto.resolved(path: "a.JSONL", firstLine: Array("x".utf8)[...]) == .jsonl)
        #expect(TextLine.Format.auto.resolved(path: "a.txt", firstLine: Array("  {\"text\": 1}".utf8)[...]) == .jsonl)
        #expect(TextLine.Format.auto.resolved(path: "a.txt", firstLine: Array("plain".utf8)[...]) == .text)
        #expect(TextLine.Format.text.resolved(path: "a.jsonl", firstLine: nil) == .text)
        let plain = try TextLine.request(Array("{not json, but text".utf8)[...], format: .text, defaults: defaults)
        #expect(plain.text == "{not json, but text" && plain.tags == ["t"] && plain.source == "s")
        let json = try TextLine.request(Array(#"{"text": "x", "tags": ["t", "u"], "vector": [0.5, 0.25]}"#.utf8)[...],
                                        format: .jsonl, defaults: defaults)
        #expect(json.tags == ["t", "u"] && json.source == "s" && json.vector == [0.5, 0.25])
        #expect(throws: TextLine.LineError.self) { try TextLine.request([0xFF, 0xFE][...], format: .text, defaults: defaults) }
        #expect(throws: TextLine.LineError.self) { try TextLine.request(Array(#"{"txt": "x"}"#.utf8)[...], format: .jsonl, defaults: defaults) }
        #expect(throws: TextLine.LineError.self) { try TextLine.request(Array("[1]".utf8)[...], format: .jsonl, defaults: defaults) }
        #expect(TextLine.isBlank(Array(" \t".utf8)[...]))
    }

    /// The `--from N` the command told the user to continue with.
    static func fromLine(_ stderr: String) -> Int? {
        guard let range = stderr.range(of: "--from ") else { return nil }
        return Int(stderr[range.upperBound...].prefix { $0.isNumber })
    }
}

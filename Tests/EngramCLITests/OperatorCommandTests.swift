import EngramAPI
import Foundation
import MemoryClient
import MemoryEngine
import LMDB
import MemoryStore
import struct MemoryEngine.NamespaceRequest
import struct MemoryEngine.RememberRequest
import struct MemoryStore.AuditEvent
import struct MemoryStore.MemoryEntry
import EngramTestSupport
import Testing
@testable import EngramCLI

/// Deterministic pseudo-random unit vectors (SplitMix64), so a query by an entry's own
/// vector has exactly one true nearest neighbour.
func unitVectors(_ count: Int, dimension: Int = 32, seed: UInt64) -> [[Float]] {
    var state = seed
    func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(Double(z >> 11) / Double(1 << 53)) * 2 - 1
    }
    return (0..<count).map { _ in
        let vector = (0..<dimension).map { _ in next() }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return vector.map { $0 / norm }
    }
}

/// A store at `directory/store` that no daemon holds, with namespace `kb` (dimension 32) and
/// `entries` entries ("fact 0", "fact 1", …) on ``unitVectors(_:dimension:seed:)``; closed
/// before it returns, so offline commands can open it. Returns the store's path.
func makeOfflineStore(in directory: String, entries: Int, seed: UInt64) throws -> String {
    let path = "\(directory)/store"
    let store = try MemoryStore(path: path)
    _ = try store.createNamespace(NamespaceConfig(name: "kb", dimension: 32))
    let drafts = unitVectors(entries, seed: seed).enumerated().map { (draft: MemoryDraft(text: "fact \($0.offset)"), vector: $0.element) }
    _ = try store.insertBatch(drafts, namespace: "kb", context: AuditContext(actor: "test"))
    return path
}

/// Creates namespace `name` (dimension 32, graph search from the first entry) with `count`
/// entries carrying `vectors`; returns their ids in order.
@discardableResult
func fill(_ engine: MemoryEngine, _ name: String, vectors: [[Float]], m: Int = 8,
          lexical: LexicalOptions = LexicalOptions(), search: SearchDefaults = SearchDefaults()) throws -> [UInt64] {
    var parameters = NamespaceRequest().parameters
    parameters.m = m
    parameters.efConstruction = 40
    parameters.flatThreshold = 0
    _ = try engine.createNamespace(name, NamespaceRequest(dimension: 32, parameters: parameters, lexical: lexical, search: search))
    var ids: [UInt64] = []
    for start in stride(from: 0, to: vectors.count, by: 500) {
        let requests = vectors[start..<min(vectors.count, start + 500)].enumerated().map { offset, vector in
            RememberRequest(text: "entry \(start + offset) of \(name)", vector: vector, tags: ["t\((start + offset) % 3)"])
        }
        ids += try engine.rememberBatch(requests, namespace: name).map(\.entry.id)
    }
    return ids
}

@Suite("Operator commands: index rebuild, backup, verify, export, import")
struct OperatorCommandTests {
    @Test("online rebuild with new parameters: a results table, plain progress lines off a terminal, M changed")
    func onlineRebuild() async throws {
        try await withEngramd { daemon in
            try fill(daemon.engine, "kb", vectors: unitVectors(600, seed: 1))
            let result = await daemon.run(["index", "rebuild", "-n", "kb", "--m", "12", "--ef-construction", "64",
                                           "--interval", "20"])
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out.hasPrefix("NAMESPACE"))
            #expect(result.rows.first?[0] == "kb")
            #expect(result.rows.first?[1] == "600")
            #expect(!result.err.contains("\r"))  // not a terminal: plain lines
            #expect(try daemon.engine.namespace("kb").parameters.m == 12)
            #expect(try daemon.engine.namespace("kb").parameters.efConstruction == 64)
            #expect(try daemon.engine.namespace("kb").parameters.quantization == .int8)
            let floats = await daemon.run(["index", "rebuild", "-n", "kb", "--quantization", "none", "--interval", "20"])
            #expect(floats.status == 0, "\(floats.err)")
            #expect(floats.rows.first?[5] == "none")
            #expect(try daemon.engine.namespace("kb").parameters.quantization == .none)
            #expect(await daemon.run(["index", "rebuild", "-n", "kb", "--quantization", "pq"]).status == 2)

            let json = await daemon.run(["index", "rebuild", "--json", "--interval", "20"])
            #expect(json.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
            #expect((object?["results"] as? [[String: Any]])?.first?["nodes"] as? Int == 600)

            let missing = await daemon.run(["index", "rebuild", "-n", "nope"])
            #expect(missing.status == 3)
            #expect(missing.err.hasPrefix("error: namespace_not_found: "))
            #expect(await daemon.run(["index", "rebuild", "-n", "kb", "--m", "1"]).status == 2)
            let verify = await daemon.run(["verify"])
            #expect(verify.status == 0)
            #expect(verify.out.contains("result:        consistent"))
        }
    }

    @Test("on a terminal the rebuild draws one bar redrawn in place")
    func terminalProgress() async throws {
        try await withEngramd { daemon in
            try fill(daemon.engine, "kb", vectors: unitVectors(3000, seed: 2))
            let result = await daemon.run(["index", "rebuild", "-n", "kb", "--interval", "10"], terminal: true)
            #expect(result.status == 0)
            #expect(result.err.contains("\r"))
            #expect(result.err.contains("rebuild kb"))
            #expect(result.err.hasSuffix("\n"))
        }
    }

    @Test("Ctrl-C during an online rebuild cancels the job and exits 130; nothing is lost either way")
    func interruptedRebuild() async throws {
        try await withEngramd { daemon in
            let vectors = unitVectors(4000, seed: 3)
            let ids = try fill(daemon.engine, "big", vectors: vectors)
            let interrupt = InterruptFlag()
            interrupt.request()  // as if Ctrl-C arrived right after the job started
            let result = await daemon.run(["index", "rebuild", "-n", "big", "--m", "20", "--interval", "20"],
                                          interrupt: interrupt)
            // The job is cancelled unless it finished before the cancel arrived (then kept).
            if result.status == 130 {
                #expect(result.err.contains("cancelling rebuild job"))
                #expect(result.err.contains("error: cancelled: "))
                #expect(try daemon.engine.namespace("big").parameters.m == 8)
            } else {
                #expect(result.status == 0)
                #expect(result.err.contains("had finished before the cancel arrived"))
            }
            #expect(try daemon.engine.namespace("big").entryCount == ids.count)
            #expect(daemon.engine.verify().isConsistent)
        }
    }

    @Test("online rebuild while a writer and a searcher run: nothing lost, results stay correct, search keeps answering")
    func rebuildUnderLoad() async throws {
        try await withEngramd { daemon in
            let initial = unitVectors(3000, seed: 4)
            let initialIDs = try fill(daemon.engine, "live", vectors: initial)
            let extra = unitVectors(400, seed: 5)
            let client = MemoryClient(socketPath: daemon.socketPath)
            let rebuilding = AtomicFlag()

            // Writer: adds entries one by one through the socket until it has written all of
            // them, at least some of them while the rebuild runs.
            let writer = Task { () -> [UInt64] in
                var ids: [UInt64] = []
                for (index, vector) in extra.enumerated() {
                    let outcome = try await client.remember(EngramAPI.RememberRequest(text: "written live \(index)", vector: vector),
                                                            in: "live")
                    ids.append(outcome.entry.id)
                }
                return ids
            }
            // Searcher: queries by initial entries' own vectors until the rebuild ended;
            // counts answers, correct top-1 hits and errors.
            let searcher = Task { () -> (answered: Int, correct: Int, failed: Int) in
                var answered = 0, correct = 0, failed = 0, index = 0
                repeat {
                    let target = index % initial.count
                    do {
                        let hits = try await client.search(in: "live", SearchRequest(vector: initial[target], k: 1))
                        answered += 1
                        if hits.first?.entry.id == initialIDs[target] { correct += 1 }
                    } catch {
                        failed += 1
                    }
                    index += 7
                } while rebuilding.value || answered < 20
                return (answered, correct, failed)
            }
            rebuilding.set(true)
            let rebuild = await daemon.run(["index", "rebuild", "-n", "live", "--m", "12", "--interval", "20"])
            rebuilding.set(false)
            let written = try await writer.value
            let searches = await searcher.value

            #expect(rebuild.status == 0, "\(rebuild.err)")
            #expect(searches.failed == 0)
            #expect(searches.answered >= 20)
            // HNSW is approximate: a self-query finds itself first nearly always.
            #expect(Double(searches.correct) >= 0.98 * Double(searches.answered))

            // Nothing lost: every entry, old and new, is stored and found by its own vector.
            #expect(try daemon.engine.namespace("live").entryCount == initial.count + extra.count)
            var found = 0
            for (vector, id) in zip(initial + extra, initialIDs + written) {
                #expect(try daemon.engine.get(namespace: "live", id: id).id == id)
                let hits = try daemon.engine.search(namespace: "live", SearchRequest(vector: vector, k: 1))
                if hits.first?.entry.id == id { found += 1 }
            }
            #expect(Double(found) >= 0.98 * Double(initial.count + extra.count))
            #expect(try daemon.engine.namespace("live").parameters.m == 12)
            #expect(daemon.engine.verify().isConsistent)
        }
    }

    @Test("backup online: a new directory that verifies offline with the same entries; an existing DEST is refused")
    func onlineBackup() async throws {
        try await withEngramd { daemon in
            try fill(daemon.engine, "kb", vectors: unitVectors(50, seed: 6))
            let destination = "\(daemon.directory)/backups/nightly"  // the default backup directory
            let backup = await daemon.run(["backup", destination])
            #expect(backup.status == 0, "\(backup.err)")
            #expect(backup.out.hasPrefix("backed up to \(destination): "))
            let verify = await runCLI(["verify", "--data", destination])
            #expect(verify.status == 0)
            #expect(verify.out.contains("entries:       50"))
            let again = await daemon.run(["backup", destination])
            #expect(again.status != 0)
            #expect(again.err.hasPrefix("error: conflict: "))
            let elsewhere = await daemon.run(["backup", "\(daemon.directory)/outside"])
            #expect(elsewhere.status == 6)
            #expect(elsewhere.err.hasPrefix("error: invalid_argument: "))
            #expect(!FileManager.default.fileExists(atPath: "\(daemon.directory)/outside"))
            // The daemon's own store is locked against offline commands.
            let locked = await runCLI(["verify", "--data", "\(daemon.directory)/store"])
            #expect(locked.status == 4)
            #expect(locked.err.contains("without --data"))
        }
    }

    @Test("compact --data: a hard-forgotten text is gone from the file, the store shrinks and verifies")
    func compact() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try makeOfflineStore(in: directory, entries: 300, seed: 11)
        let secret = "quokka-91b2-secret"
        do {
            let store = try MemoryStore(path: path)
            let id = try store.insert(MemoryDraft(text: "\(secret) is the password"), vector: unitVectors(1, seed: 99)[0],
                                      namespace: "kb", context: AuditContext(actor: "test")).entry.id
            try store.delete(namespace: "kb", id: id, hard: true, context: AuditContext(actor: "test"))
        }
        let file = "\(path)/data.mdb"
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).range(of: Data(secret.utf8)) != nil)
        let compacted = await runCLI(["compact", "--data", path, "--json"])
        #expect(compacted.status == 0, "\(compacted.err)")
        let report = try JSONSerialization.jsonObject(with: Data(compacted.out.utf8)) as? [String: Any]
        #expect((report?["bytes_after"] as? Int ?? .max) <= (report?["bytes_before"] as? Int ?? 0))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).range(of: Data(secret.utf8)) == nil)
        let verify = await runCLI(["verify", "--data", path, "--json"])
        #expect(verify.status == 0, "\(verify.out)")
        #expect(verify.out.contains(#""entries":300"#))
        #expect(!FileManager.default.fileExists(atPath: "\(path)/compact.tmp"))
    }

    @Test("a damaged record: export skips it and exits 7, salvage copies the rest, the engine still starts")
    func damagedRecord() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try makeOfflineStore(in: directory, entries: 200, seed: 12)
        // "fact 117" is the text of one entry (and of its created event): damage every copy.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(path)/data.mdb")))
        var start = 0
        while let range = bytes[start...].firstRange(of: Array("\"fact 117\"".utf8)) {
            bytes[range.lowerBound + 3] ^= 0x01
            start = range.upperBound
        }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(path)/data.mdb"))

        let export = await runCLI(["export", "--data", path])
        #expect(export.status == 7, "\(export.err)")
        #expect(export.out.split(separator: "\n").count == 1 + 199)
        #expect(export.err.contains("skipped a damaged record"))

        let salvage = await runCLI(["salvage", "--data", path, "--to", "\(directory)/salvaged"])
        #expect(salvage.status == 7, "\(salvage.err)")
        #expect(salvage.out.contains("kb: copied 199 entries, left 1 damaged record"))
        let verify = await runCLI(["verify", "--data", "\(directory)/salvaged"])
        #expect(verify.status == 0, "\(verify.out)")

        // The daemon's engine opens the damaged store and lists around the record.
        let engine = try MemoryEngine(store: try MemoryStore(path: path), embedder: WordHashEmbedder(), logger: makeTestLogger())
        try engine.warmUp()
        let page = try engine.list(namespace: "kb", limit: 1000)
        #expect(page.entries.count == 199 && page.damaged?.count == 1)
    }

    @Test("a zeroed page: verify --data reports it (exit 7) instead of aborting in LMDB; salvage reads around it")
    func zeroedPage() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try makeOfflineStore(in: directory, entries: 600, seed: 13)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(path)/data.mdb")))
        while let hit = bytes.firstRange(of: Array("\"fact 450\"".utf8)) {
            let page = hit.lowerBound / 4096
            for index in (page * 4096)..<((page + 1) * 4096) { bytes[index] = 0 }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(path)/data.mdb"))

        let verify = await runCLI(["verify", "--data", path])
        #expect(verify.status == 7, "\(verify.err)")
        #expect(verify.out.contains("zeroed or overwritten"), "\(verify.out)")
        #expect(verify.out.contains("engram salvage"))

        let salvage = await runCLI(["salvage", "--data", path, "--to", "\(directory)/salvaged", "--json"])
        #expect(salvage.status == 7, "\(salvage.err)")
        let report = try JSONSerialization.jsonObject(with: Data(salvage.out.utf8)) as? [String: Any]
        let copied = (report?["namespaces"] as? [[String: Any]])?.compactMap { $0["copied"] as? Int }.reduce(0, +) ?? 0
        #expect(copied > 500 && copied < 600, "\(salvage.out)")
        #expect(await runCLI(["verify", "--data", "\(directory)/salvaged"]).status == 0)
    }

    @Test("offline: rebuild, verify, backup and export on a store no daemon holds; problems exit 7")
    func offline() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try makeOfflineStore(in: directory, entries: 300, seed: 7)
        let rebuild = await runCLI(["index", "rebuild", "--data", path, "--m", "10"])
        #expect(rebuild.status == 0, "\(rebuild.err)")
        #expect(rebuild.rows.first?[0...1] == ["kb", "300"])
        #expect(rebuild.err.contains("rebuild kb"))

        let verify = await runCLI(["verify", "--data", path, "--json"])
        #expect(verify.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(verify.out.utf8)) as? [String: Any]
        #expect(report?["consistent"] as? Bool == true)
        #expect(report?["entries"] as? Int == 300)

        let backup = await runCLI(["backup", "\(directory)/copy", "--data", path])
        #expect(backup.status == 0, "\(backup.err)")
        #expect(await runCLI(["verify", "--data", "\(directory)/copy"]).status == 0)

        let export = await runCLI(["export", "--data", path, "--audit"])
        #expect(export.status == 0)
        let lines = export.out.split(separator: "\n")
        #expect(lines.count == 1 + 300 + 300)  // config, entries, one created event each
        #expect(lines.first?.hasPrefix(#"{"namespace_config":"#) == true)
        #expect(lines.last?.hasPrefix(#"{"audit_event":"#) == true)
        #expect(export.err.contains("exported 300 entries from 1 namespace and 300 audit events"))

        // Ctrl-C before the first page: the offline rebuild stops, exits 130, changes nothing.
        let interrupt = InterruptFlag()
        interrupt.request()
        let cancelled = await runCLI(["index", "rebuild", "--data", path, "--m", "24"], interrupt: interrupt)
        #expect(cancelled.status == 130)
        #expect(cancelled.err.contains("error: cancelled: "))
        let after = await runCLI(["export", "--data", path])
        #expect(after.out.contains(#""m":10"#))
        #expect(await runCLI(["verify", "--data", path]).status == 0)

        let missing = await runCLI(["verify", "--data", "\(directory)/nothing-here"])
        #expect(missing.status == 3)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/nothing-here"))

        // A damaged store: truncate the data file's tail → verify (or open) reports problems.
        let dataFile = "\(directory)/copy/data.mdb"
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dataFile))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size / 2)
        try handle.close()
        let damaged = await runCLI(["verify", "--data", "\(directory)/copy"])
        #expect(damaged.status != 0)
        #expect(damaged.err.hasPrefix("error: "))
    }

    @Test("offline: a damaged graph is reported by verify (exit 7) and repaired by index rebuild --data")
    func repairDamagedGraph() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try makeOfflineStore(in: directory, entries: 200, seed: 9)
        // Bit rot inside the graph state record, through LMDB itself: a normal open now fails.
        do {
            let env = try Environment(path: path)
            let state = try env.openDatabase(named: "graph_state", create: false)
            try env.write { txn in
                let first = try #require(try txn.first(in: state))
                var value = first.value
                value[0] ^= 0x01
                try txn.put(value, forKey: first.key, in: state)
            }
        }
        let damaged = await runCLI(["verify", "--data", path])
        #expect(damaged.status == 7, "\(damaged.err)")
        #expect(damaged.out.contains("cannot load the indexes"))
        let rebuild = await runCLI(["index", "rebuild", "--data", path])
        #expect(rebuild.status == 0, "\(rebuild.err)")
        #expect(rebuild.rows.first?[0...1] == ["kb", "200"])
        let repaired = await runCLI(["verify", "--data", path])
        #expect(repaired.status == 0, "\(repaired.out) \(repaired.err)")
    }

    @Test("export then import into another daemon: every field kept, re-import idempotent, bad lines reported by number")
    func exportImport() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/kb.jsonl"
        var exported: [MemoryEntry] = []
        try await withEngramd { source in
            try fill(source.engine, "kb", vectors: unitVectors(1200, seed: 8),
                     lexical: LexicalOptions(stemming: .none, k1: 1.1), search: SearchDefaults(mode: .lexical, candidates: 30))
            _ = try source.engine.edit(namespace: "kb", id: 5, EditRequest(tags: ["edited"], pinned: true))
            _ = try source.engine.edit(namespace: "kb", id: 8, EditRequest(
                occurredAt: Date(timeIntervalSince1970: 1_683_504_000), validFrom: Date(timeIntervalSince1970: 1_683_504_000),
                validTo: Date(timeIntervalSince1970: 1_683_590_400), thread: "session-3", position: -4))
            _ = try source.engine.feedback(namespace: "kb", id: 6, .useful)
            _ = try source.engine.forget(namespace: "kb", id: 7)
            let export = await source.run(["export", "--output", file, "--audit", "--page-size", "250"])
            #expect(export.status == 0, "\(export.err)")
            #expect(export.out.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: file + ".partial"))
            var after: UInt64 = 0
            while true {
                let page = try source.engine.list(namespace: "kb", after: after, limit: 1000)
                exported += page.entries
                guard let next = page.nextCursor else { break }
                after = next
            }
        }
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        // Config, live entries, the forgotten entry's rejected claim, 1200 created + 2 edits + feedback + delete.
        let expectedLines: Int = 1 + 1199 + 1 + 1204
        #expect(lines.count == expectedLines)

        try await withEngramd { target in
            let first = await target.run(["import", file, "--batch-size", "500"])
            #expect(first.status == 0, "\(first.err)")
            #expect(first.out.contains("imported 1,199 entries: 1,199 created, 0 unchanged; 1 rejected claim of forgotten entries; "
                                       + "1,204 audit events skipped"))
            for entry in exported {
                let imported = try target.engine.get(namespace: "kb", id: entry.id)
                #expect(imported.text == entry.text)
                #expect(imported.tags == entry.tags)
                #expect(imported.pinned == entry.pinned)
                #expect(imported.evidence == entry.evidence)
                #expect(imported.version == entry.version)
                // The API carries times as ISO 8601 with milliseconds (Foundation's formatter
                // truncates, and was seen a few ms off): compare to 10 ms.
                #expect(abs(imported.createdAt.timeIntervalSince(entry.createdAt)) < 0.01)
                #expect(abs(imported.updatedAt.timeIntervalSince(entry.updatedAt)) < 0.01)
                #expect(abs(imported.occurredAt.timeIntervalSince(entry.occurredAt)) < 0.01)
                #expect(imported.validFrom == entry.validFrom && imported.validTo == entry.validTo)
                #expect(imported.thread == entry.thread && imported.position == entry.position)
            }
            #expect(try target.engine.get(namespace: "kb", id: 8).thread == "session-3")
            #expect(try target.engine.namespace("kb").parameters.m == 8)
            #expect(try target.engine.namespace("kb").lexical == LexicalOptions(stemming: .none, k1: 1.1))
            #expect(try target.engine.namespace("kb").search == SearchDefaults(mode: .lexical, candidates: 30))
            #expect(throws: (any Error).self) { try target.engine.get(namespace: "kb", id: 7) }

            let second = await target.run(["import", file, "--json"])
            #expect(second.status == 0)
            let summary = try JSONSerialization.jsonObject(with: Data(second.out.utf8)) as? [String: Any]
            #expect(summary?["created"] as? Int == 0)
            #expect(summary?["unchanged"] as? Int == 1199)
            #expect(summary?["skipped_audit_events"] as? Int == 1204)
            #expect(try target.engine.namespace("kb").entryCount == 1199)

            // Bad lines: not JSON, a missing field, a wrong-dimension vector; the good line is kept.
            let good = String(lines[1]).replacingOccurrences(of: "\"id\":1,", with: "\"id\":90001,")
            #expect(good != String(lines[1]))
            let badVector = String(lines[2]).replacingOccurrences(of: "\"id\":2,", with: "\"id\":90002,")
                .replacingOccurrences(of: #""vector_b64":""#, with: #""vector_b64":"AAAAAA"#)
            let typo = #"{"namespace_config":{"name":"kb","dimension":32,"metric":"cosine","parameters":{"efc":10}}}"#
            let mixed = ["{not json", #"{"namespace":"kb","text":"no id"}"#, good, badVector, typo, ""].joined(separator: "\n")
            let mixedFile = "\(directory)/mixed.jsonl"
            try Data(mixed.utf8).write(to: URL(fileURLWithPath: mixedFile))
            let partial = await target.run(["import", mixedFile])
            #expect(partial.status == 7)
            #expect(partial.err.contains("line 1: not valid JSON"))
            #expect(partial.err.contains("line 2: missing field 'id'"))
            #expect(partial.err.contains("line 4: field 'vector_b64'"))
            #expect(partial.err.contains("line 5: unknown field 'namespace_config.parameters.efc'"))
            #expect(!partial.err.contains("line 3:"))
            #expect(partial.out.contains("1 created"))
            #expect(try target.engine.get(namespace: "kb", id: 90001).text == exported.first?.text)

            let nofile = await target.run(["import", "\(directory)/absent.jsonl"])
            #expect(nofile.status == 6)
        }
    }
}

/// A Bool shared between test tasks.
final class AtomicFlag: Sendable {
    private let state = Mutex<Bool>(false)
    var value: Bool { state.withLock { $0 } }
    func set(_ value: Bool) { state.withLock { $0 = value } }
}

import Synchronization

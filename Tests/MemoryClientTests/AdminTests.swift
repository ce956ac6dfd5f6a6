import Foundation
import EngramAPI
import MemoryClient
import class MemoryStore.MemoryStore
import Testing

/// The operator routes through MemoryClient, against a real engramd on a temporary socket.
@Suite("Operator routes: rebuild jobs, backup, verify, export and import")
struct AdminTests {
    /// Creates namespace `name` (dimension 32) with `count` entries; returns their ids.
    func fill(_ client: MemoryClient, _ name: String, count: Int, m: Int = 8) async throws -> [UInt64] {
        let parameters = HNSWParametersInput(m: m, efConstruction: 40, flatThreshold: 0)
        _ = try await client.createNamespace(name, NamespaceRequest(dimension: 32, parameters: parameters))
        var ids: [UInt64] = []
        for i in 0..<count {
            ids.append(try await client.remember(RememberRequest(text: "fact \(i) about \(name) number \(i * 7)"), in: name).entry.id)
        }
        return ids
    }

    /// Polls the job until it is no longer running.
    func finished(_ client: MemoryClient, _ job: Job) async throws -> Job {
        var job = job
        let deadline = Date().addingTimeInterval(120)
        while job.state == .running && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            job = try await client.job(job.id)
        }
        return job
    }

    @Test("an online rebuild with new parameters keeps every entry findable, and one rebuild runs at a time")
    func rebuild() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath)
            let ids = try await fill(client, "kb", count: 300)
            let started = try await client.startRebuild(namespace: "kb", m: 12, efConstruction: 64)
            #expect(started.kind == "rebuild")
            #expect(started.namespaces == ["kb"])
            // Writes and searches go on during the rebuild.
            let during = try await client.remember(RememberRequest(text: "written during the rebuild"), in: "kb")
            let job = try await finished(client, started)
            #expect(job.state == .succeeded)
            #expect(job.finishedAt != nil)
            #expect(job.results.count == 1)
            #expect(job.results.first?.m == 12)
            #expect(job.results.first?.efConstruction == 64)
            #expect(try await client.namespace("kb").parameters.m == 12)
            #expect(try await client.namespace("kb").entryCount == ids.count + 1)
            let hits = try await client.search(in: "kb", SearchRequest(text: "written during the rebuild", k: 1))
            #expect(hits.first?.entry.id == during.entry.id)
            #expect(try await client.verify().consistent)

            // Bad input is refused before a job starts.
            await expectCode("namespace_not_found") { _ = try await client.startRebuild(namespace: "nope") }
            await expectCode("invalid_argument") { _ = try await client.startRebuild(namespace: "kb", m: 1) }
            await expectCode("not_found") { _ = try await client.job("999") }
            // Every namespace when none is named.
            _ = try await fill(client, "other", count: 20)
            let all = try await finished(client, try await client.startRebuild())
            #expect(all.state == .succeeded)
            #expect(Set(all.results.map(\.namespace)) == ["kb", "other"])
        }
    }

    @Test("a cancelled rebuild stops and changes nothing; a second rebuild while one runs is a conflict")
    func cancel() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath)
            _ = try await fill(client, "big", count: 4200)
            let before = try await client.namespace("big")
            let job = try await client.startRebuild(namespace: "big", m: 20)
            var conflict = false
            do throws(MemoryClientError) {
                _ = try await client.startRebuild(namespace: "big")
            } catch {
                conflict = error.code == "conflict"
            }
            let cancelled = try await client.cancelJob(job.id)
            #expect(cancelled.cancelRequested || cancelled.state != .running)
            let final = try await finished(client, cancelled)
            if final.state == .cancelled {
                #expect(conflict)
                #expect(final.error == nil)
                #expect(try await client.namespace("big").parameters == before.parameters)
            } else {
                // The rebuild finished before the cancel arrived: then it must have succeeded.
                #expect(final.state == .succeeded)
            }
            #expect(try await client.verify().consistent)
        }
    }

    @Test("backup makes a store that opens and verifies; export then import into it is idempotent")
    func backupExportImport() async throws {
        try await withEngramd { socketPath in
            let client = MemoryClient(socketPath: socketPath)
            let ids = try await fill(client, "kb", count: 25)
            _ = try await client.edit(ids[3], in: "kb", EditRequest(tags: ["edited"]))
            _ = try await client.forget(ids[4], in: "kb")

            // Backups go into the configured directory, `backups` beside the store by default.
            let directory = URL(fileURLWithPath: socketPath).deletingLastPathComponent().path + "/backups"
            let backup = try await client.backup(to: "copy")
            #expect(backup.path == directory + "/copy")
            #expect(backup.bytes > 0)
            await expectCode("conflict") { _ = try await client.backup(to: directory + "/copy") }
            await expectCode("invalid_argument") { _ = try await client.backup(to: "relative/path") }
            let copy = try MemoryStore(path: directory + "/copy")
            #expect(copy.verify().problems == [])
            #expect(copy.namespace("kb")?.entryCount == 24)

            // Export every page.
            var exported: [ExportedEntry] = []
            var after: UInt64?
            repeat {
                let page = try await client.exportPage(namespace: "kb", after: after, limit: 10)
                exported += page.entries
                after = page.nextCursor
            } while after != nil
            #expect(exported.map(\.id) == ids.filter { $0 != ids[4] })
            #expect(exported.first { $0.id == ids[3] }?.tags == ["edited"])
            #expect(exported.allSatisfy { $0.vector.count == 32 })
            // One JSON line round-trips exactly.
            let line = try JSONEncoder().encode(exported[0])
            #expect(String(decoding: line, as: UTF8.self).contains("\"vector_b64\""))

            // Into the same daemon, same namespace: all unchanged (idempotent).
            let again = try await client.importEntries(exported, into: "kb")
            #expect(again.results.allSatisfy { $0.status == .unchanged }, "\(again.results.first { $0.status != .unchanged }.map { "\($0)" } ?? "")")
            #expect(again.sequence == nil)
            // Into a new namespace: the ids belong to "kb", so every one is a conflict.
            let clash = try await client.importEntries(Array(exported.prefix(3)), into: "elsewhere")
            #expect(clash.results.allSatisfy { $0.status == .conflict })
            // A bad item is reported and the good ones are kept.
            var bad = exported[0]
            bad.id = 1_000_000
            bad.text = ""
            var good = exported[1]
            good.id = 1_000_001
            good.text = "a new fact under a chosen id"
            let mixed = try await client.importEntries([bad, good], into: "kb")
            #expect(mixed.results.map(\.status) == [.invalid, .created])
            #expect(mixed.sequence != nil)
            let stored = try await client.get(1_000_001, in: "kb")
            #expect(stored.text == "a new fact under a chosen id")
            #expect(abs(stored.createdAt.timeIntervalSince(good.createdAt)) < 0.002)
            // New entries never reuse an imported id.
            let next = try await client.remember(RememberRequest(text: "after the import"), in: "kb")
            #expect(next.entry.id > 1_000_001)
            #expect(try await client.verify().consistent)
        }
    }

    func expectCode(_ code: String, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected error \(code)", sourceLocation: sourceLocation)
        } catch let error as MemoryClientError {
            #expect(error.code == code, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a MemoryClientError, got \(error)", sourceLocation: sourceLocation)
        }
    }
}

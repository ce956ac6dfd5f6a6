import Foundation
import LMDB
@testable import MemoryStore
import Testing

/// One damaged record costs one entry: reads, listings, exports, rebuilds and salvage skip it
/// and say so, instead of failing whole or stopping silently.
@Suite struct DamagedRecordTests {
    /// A store of 81 entries in "ns" whose 41st (returned) has a flipped bit in every copy
    /// of its text; closed again.
    func makeStoreWithOneDamagedEntry(_ dir: String) throws -> UInt64 {
        let id: UInt64
        do {
            let store = try openStore(dir)
            try fill(store, count: 40)
            id = try store.insert(MemoryDraft(text: "walrus-unique-text"), vector: testVector(4242), namespace: "ns",
                                  context: testContext).entry.id
            try fill(store, count: 40, seed: 3)
        }
        #expect(try damageEveryCopy(of: "walrus-unique-text", in: dataFile(dir)) >= 1)
        return id
    }

    @Test func aDamagedRejectedClaimIsReportedByVerifyAndRefusedByReads() throws {
        try withTemporaryDirectory { dir in
            let id: UInt64
            do {
                let store = try openStore(dir)
                id = try store.insert(MemoryDraft(text: "otter-claim-text"), vector: testVector(7), namespace: "ns",
                                      context: testContext).entry.id
                try store.update(namespace: "ns", id: id, vector: testVector(8), rejecting: .corrected, context: testContext) {
                    $0.text = "a corrected text"
                }
                #expect(try store.rejectedClaims(namespace: "ns", entryID: id).map(\.text) == ["otter-claim-text"])
            }
            // Every copy: the claim, and the audit events that quote the old text.
            #expect(try damageEveryCopy(of: "otter-claim-text", in: dataFile(dir)) >= 1)
            let store = try MemoryStore(path: dir + "/store")
            #expect(store.verify().problems.contains { $0.contains("rejected claim") && $0.contains("checksum") })
            #expect(throws: MemoryStoreError.self) { try store.rejectedClaims(namespace: "ns", entryID: id) }
        }
    }

    @Test func salvageKeepsEveryReadableRejectedClaim() throws {
        try withTemporaryDirectory { dir in
            let id: UInt64, forgotten: UInt64
            do {
                let store = try openStore(dir)
                id = try store.insert(MemoryDraft(text: "the old fact"), vector: testVector(1), namespace: "ns",
                                      context: testContext).entry.id
                try store.update(namespace: "ns", id: id, vector: testVector(2), rejecting: .corrected, context: testContext) {
                    $0.text = "the new fact"
                }
                forgotten = try store.insert(MemoryDraft(text: "a forgotten fact"), vector: testVector(3), namespace: "ns",
                                             context: testContext).entry.id
                try store.delete(namespace: "ns", id: forgotten, rejecting: .forgotten, context: testContext)
            }
            let target = try MemoryStore(path: dir + "/salvaged")
            let reports = try MemoryStore.salvage(from: dir + "/store", into: target, context: testContext)
            #expect(reports.map(\.copied) == [1] && reports.allSatisfy { $0.damaged.isEmpty })
            #expect(try target.orphanedClaims(namespace: "ns").map(\.claim.text) == ["a forgotten fact"])
            #expect(try target.rejectedClaims(namespace: "ns", entryID: forgotten).map(\.cause) == [.forgotten])
            let claims = try target.rejectedClaims(namespace: "ns", entryID: id)
            #expect(claims.map(\.text) == ["the old fact"] && claims.first?.cause == .corrected)
            #expect(try target.nearestRejectedClaim(namespace: "ns", to: testVector(1))?.similarity ?? 0 > 0.999)
            #expect(target.verify().problems == [])
        }
    }

    @Test func aDamagedEntryIsSkippedAndReportedEverywhere() throws {
        try withTemporaryDirectory { dir in
            let damagedID = try makeStoreWithOneDamagedEntry(dir)
            let store = try MemoryStore(path: dir + "/store")

            let page = try store.entries(namespace: "ns", limit: 1000)
            #expect(page.entries.count == 80)
            #expect(page.damaged.map(\.id) == [damagedID])
            // Small pages walk past it too.
            var seen = 0, damaged = 0
            var after: UInt64 = 0
            while true {
                let small = try store.entries(namespace: "ns", after: after, limit: 7)
                seen += small.entries.count
                damaged += small.damaged.count
                guard let next = small.nextCursor else { break }
                after = next
            }
            #expect(seen == 80 && damaged == 1)

            let export = try store.exportPage(namespace: "ns", limit: 1000)
            #expect(export.entries.count == 80 && export.damaged.count == 1)
            #expect(throws: MemoryStoreError.self) { try store.get(namespace: "ns", id: damagedID) }
            #expect(!store.verify().problems.isEmpty)

            let rebuilt = try store.rebuildIndex(namespace: "ns")
            #expect(rebuilt.skipped.map(\.id) == [damagedID])
            #expect(rebuilt.nodes == 80)

            let target = try MemoryStore(path: dir + "/salvaged")
            #expect(throws: MemoryStoreError.self) {  // the store is open here: its lock is held
                try MemoryStore.salvage(from: dir + "/store", into: target, context: AuditContext(actor: "salvage"))
            }
            withExtendedLifetime(store) {}
            _ = target
        }
    }

    @Test func salvageCopiesEveryReadableEntryAroundDamage() throws {
        try withTemporaryDirectory { dir in
            let damagedID = try makeStoreWithOneDamagedEntry(dir)
            let target = try MemoryStore(path: dir + "/salvaged")
            let reports = try MemoryStore.salvage(from: dir + "/store", into: target, context: AuditContext(actor: "salvage"))
            #expect(reports.map(\.copied) == [80])
            #expect(reports.first?.damaged.map(\.id) == [damagedID])
            #expect(target.verify().problems == [])
            #expect(try target.search(namespace: "ns", vector: testVector(0), k: 1).first?.key == 1)
            #expect(try target.get(namespace: "ns", id: 1)?.text == "memory 0-0")
        }
    }

    /// A zeroed page would make LMDB abort; the page walker reports it, and salvage reads
    /// around it.
    @Test func aZeroedPageIsReportedAndSalvagedAround() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try openStore(dir)
                for round in 0..<6 { try fill(store, count: 100, seed: UInt64(round)) }
            }
            #expect(try Environment.checkPageStructure(atPath: dir + "/store").isIntact)
            // Zero every page holding one entry's text (its entry record and its audit event).
            let path = dataFile(dir)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let pageSize = 4096
            var zeroed = 0
            while let hit = bytes.firstRange(of: Array(#""memory 3-50""#.utf8)) {
                let page = hit.lowerBound / pageSize
                for index in (page * pageSize)..<((page + 1) * pageSize) { bytes[index] = 0 }
                zeroed += 1
            }
            #expect(zeroed >= 2)
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            let report = try Environment.checkPageStructure(atPath: dir + "/store")
            #expect(!report.isIntact)
            #expect(report.problems.contains { $0.contains("zeroed or overwritten") }, "\(report.problems)")

            let target = try MemoryStore(path: dir + "/salvaged")
            let reports = try MemoryStore.salvage(from: dir + "/store", into: target, context: AuditContext(actor: "salvage"))
            let copied = reports.reduce(0) { $0 + $1.copied }
            #expect(copied > 400 && copied < 600, "\(copied)")
            #expect(reports.contains { !$0.damaged.isEmpty })
            #expect(target.verify().problems == [])
        }
    }
}

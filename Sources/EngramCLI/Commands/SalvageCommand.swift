import ArgumentParser
import Foundation
import MemoryStore

struct SalvageCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "salvage", abstract: "Copy every readable entry of a damaged store into a new one.",
        discussion: """
            For a store that verify finds damaged (failed checksums, undecodable records, a \
            damaged graph): reads every entry and vector record by record, skips and lists the \
            ones that cannot be read, and writes the rest, with their ids, every field and \
            their vectors, into a new store in --to, building its indexes. The audit history is \
            not copied: each salvaged entry starts a new one (actor 'salvage'). Offline only: no \
            daemon may hold either directory. Exits 7 when records were left behind.
            """)

    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("The damaged store.", valueName: "dir")) var data: String
    @Option(help: ArgumentHelp("A new directory for the salvaged store (must not exist).", valueName: "dir")) var to: String

    func execute(on console: Console) async throws {
        guard !FileManager.default.fileExists(atPath: to) else {
            throw CLIFailure(.invalidInput, code: "invalid_argument", "\(to) exists: salvage writes a new store")
        }
        guard FileManager.default.fileExists(atPath: (data as NSString).appendingPathComponent("data.mdb")) else {
            throw CLIFailure(.notFound, code: "not_found", "no Engram store in \(data) (expected \(data)/data.mdb)")
        }
        let target = try OfflineStore.run(to) { try MemoryStore(path: to) }
        let context = AuditContext(actor: "salvage", reason: "salvaged from \(OfflineStore.absolute(data))")
        let reports = try OfflineStore.run(data) { try MemoryStore.salvage(from: data, into: target, context: context) }
        let summary = SalvageJSON(
            to: to, namespaces: reports.map {
                .init(name: $0.namespace, copied: $0.copied, damaged: $0.damaged.map { $0.problem })
            })
        if output.json {
            console.print(try JSONOutput.line(summary))
        } else {
            for report in reports {
                console.print("\(report.namespace): copied \(ValueFormatting.count(report.copied)) entries, "
                              + "left \(report.damaged.count) damaged record\(report.damaged.count == 1 ? "" : "s")")
                for record in report.damaged { console.print("  damaged: \(record.problem)") }
            }
        }
        let left = reports.reduce(0) { $0 + $1.damaged.count }
        if left > 0 {
            throw CLIFailure(.problemsFound, code: "damaged",
                             "\(left) damaged record\(left == 1 ? " was" : "s were") left behind; the rest is in \(to)")
        }
    }
}

/// `engram salvage --json`.
struct SalvageJSON: Encodable {
    struct Namespace: Encodable {
        var name: String
        var copied: Int
        var damaged: [String]
    }
    var to: String
    var namespaces: [Namespace]
}

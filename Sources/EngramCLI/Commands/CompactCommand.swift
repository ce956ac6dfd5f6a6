import ArgumentParser
import Foundation
import MemoryStore

struct CompactCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact", abstract: "Rewrite a stopped store without its free pages (deleted data included).",
        discussion: """
            LMDB never overwrites a page in place: the pages that held deleted records stay in \
            data.mdb, with their bytes, until a later write reuses them. compact writes a copy \
            holding only the live pages and swaps it in, so nothing deleted is left in the file \
            and the file shrinks. Offline only (--data, no daemon may hold the store): a running \
            engramd overwrites its free pages by itself after every hard forget.
            """)

    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("The store to compact (no daemon may hold it).", valueName: "dir"))
    var data: String

    func execute(on console: Console) async throws {
        _ = try OfflineStore.open(data)  // a store must be there (and not held): clear errors first
        let started = Date()
        let result = try OfflineStore.run(data) { try MemoryStore.compact(path: data) }
        let summary = CompactJSON(path: data, bytes_before: result.bytesBefore, bytes_after: result.bytesAfter,
                                  seconds: Date().timeIntervalSince(started))
        if output.json { return console.print(try JSONOutput.line(summary)) }
        console.print("compacted \(data): \(ValueFormatting.bytes(result.bytesBefore)) → "
                      + "\(ValueFormatting.bytes(result.bytesAfter)) in \(ValueFormatting.duration(summary.seconds))")
    }
}

/// `engram compact --json`.
struct CompactJSON: Encodable {
    var path: String
    var bytes_before: Int
    var bytes_after: Int
    var seconds: Double
}

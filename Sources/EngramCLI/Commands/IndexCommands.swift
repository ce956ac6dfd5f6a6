import ArgumentParser
import Foundation
import EngineDocuments
import EngramAPI
import HNSW
import MemoryClient
import MemoryStore

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Operate the HNSW indexes.", subcommands: [IndexRebuildCommand.self])
}

struct IndexRebuildCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Rebuild a namespace's HNSW graph (online, or offline with --data).",
        discussion: """
            Online (default), engramd builds a new graph from the stored vectors in the background \
            while searches and writes go on, applies the writes made meanwhile, then switches to it \
            atomically and persists it. The command polls the job every --interval ms and shows \
            progress on stderr. Ctrl-C cancels the job (the old graph stays in use) and exits with 130.

            Offline (--data DIR, no daemon running on DIR) does the same in this process.

            Without --namespace every namespace is rebuilt, one after another. --m and \
            --ef-construction change the graph's parameters (kept for later inserts); --quantization \
            int8, int4 or none switches what searches traverse (codes are trained afresh on the stored \
            vectors either way).
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Only this namespace (default: all).", valueName: "name"))
    var namespace: String?
    @Option(name: .customLong("m"), help: ArgumentHelp("New HNSW M (links per node).", valueName: "M"))
    var m: Int?
    @Option(help: ArgumentHelp("New efConstruction.", valueName: "n")) var efConstruction: Int?
    @Option(help: ArgumentHelp("New quantization: int8 or int4 (codes re-ranked on floats) or none.",
                               valueName: "int8|int4|none"))
    var quantization: EngramAPI.VectorQuantization?
    @Option(help: ArgumentHelp("Rebuild the store in this directory directly (no daemon may hold it).",
                               valueName: "dir"))
    var data: String?
    @Option(help: ArgumentHelp("Job poll interval.", valueName: "ms")) var interval: Int = 200

    func validate() throws {
        if let m, m < 2 { throw ValidationError("--m must be at least 2") }
        if let efConstruction, efConstruction < 1 { throw ValidationError("--ef-construction must be at least 1") }
        guard interval >= 10 else { throw ValidationError("--interval must be at least 10 ms") }
    }

    func execute(on console: Console) async throws {
        console.interrupt.arm()
        let results: [RebuildSummary]
        if let data {
            results = try OfflineRebuild(path: data, namespace: namespace, m: m, efConstruction: efConstruction,
                                         quantization: quantization?.engineValue)
                .run(console: console)
        } else {
            results = try await OnlineRebuild(client: connection.client(console), namespace: namespace, m: m,
                                              efConstruction: efConstruction, quantization: quantization,
                                              interval: interval).run(console: console)
        }
        if output.json { return console.print(try JSONOutput.line(RebuildResultsJSON(results: results))) }
        var table = TableRenderer([.init("NAMESPACE"), .init("NODES", .right), .init("CAUGHT_UP", .right),
                                   .init("M", .right), .init("EF_C", .right), .init("QUANT"), .init("TIME", .right)])
        for result in results {
            table.append([result.namespace, ValueFormatting.count(result.nodes), ValueFormatting.count(result.caughtUp),
                          "\(result.m)", "\(result.efConstruction)", result.quantization,
                          ValueFormatting.duration(result.seconds)])
        }
        console.out.write(table.render())
    }
}

/// One rebuilt namespace, from the daemon's job or from the local store.
struct RebuildSummary: Sendable, Equatable, Encodable {
    var namespace: String
    var nodes: Int
    var caughtUp: Int
    var m: Int
    var efConstruction: Int
    /// `int8`, `int4` or `none`.
    var quantization: String
    var seconds: Double

    enum CodingKeys: String, CodingKey {
        case namespace, nodes, m, seconds, quantization
        case caughtUp = "caught_up"
        case efConstruction = "ef_construction"
    }
}

struct RebuildResultsJSON: Encodable {
    var results: [RebuildSummary]
}

/// The offline rebuild: opens the store (refused while a daemon holds it) and rebuilds each
/// namespace in turn with `MemoryStore.rebuildIndex`, polling the interrupt flag between pages.
struct OfflineRebuild {
    var path: String
    var namespace: String?
    var m: Int?
    var efConstruction: Int?
    var quantization: HNSW.VectorQuantization?

    func run(console: Console) throws(CLIFailure) -> [RebuildSummary] {
        // The old graphs are not needed (the rebuild reads entries and vectors), and skipping
        // them lets a rebuild repair a store whose graph records are damaged.
        let store = try OfflineStore.open(path, loadIndexes: false)
        let names: [String]
        if let namespace {
            guard store.namespaceConfig(namespace) != nil else {
                throw CLIFailure(.notFound, code: "namespace_not_found", "namespace \"\(namespace)\" does not exist in \(path)")
            }
            names = [namespace]
        } else {
            names = store.namespaces().map(\.config.name)
        }
        let progress = ProgressReporter(console: console)
        defer { progress.finish() }
        var results: [RebuildSummary] = []
        for name in names {
            guard var parameters = store.namespaceConfig(name)?.parameters else { continue }
            if let m { parameters.m = m }
            if let efConstruction { parameters.efConstruction = efConstruction }
            if let quantization { parameters.quantization = quantization }
            let chosen = parameters
            let result = try OfflineStore.run(path) {
                try chosen.validate()
                return try store.rebuildIndex(
                    namespace: name, parameters: chosen,
                    progress: { step in
                        progress.update(label: "rebuild \(name)", phase: step.phase.rawValue, done: step.done,
                                        total: step.total)
                    },
                    isCancelled: { console.interrupt.isRequested })
            }
            results.append(RebuildSummary(namespace: result.namespace, nodes: result.nodes, caughtUp: result.caughtUp,
                                          m: result.parameters.m, efConstruction: result.parameters.efConstruction,
                                          quantization: result.parameters.quantization.rawValue, seconds: result.seconds))
        }
        return results
    }
}

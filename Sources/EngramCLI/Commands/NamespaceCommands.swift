import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

extension Metric: ExpressibleByArgument {}
extension VectorQuantization: ExpressibleByArgument {}
extension Stemming: ExpressibleByArgument {}
extension StopWords: ExpressibleByArgument {}

struct NamespaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace", abstract: "Create, list, inspect and delete namespaces.",
        subcommands: [NamespaceCreateCommand.self, NamespaceListCommand.self, NamespaceStatsCommand.self,
                      NamespaceDeleteCommand.self])
}

struct NamespaceCreateCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a namespace (idempotent; a different existing configuration is a conflict).",
        discussion: "A write to an unknown namespace creates it with the defaults, unless the daemon is configured otherwise.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "1–128 characters of A–Z, a–z, 0–9, '.', '_', '-'.") var name: String
    @Option(help: ArgumentHelp("Vector dimension (default: the daemon's embedder's).", valueName: "n"))
    var dimension: Int?
    @Option(help: ArgumentHelp("cosine or l2.", valueName: "metric")) var metric: Metric = .cosine
    @Option(name: .customLong("m"), help: ArgumentHelp("HNSW links per node (layer 0 keeps 2·M).", valueName: "M"))
    var m: Int?
    @Option(help: ArgumentHelp("HNSW candidate list size while inserting.", valueName: "n")) var efConstruction: Int?
    @Option(help: ArgumentHelp("Default candidate list size for searches.", valueName: "n")) var efSearch: Int?
    @Option(help: ArgumentHelp("What searches traverse: 8-bit or 4-bit codes re-ranked on floats, or floats (default int8).",
                               valueName: "int8|int4|none"))
    var quantization: VectorQuantization?
    @Option(help: ArgumentHelp("English stemming in the lexical index (default english).", valueName: "english|none"))
    var stemming: Stemming?
    @Option(help: ArgumentHelp("Stop words the lexical index leaves out (default english).", valueName: "english|none"))
    var stopWords: StopWords?
    @Option(help: ArgumentHelp("BM25 term-frequency saturation, 0…3 (default 0.9).", valueName: "k1")) var k1: Double?
    @Option(help: ArgumentHelp("BM25 length normalisation, 0…1 (default 0.4).", valueName: "b")) var b: Double?
    @Option(help: ArgumentHelp("Mode of a text search that names none (default hybrid).", valueName: "vector|lexical|hybrid"))
    var searchMode: SearchMode?
    @Option(help: ArgumentHelp("How hybrid search fuses its rankings (default blend).", valueName: "blend|rrf"))
    var fusion: FusionMethod?
    @Option(help: ArgumentHelp("What learn does with a fact that may contradict a live entry (default: the daemon's, pending).",
                               valueName: "pending|link|store"))
    var conflictPolicy: ConflictPolicy?
    @Option(help: ArgumentHelp("Lower end of the conflict band, cosine 0…1 (default: the daemon's).", valueName: "s"))
    var conflictSimilarity: Double?
    @Option(help: ArgumentHelp("learn reinforces an entry at least this similar, 0…1 (default: the daemon's).", valueName: "s"))
    var reinforceSimilarity: Double?
    @Option(help: ArgumentHelp("learn refuses a fact at least this similar to a rejected claim, 0…1 (default: the daemon's).",
                               valueName: "s"))
    var rejectedSimilarity: Double?

    func validate() throws {
        for (name, value) in [("--conflict-similarity", conflictSimilarity), ("--reinforce-similarity", reinforceSimilarity),
                              ("--rejected-similarity", rejectedSimilarity)] {
            if let value, !(value.isFinite && (0...1).contains(value)) { throw ValidationError("\(name) must be in 0…1") }
        }
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be at least 1") }
        if let m, m < 2 { throw ValidationError("--m must be at least 2") }
        if let efConstruction, efConstruction < 1 { throw ValidationError("--ef-construction must be at least 1") }
        if let efSearch, efSearch < 1 { throw ValidationError("--ef-search must be at least 1") }
        if let k1, !(0...3).contains(k1) { throw ValidationError("--k1 must be in 0…3") }
        if let b, !(0...1).contains(b) { throw ValidationError("--b must be in 0…1") }
    }

    func execute(on console: Console) async throws {
        let parameters = HNSWParametersInput(m: m, efConstruction: efConstruction, efSearch: efSearch, quantization: quantization)
        var lexical = LexicalOptions()
        if let stemming { lexical.stemming = stemming }
        if let stopWords { lexical.stopWords = stopWords }
        if let k1 { lexical.k1 = k1 }
        if let b { lexical.b = b }
        var search = SearchDefaults()
        if let searchMode { search.mode = searchMode }
        if let fusion { search.fusion = fusion }
        let learning = LearningPolicy(conflictPolicy: conflictPolicy, reinforceSimilarity: reinforceSimilarity,
                                      conflictSimilarity: conflictSimilarity, rejectedSimilarity: rejectedSimilarity)
        let request = NamespaceRequest(dimension: dimension, metric: metric, parameters: parameters,
                                       lexical: lexical, search: search, learning: learning.isEmpty ? nil : learning)
        let client = connection.client(console)
        let stats = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.createNamespace(name, request)
        }
        if output.json { return console.print(try JSONOutput.line(stats)) }
        console.print("namespace \(stats.name): dimension \(stats.dimension), \(stats.metric.rawValue), "
                      + "M \(stats.parameters.m), ef_construction \(stats.parameters.efConstruction), "
                      + "quantization \(stats.parameters.quantization.rawValue), "
                      + "text search \(stats.search.mode.rawValue), \(ValueFormatting.count(stats.entryCount)) entries")
    }
}

struct NamespaceListCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the namespaces.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let namespaces = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.namespaces()
        }
        if output.json { return console.print(try JSONOutput.line(NamespaceList(namespaces: namespaces))) }
        console.out.write(EntryFormatting.namespaceList(namespaces, now: console.now(), wide: output.wide))
    }
}

struct NamespaceStatsCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "One namespace's configuration and figures.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The namespace.") var name: String

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let stats = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.namespace(name)
        }
        if output.json { return console.print(try JSONOutput.line(stats)) }
        console.out.write(EntryFormatting.namespaceDetail(stats, now: console.now()))
    }
}

struct NamespaceDeleteCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a namespace and every entry in it.",
        discussion: "Refused without --yes. The audit log records a 'deleted' event per entry.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The namespace.") var name: String
    @Flag(name: [.long, .customLong("confirm"), .customShort("y")], help: "Really delete it.") var yes = false
    @Option(help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text")) var reason: String?

    func validate() throws {
        guard yes else {
            throw ValidationError("deleting namespace \(name) removes every entry in it; add --yes to confirm")
        }
    }

    func execute(on console: Console) async throws {
        let client = connection.client(console)
        let deletion = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.deleteNamespace(name, confirm: true, reason: reason)
        }
        if output.json { return console.print(try JSONOutput.line(deletion)) }
        console.print("deleted namespace \(deletion.deleted)" + (deletion.sequence.map { " (sequence \($0))" } ?? ""))
    }
}

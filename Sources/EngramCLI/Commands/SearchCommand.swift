// This file imports MemoryEngine without HNSW/MemoryStore: both have a `SearchHit` of their own,
// which would make the name ambiguous here (see MemoryClient+Search.swift).
import ArgumentParser
import Foundation
import MemoryClient
import EngramAPI

struct SearchCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find the entries that best match a text or a vector.",
        discussion: """
            A text query runs in the namespace's default mode (hybrid unless it was created otherwise) \
            or in --mode: vector (embedding similarity), lexical (BM25 over the words) or hybrid (both, \
            fused). A vector query is always a vector search. Results are ordered by the mode's score, \
            or by the ranking score with --rank (relevance blended with confidence and recency, \
            weights from the daemon's configuration). Every filter given must hold.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var scope: NamespaceOption

    @Argument(help: "The query text (embedded by the daemon). Omit it with --vector-file.")
    var query: String?
    @Option(help: ArgumentHelp("Query by this vector instead: a JSON array or raw little-endian float32.",
                               valueName: "file"))
    var vectorFile: String?
    @Option(help: ArgumentHelp("How --vector-file is encoded.", valueName: "auto|json|f32"))
    var vectorFormat: VectorFile.Format = .auto
    @Option(name: .short, help: ArgumentHelp("How many results.", valueName: "k")) var k: Int = 10
    @Option(help: ArgumentHelp("Candidate list size (default: the namespace's ef_search).", valueName: "ef"))
    var ef: Int?
    @Option(name: .customLong("tag"), help: ArgumentHelp("Only entries with at least one of these tags (repeatable).",
                                                         valueName: "tag"))
    var tagsAny: [String] = []
    @Option(name: .customLong("all-tags"), help: ArgumentHelp("Only entries with all these tags (repeatable).",
                                                              valueName: "tag"))
    var tagsAll: [String] = []
    @Option(name: .customLong("source"), help: ArgumentHelp("Only entries from this source (repeatable).",
                                                            valueName: "source"))
    var sources: [String] = []
    @Option(help: ArgumentHelp("Only entries with at least this confidence.", valueName: "0…1"))
    var minConfidence: Double?
    @Flag(inversion: .prefixedNo, help: "Only pinned (--pinned) or only unpinned (--no-pinned) entries.")
    var pinned: Bool?
    @Option(help: ArgumentHelp("Any further filter in the API's JSON form; the flags above are added to it.",
                               valueName: "json"))
    var filter: String?
    @Flag(help: "Rank by relevance, confidence and recency instead of relevance alone.")
    var rank = false
    @Option(help: ArgumentHelp("Retrieval of a text query (default: the namespace's).", valueName: "vector|lexical|hybrid"))
    var mode: SearchMode?
    @Option(help: ArgumentHelp("How hybrid mode fuses its rankings (default: the namespace's).", valueName: "blend|rrf"))
    var fusion: FusionMethod?
    @Option(help: ArgumentHelp("Also show this many entries before and after each hit in its thread (0…20).", valueName: "n"))
    var context: Int?

    func validate() throws {
        if (query == nil) == (vectorFile == nil) { throw ValidationError("give a query text or --vector-file, not both") }
        guard k >= 1 else { throw ValidationError("-k must be at least 1") }
        if let ef, ef < 1 { throw ValidationError("--ef must be at least 1") }
        if let filter { _ = try ArgumentParsing.filter(filter) }
        if vectorFile != nil, let mode, mode != .vector { throw ValidationError("--mode \(mode.rawValue) needs a query text") }
        if let context, !(0...20).contains(context) { throw ValidationError("--context must be in 0…20") }
    }

    func execute(on console: Console) async throws {
        var searchFilter = try filter.map(ArgumentParsing.filter) ?? SearchFilter()
        if !tagsAny.isEmpty { searchFilter.tagsAny = tagsAny }
        if !tagsAll.isEmpty { searchFilter.tagsAll = tagsAll }
        if !sources.isEmpty { searchFilter.sources = sources }
        if let minConfidence { searchFilter.minConfidence = minConfidence }
        if let pinned { searchFilter.pinned = pinned }
        let request = SearchRequest(
            text: try query.map(ArgumentParsing.text),
            vector: try vectorFile.map { path throws(CLIFailure) in try VectorFile.read(path: path, format: vectorFormat) },
            k: k, ef: ef, filter: searchFilter.isEmpty ? nil : searchFilter, rank: rank ? RankOptions() : nil,
            mode: mode, fusion: fusion.map { FusionOptions(method: $0) }, context: context)
        let client = connection.client(console)
        let hits = try await MemoryCLIRequest.run { () async throws(MemoryClientError) in
            try await client.search(in: scope.namespace, request)
        }
        if output.json { return console.print(try JSONOutput.line(HitsJSON(hits: hits))) }
        if hits.isEmpty { return console.printError("no results") }
        console.out.write(Self.table(hits, ranked: rank, now: console.now(), wide: output.wide))
    }

    /// One row per hit, best first: the similarity (SIM) and BM25 score (LEX) where the mode
    /// computed them, and the score the hits are ordered by when it is neither.
    static func table(_ hits: [SearchHit], ranked: Bool, now: Date, wide: Bool) -> String {
        let showSimilarity = hits.contains { $0.similarity != nil }
        let showLexical = hits.contains { $0.components?.lexical != nil }
        let showScore = ranked || hits.contains { $0.components?.fused != nil }
        var columns: [TableRenderer.Column] = [.init("#", .right), .init("ID", .right)]
        if showSimilarity { columns.append(.init("SIM", .right)) }
        if showLexical { columns.append(.init("LEX", .right)) }
        if showScore { columns.append(.init("SCORE", .right)) }
        columns += [.init("CONF", .right), .init("TAGS", maxWidth: wide ? nil : 24), .init("UPDATED"),
                    .init("TEXT", maxWidth: wide ? nil : 60)]
        var table = TableRenderer(columns)
        for (index, hit) in hits.enumerated() {
            var row = ["\(index + 1)", "\(hit.entry.id)"]
            if showSimilarity { row.append(hit.similarity.map { ValueFormatting.fixed($0, digits: 3) } ?? "-") }
            if showLexical { row.append(hit.components?.lexical.map { ValueFormatting.fixed($0, digits: 2) } ?? "-") }
            if showScore { row.append(ValueFormatting.fixed(hit.score, digits: 3)) }
            row += [ValueFormatting.confidence(hit.entry.confidence), hit.entry.tags.joined(separator: ","),
                    ValueFormatting.time(hit.entry.updatedAt, now: now, wide: wide), hit.entry.text]
            // Thread neighbours (--context): rows of their own around the hit, in thread order.
            func neighbour(_ entry: MemoryEntry, _ mark: String) -> [String] {
                var cells = ["", "\(entry.id)"] + Array(repeating: "", count: row.count - 6)
                cells += [ValueFormatting.confidence(entry.confidence), entry.tags.joined(separator: ","),
                          ValueFormatting.time(entry.updatedAt, now: now, wide: wide), mark + " " + entry.text]
                return cells
            }
            for entry in (hit.context?.before ?? []).reversed() { table.append(neighbour(entry, "↑")) }
            table.append(row)
            for entry in hit.context?.after ?? [] { table.append(neighbour(entry, "↓")) }
        }
        return table.render()
    }
}

extension VectorFile.Format: ExpressibleByArgument {}
extension SearchMode: ExpressibleByArgument {}
extension FusionMethod: ExpressibleByArgument {}

/// `POST …/search`'s document.
struct HitsJSON: Encodable {
    var hits: [SearchHit]
}

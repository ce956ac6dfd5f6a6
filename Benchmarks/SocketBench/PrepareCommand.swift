import ArgumentParser
import Embeddings
import Foundation
import VectorMath

/// `engram-socket-bench prepare`: a JSON Lines text corpus (`{"text": ...}` per line) becomes a
/// TEXMEX dataset like `pypi-20k` — base.fvecs, queries.fvecs, gt.ivecs (exact top 100 by
/// inner product, ties to the lower row) and the texts — embedded with the built-in MiniLM.
/// The output folder is a cache: when its `prepared.json` names the same inputs (path, size,
/// modification time) and model, nothing is recomputed.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Embed a JSON Lines corpus into a TEXMEX dataset (cached).")

    @Option(help: "Corpus: JSON Lines, one {\"text\": ...} per line.") var baseJsonl: String
    @Option(help: "Query texts (JSON Lines); default: the last --query-count lines of the corpus (then not in the base).")
    var queriesJsonl: String?
    @Option(help: "Queries split off the corpus when --queries-jsonl is not given.") var queryCount: Int = 500
    @Option(help: "Output folder.") var out: String
    @Option(help: "MiniLM model directory (default: $ENGRAM_MODEL_DIR, else ./.cache/models/all-MiniLM-L6-v2).")
    var model: String?
    @Option(help: "Texts per embedding call.") var batch: Int = 256
    @Option(help: "Threads embedding each call's texts (each takes a share).") var threads: Int = 1

    struct Stamp: Codable, Equatable {
        var inputs: [String]
        var model: String
        var query_count: Int
    }

    func validate() throws {
        guard queryCount >= 1, batch >= 1, threads >= 1 else {
            throw ValidationError("--query-count, --batch and --threads must be ≥ 1")
        }
    }

    func run() throws {
        let modelDirectory = model ?? ProcessInfo.processInfo.environment["ENGRAM_MODEL_DIR"]
            ?? "./.cache/models/all-MiniLM-L6-v2"
        let embedder = try MiniLMEmbedder(modelDirectory: modelDirectory)
        let stamp = Stamp(inputs: [baseJsonl, queriesJsonl].compactMap { $0 }.map(Self.fingerprint),
                          model: embedder.identifier, query_count: queriesJsonl == nil ? queryCount : 0)
        let stampPath = out + "/prepared.json"
        if let data = FileManager.default.contents(atPath: stampPath),
           let existing = try? JSONDecoder().decode(Stamp.self, from: data), existing == stamp {
            progress("prepare: \(out) is up to date (cached)")
            return
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var baseTexts = try Dataset.readTexts(baseJsonl, limit: .max)
        var queryTexts: [String]
        if let queriesJsonl {
            queryTexts = try Dataset.readTexts(queriesJsonl, limit: .max)
        } else {
            guard baseTexts.count > queryCount else {
                throw ValidationError("\(baseJsonl) has \(baseTexts.count) lines: not more than --query-count \(queryCount)")
            }
            queryTexts = Array(baseTexts.suffix(queryCount))
            baseTexts.removeLast(queryCount)
        }
        guard !baseTexts.isEmpty, !queryTexts.isEmpty else { throw ValidationError("no texts in the corpus or queries") }
        let base = try embed(baseTexts, embedder: embedder, what: "base")
        let queries = try embed(queryTexts, embedder: embedder, what: "queries")
        let d = embedder.dimension
        progress("prepare: exact ground truth (\(queryTexts.count) × \(baseTexts.count))")
        let truth = queries.withUnsafeBufferPointer { q in
            base.withUnsafeBufferPointer { b in
                ExactSearch.batchTopK(queries: q, base: b, dimension: d, k: min(100, baseTexts.count), metric: .cosine)
            }
        }
        try TexmexWriter.write(floats: base, dimension: d, to: out + "/base.fvecs")
        try TexmexWriter.write(floats: queries, dimension: d, to: out + "/queries.fvecs")
        try TexmexWriter.write(ints: truth.map { $0.map { Int32($0.id) } }, to: out + "/gt.ivecs")
        try TexmexWriter.writeTexts(baseTexts, to: out + "/base.jsonl")
        try TexmexWriter.writeTexts(queryTexts, to: out + "/queries.jsonl")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(stamp).write(to: URL(fileURLWithPath: stampPath))
        progress("prepare: wrote \(out) (\(baseTexts.count) base, \(queryTexts.count) queries, \(d)-d)")
    }

    /// Row-major vectors of `texts`, `batch` texts per embedding call, each call's texts shared
    /// by `threads` threads (at normal priority: nothing else runs).
    private func embed(_ texts: [String], embedder: MiniLMEmbedder, what: String) throws -> [Float] {
        let parallel = ParallelEmbedding(threads: threads, priority: .nice(0))
        var values: [Float] = []
        values.reserveCapacity(texts.count * embedder.dimension)
        let start = monotonicNanos()
        var next = 0
        while next < texts.count {
            let end = min(texts.count, next + batch)
            for vector in try parallel.embed(Array(texts[next..<end]), using: embedder) { values += vector }
            next = end
            if next % 5000 < batch || next == texts.count {
                progress("prepare: embedded \(next)/\(texts.count) \(what) (\(fmt(Double(next) / (Double(monotonicNanos() - start) / 1e9), 0))/s)")
            }
        }
        return values
    }

    /// "path size mtime": changes when the file does.
    static func fingerprint(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return path }
        return "\(path) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}

/// TEXMEX writers (VectorMath only reads): per row an int32 dimension, then the values.
enum TexmexWriter {
    static func write(floats: [Float], dimension: Int, to path: String) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(floats.count / dimension * (dimension + 1) * 4)
        for row in 0..<(floats.count / dimension) {
            withUnsafeBytes(of: Int32(dimension).littleEndian) { bytes += $0 }
            for value in floats[row * dimension ..< (row + 1) * dimension] {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func write(ints rows: [[Int32]], to path: String) throws {
        var bytes: [UInt8] = []
        for row in rows {
            withUnsafeBytes(of: Int32(row.count).littleEndian) { bytes += $0 }
            for value in row { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// `{"id": row, "text": ...}` per line, as pypi-20k's files.
    static func writeTexts(_ texts: [String], to path: String) throws {
        struct Line: Encodable { var id: Int; var text: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for (id, text) in texts.enumerated() {
            data += try encoder.encode(Line(id: id, text: text))
            data.append(UInt8(ascii: "\n"))
        }
        try data.write(to: URL(fileURLWithPath: path))
    }
}

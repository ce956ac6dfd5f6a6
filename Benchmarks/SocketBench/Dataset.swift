import Foundation
import VectorMath

/// The benchmark's inputs: TEXMEX vectors and ground truth, and optionally the texts of the
/// base rows and queries (JSON Lines `{"id": row, "text": ...}` in row order, as in
/// `pypi-20k`). Without texts, base entries get a placeholder text and the text path is skipped.
struct Dataset: Sendable {
    let base: VectorFile.Matrix<Float>
    let queries: VectorFile.Matrix<Float>
    /// Per query the base rows of its nearest neighbours, best first.
    let truth: [[Int]]
    let baseTexts: [String]?
    let queryTexts: [String]?

    var dimension: Int { base.dimension }

    struct InvalidInput: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads and cross-checks the files. - Throws: ``InvalidInput`` or VectorFile's format error.
    static func load(base: String, queries: String, truth: String, baseTexts: String?, queryTexts: String?,
                     baseLimit: Int?, queryLimit: Int?) throws -> Dataset {
        let baseVectors = try VectorFile.readFloats(base, limit: baseLimit)
        let queryVectors = try VectorFile.readFloats(queries, limit: queryLimit)
        let truthIds = try VectorFile.readInts(truth, limit: queryLimit)
        guard baseVectors.count > 0, queryVectors.count > 0 else {
            throw InvalidInput(description: "\(base) or \(queries) holds no vectors")
        }
        guard baseVectors.dimension == queryVectors.dimension else {
            throw InvalidInput(description: "base has dimension \(baseVectors.dimension), queries \(queryVectors.dimension)")
        }
        guard truthIds.count >= queryVectors.count, truthIds.dimension >= 10 || baseLimit != nil else {
            throw InvalidInput(description: "ground truth has \(truthIds.count) rows of \(truthIds.dimension) ids; need \(queryVectors.count) rows of at least 10")
        }
        let texts = try baseTexts.map { try readTexts($0, limit: baseVectors.count) }
        let qTexts = try queryTexts.map { try readTexts($0, limit: queryVectors.count) }
        if let texts, texts.count < baseVectors.count {
            throw InvalidInput(description: "\(baseTexts ?? "") has \(texts.count) texts for \(baseVectors.count) base vectors")
        }
        let truthRows = (0..<queryVectors.count).map { q in truthIds.row(q).map { Int($0) } }
        return Dataset(base: baseVectors, queries: queryVectors, truth: truthRows, baseTexts: texts, queryTexts: qTexts)
    }

    /// Base row `row` as an array.
    func baseVector(_ row: Int) -> [Float] { Array(base.row(row)) }
    /// Query `row` as an array.
    func queryVector(_ row: Int) -> [Float] { Array(queries.row(row)) }
    /// The text stored with base row `row`.
    func baseText(_ row: Int) -> String { baseTexts?[row] ?? "base row \(row)" }

    /// The `text` field of each line of a JSON Lines file, in line order, at most `limit`.
    static func readTexts(_ path: String, limit: Int) throws -> [String] {
        struct Line: Decodable { let text: String }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InvalidInput(description: "cannot read \(path)")
        }
        var texts: [String] = []
        let decoder = JSONDecoder()
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where texts.count < limit {
            if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            do {
                texts.append(try decoder.decode(Line.self, from: Data(line)).text)
            } catch {
                throw InvalidInput(description: "\(path):\(number + 1): not a JSON object with a \"text\" string")
            }
        }
        return texts
    }
}

extension Dataset {
    /// The same dataset with ground truth recomputed exactly over the loaded base rows (for
    /// `--base-limit`, where the file's truth refers to rows that were not loaded).
    func withExactTruth(k: Int = 100) -> Dataset {
        var live: [UInt64: [Float]] = [:]
        for row in 0..<base.count { live[UInt64(row)] = baseVector(row) }
        let truthRows = Recall.exactTruth(queries: queries, live: live, k: min(k, base.count), metric: .cosine)
        return Dataset(base: base, queries: queries, truth: truthRows.map { $0.map { Int($0) } },
                       baseTexts: baseTexts, queryTexts: queryTexts)
    }
}

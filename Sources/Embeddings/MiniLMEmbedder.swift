import Foundation
import VectorMath

/// sentence-transformers/all-MiniLM-L6-v2 run natively: BERT WordPiece tokenisation, the
/// 6-layer encoder on BLAS, mean pooling and L2 normalisation. 384-dimensional unit vectors that
/// match sentence-transformers on PyTorch over the golden fixtures (docs/performance.md#embedding).
///
/// Initialisation loads and validates everything (`config.json`, `vocab.txt`, and the whole
/// safetensors header against the file), so a missing or damaged model fails at start with a
/// clear ``EmbeddingError``, never at first use. The file is mapped once and every tensor is
/// used in place, except the query/key/value matrices, stacked into one copy per layer
/// (10 MiB), and the weight panels for short passes where they pay off (42 MiB, see
/// ``usesWeightPanels``); each concurrent caller uses a reusable workspace (≈ 8.6 MiB at the
/// default 512-token budget). Nothing grows per request.
///
/// Thread-safe: concurrent `embed` calls each take their own workspace from a pool.
public final class MiniLMEmbedder: Embedder, TokenCounting {
    /// The ids the model reads of `text`, `[CLS]` and `[SEP]` included (truncated at the model's
    /// maximum sequence length).
    public func tokenCount(_ text: String) -> Int? { tokenizer.encode(text).count }

    /// How the embedder batches and how much scratch it keeps.
    public struct Options: Sendable {
        /// Most tokens one forward pass processes together; bounds each workspace's size
        /// (≈ 16.5 KiB per token for MiniLM-L6). Must be at least `maximumSequenceLength` and
        /// at most ``MiniLMEmbedder/maximumBatchTokenLimit``. 512 keeps a pass's activations
        /// (≈ 8 MiB) in cache; larger passes measured no faster (docs/performance.md#embedding).
        public var batchTokenLimit: Int = 512
        /// Tokens per text, `[CLS]` and `[SEP]` included (the model was trained with 256).
        public var maximumSequenceLength: Int = 256
        /// Idle workspaces kept for reuse.
        public var retainedWorkspaces: Int = ProcessInfo.processInfo.activeProcessorCount
        /// Switch OpenBLAS to one thread at start (Engram parallelises across requests).
        public var singleThreadedBLAS: Bool = true
        /// Whether short passes (single queries) multiply with panel copies of the weights (see
        /// ``usesWeightPanels``): `nil` decides from the kernels OpenBLAS reports (they pay off
        /// with its AVX-512 kernels), `true`/`false` force the choice.
        public var weightPanels: Bool? = nil
        /// Reported as ``MiniLMEmbedder/identifier`` and stored with vectors; change it when
        /// loading a different model from the same code.
        public var identifier: String = "sentence-transformers/all-MiniLM-L6-v2"

        public init() {}
    }

    public let dimension: Int
    public let identifier: String
    public let tokenizer: BertTokenizer
    public let configuration: BertConfiguration
    public let options: Options
    /// The model directory the embedder was loaded from.
    public let modelDirectory: String

    private let encoder: BertEncoder

    /// Whether passes of up to 64 tokens use panel copies of the layer weights (42 MiB), so
    /// that OpenBLAS can run its unpacked small-matrix kernel; chosen at start (``Options``).
    /// The two layouts differ in the last bits (≈ 1e-6), so the choice is deterministic
    /// wherever possible (see ``panelsPreferred(coreName:)``).
    public let usesWeightPanels: Bool
    private let workspaces: WorkspacePool

    /// Largest accepted ``Options/batchTokenLimit``: 65 536 tokens is a 1 GiB workspace for
    /// MiniLM-L6, far past any useful size, and keeps every buffer size and BLAS dimension
    /// clear of `Int` and `Int32` overflow.
    public static let maximumBatchTokenLimit = 65_536

    /// The text embedded at start to check that the weights compute sane vectors.
    static let probeText = "Engram checks its embedding model: 42 unit vectors, café, 中文."

    /// Loads the model in `modelDirectory` (which must hold `config.json`, `vocab.txt` and
    /// `model.safetensors`). O(model header + vocabulary); weight pages are touched lazily.
    /// - Throws: ``EmbeddingError`` naming the file and the problem.
    public init(modelDirectory: String, options: Options = Options()) throws(EmbeddingError) {
        let directory = modelDirectory.hasSuffix("/") ? String(modelDirectory.dropLast()) : modelDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingModelFile(path: directory)
        }
        for name in ["config.json", "vocab.txt", "model.safetensors"] where !FileManager.default.fileExists(atPath: directory + "/" + name) {
            throw .missingModelFile(path: directory + "/" + name)
        }
        let configuration = try BertConfiguration(contentsOf: directory + "/config.json")
        let maximumLength = min(options.maximumSequenceLength, configuration.maximumPositions)
        guard maximumLength >= 2 else {
            throw .invalidConfiguration(path: directory, reason: "maximumSequenceLength \(options.maximumSequenceLength) must be at least 2")
        }
        guard options.batchTokenLimit >= maximumLength, options.batchTokenLimit <= Self.maximumBatchTokenLimit else {
            throw .invalidConfiguration(path: directory, reason: "batchTokenLimit \(options.batchTokenLimit) must be between the sequence length \(maximumLength) and \(Self.maximumBatchTokenLimit)")
        }
        // Every workspace buffer is at most `tokens × max(3·hidden, intermediate)` floats and
        // every BLAS dimension at most that width, so this bound rules out overflow in both.
        let widest = max(3 * configuration.hiddenSize, configuration.intermediateSize)
        guard configuration.hiddenSize <= 1 << 16, configuration.intermediateSize <= 1 << 18,
              configuration.maximumPositions <= 1 << 16, configuration.vocabularySize <= Int(Int32.max),
              options.batchTokenLimit.multipliedReportingOverflow(by: widest).partialValue <= Int(Int32.max) else {
            throw .invalidConfiguration(path: directory + "/config.json", reason: "sizes too large for this implementation")
        }
        let vocabulary: Vocabulary
        do {
            vocabulary = try Vocabulary(contentsOf: directory + "/vocab.txt")
        } catch {
            throw .invalidTokenizer(reason: error.description)
        }
        guard vocabulary.count == configuration.vocabularySize else {
            throw .invalidTokenizer(reason: "vocab.txt has \(vocabulary.count) tokens, config.json says \(configuration.vocabularySize)")
        }
        do {
            tokenizer = try BertTokenizer(vocabulary: vocabulary, maximumLength: maximumLength)
        } catch {
            throw .invalidTokenizer(reason: error.description)
        }
        let weights: BertWeights
        do {
            let file = try SafeTensorsFile(path: directory + "/model.safetensors")
            weights = try BertWeights(file: file, configuration: configuration)
        } catch .cannotOpen(_, _, ENOENT) {
            throw .missingModelFile(path: directory + "/model.safetensors")   // removed since the check above
        } catch {
            throw .invalidWeights(error)
        }
        if options.singleThreadedBLAS { BLASBackend.useSingleThread() }
        self.configuration = configuration
        self.options = options
        self.modelDirectory = directory
        dimension = configuration.hiddenSize
        identifier = options.identifier
        let panels = options.weightPanels
            ?? Self.panelsPreferred(coreName: BLASBackend.current.coreName)
            ?? BertEncoder.panelsPayOff(weights: weights, configuration: configuration)
        encoder = BertEncoder(configuration: configuration, weights: panels ? weights.withPanels(true) : weights)
        usesWeightPanels = panels
        let tokenCapacity = options.batchTokenLimit
        workspaces = WorkspacePool(retainLimit: max(1, options.retainedWorkspaces)) {
            BertWorkspace(configuration: configuration, tokenCapacity: tokenCapacity, maximumSequenceLength: maximumLength)
        }
        // The header checks cannot see damaged tensor data (a flipped byte in a LayerNorm
        // weight turns every vector into NaN), so run the model once on a fixed text.
        let probe: [Float]
        do {
            probe = try embed(tokenized: [tokenizer.encode(Self.probeText)])[0]
        } catch {
            throw .damagedModel(path: directory + "/model.safetensors", reason: "a probe text gives \(error)")
        }
        let norm = probe.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard abs(norm - 1) < 1e-3 else {
            throw .damagedModel(path: directory + "/model.safetensors", reason: "a probe text gives a vector of norm \(norm), not 1")
        }
    }

    /// Whether the weight panels pay off with the OpenBLAS kernel set `coreName`, or `nil`
    /// when that is unknown (not OpenBLAS). Decided by name rather than by timing at start,
    /// because a timing can flip under load and the two layouts give vectors that differ by
    /// ≈ 1e-6: the same machine must always produce the same vectors. The panels help with
    /// the AVX-512 kernel sets (OpenBLAS 0.3.21 reports Zen 4 as `Cooperlake`; later versions
    /// may name Zen themselves) and cost time with the others.
    static func panelsPreferred(coreName: String?) -> Bool? {
        guard let name = coreName?.lowercased(), !name.isEmpty else { return nil }
        return ["skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"].contains { name.contains($0) }
    }

    /// Embeds `texts`: tokenises each, sorts them by length so that texts of similar length
    /// share a forward pass, packs up to `batchTokenLimit` tokens per pass, and returns the
    /// vectors in input order. O(total tokens · model cost).
    /// - Throws: ``EmbeddingError/invalidOutput(_:)`` when the weights are damaged.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try embed(tokenized: texts.map { tokenizer.encode($0) })
    }

    /// Embeds already tokenised texts (ids as ``BertTokenizer/encode(_:)`` returns them).
    /// The ids come from the caller, so they are checked before they index any table.
    /// - Throws: ``EmbeddingError/invalidInput(_:)`` for an empty sequence, one longer than
    ///   the maximum sequence length, or an id outside the vocabulary;
    ///   ``EmbeddingError/invalidOutput(_:)`` when a vector is not finite.
    public func embed(tokenized sequences: [[Int32]]) throws(EmbeddingError) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        let vocabularySize = configuration.vocabularySize
        for (index, sequence) in sequences.enumerated() {
            guard !sequence.isEmpty, sequence.count <= tokenizer.maximumLength else {
                throw .invalidInput("sequence \(index) has \(sequence.count) ids, outside 1...\(tokenizer.maximumLength)")
            }
            if let id = sequence.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw .invalidInput("sequence \(index) holds id \(id), outside the vocabulary 0..<\(vocabularySize)")
            }
        }
        let order = sequences.indices.sorted { (sequences[$0].count, $0) < (sequences[$1].count, $1) }
        let sorted = order.map { sequences[$0] }
        var results = [[Float]](repeating: [], count: sequences.count)
        let h = dimension
        workspaces.withWorkspace { workspace in
            var start = 0
            while start < sorted.count {
                var end = start
                var tokens = 0
                while end < sorted.count, tokens + sorted[end].count <= workspace.tokenCapacity {
                    tokens += sorted[end].count
                    end += 1
                }
                encoder.encode(sorted[start..<end], workspace: workspace)
                for position in start..<end {
                    let row = workspace.pooled + (position - start) * h
                    results[order[position]] = Array(UnsafeBufferPointer(start: row, count: h))
                }
                start = end
            }
        }
        for (index, vector) in results.enumerated() where !vector.allSatisfy(\.isFinite) {
            throw .invalidOutput("the vector of sequence \(index) (\(sequences[index].count) tokens) is not finite; the model weights are probably damaged")
        }
        return results
    }
}

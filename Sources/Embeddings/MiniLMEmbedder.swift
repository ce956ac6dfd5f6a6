import Foundation
import VectorMath

/// sentence-transformers/all-MiniLM-L6-v2 run natively: BERT WordPiece tokenisation, the
/// 6-layer encoder on BLAS, mean pooling and L2 normalisation. 384-dimensional unit vectors,
/// within 3e-7 per component of sentence-transformers on PyTorch over the golden fixtures.
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
public final class MiniLMEmbedder: Embedder {
    /// How the embedder batches and how much scratch it keeps.
    public struct Options: Sendable {
        /// Most tokens one forward pass processes together; bounds each workspace's size
        /// (≈ 16.5 KiB per token for MiniLM-L6). Must be at least `maximumSequenceLength`. 512
        /// keeps a pass's activations (≈ 8 MiB) in cache; larger passes measured no faster.
        public var batchTokenLimit: Int = 512
        /// Tokens per text, `[CLS]` and `[SEP]` included (the model was trained with 256).
        public var maximumSequenceLength: Int = 256
        /// Idle workspaces kept for reuse.
        public var retainedWorkspaces: Int = ProcessInfo.processInfo.activeProcessorCount
        /// Switch OpenBLAS to one thread at start (Engram parallelises across requests).
        public var singleThreadedBLAS: Bool = true
        /// Whether short passes (single queries) multiply with panel copies of the weights (see
        /// ``usesWeightPanels``): `nil` measures at start whether they pay off on this machine
        /// (they do where OpenBLAS runs its AVX-512 kernels), `true`/`false` force the choice.
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
    public let usesWeightPanels: Bool
    private let workspaces: WorkspacePool

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
        guard maximumLength >= 2, options.batchTokenLimit >= maximumLength else {
            throw .invalidConfiguration(path: directory, reason: "batchTokenLimit \(options.batchTokenLimit) must be at least the sequence length \(maximumLength) (≥ 2)")
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
        } catch {
            throw .invalidWeights(error)
        }
        if options.singleThreadedBLAS { BLASBackend.useSingleThread() }
        self.configuration = configuration
        self.options = options
        self.modelDirectory = directory
        dimension = configuration.hiddenSize
        identifier = options.identifier
        let panels = options.weightPanels ?? BertEncoder.panelsPayOff(weights: weights, configuration: configuration)
        encoder = BertEncoder(configuration: configuration, weights: panels ? weights.withPanels(true) : weights)
        usesWeightPanels = panels
        let tokenCapacity = options.batchTokenLimit
        workspaces = WorkspacePool(retainLimit: max(1, options.retainedWorkspaces)) {
            BertWorkspace(configuration: configuration, tokenCapacity: tokenCapacity, maximumSequenceLength: maximumLength)
        }
    }

    /// Embeds `texts`: tokenises each, sorts them by length so that texts of similar length
    /// share a forward pass, packs up to `batchTokenLimit` tokens per pass, and returns the
    /// vectors in input order. O(total tokens · model cost).
    public func embed(_ texts: [String]) throws -> [[Float]] {
        embed(tokenized: texts.map { tokenizer.encode($0) })
    }

    /// Embeds already tokenised texts (ids as ``BertTokenizer/encode(_:)`` returns them).
    /// - Precondition: each sequence is non-empty, at most the maximum sequence length, with
    ///   ids inside the vocabulary.
    public func embed(tokenized sequences: [[Int32]]) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        for sequence in sequences {
            precondition(!sequence.isEmpty && sequence.count <= tokenizer.maximumLength, "sequence length \(sequence.count) outside 1...\(tokenizer.maximumLength)")
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
        return results
    }
}

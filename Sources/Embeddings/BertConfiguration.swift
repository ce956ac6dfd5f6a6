import Foundation

/// The hyper-parameters of a BERT encoder, read from the model's `config.json` (Hugging Face
/// names), and checked against what this implementation supports.
public struct BertConfiguration: Sendable, Equatable, Decodable {
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maximumPositions: Int
    public var vocabularySize: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    public var activation: String

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case maximumPositions = "max_position_embeddings"
        case vocabularySize = "vocab_size"
        case typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case activation = "hidden_act"
    }

    /// all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads, FFN 1536, GELU, LayerNorm ε 1e-12.
    public static let miniLML6 = BertConfiguration(
        hiddenSize: 384, layerCount: 6, headCount: 12, intermediateSize: 1536, maximumPositions: 512,
        vocabularySize: 30522, typeVocabularySize: 2, layerNormEpsilon: 1e-12, activation: "gelu")

    public init(hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, maximumPositions: Int,
                vocabularySize: Int, typeVocabularySize: Int, layerNormEpsilon: Float, activation: String) {
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maximumPositions = maximumPositions
        self.vocabularySize = vocabularySize
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.activation = activation
    }

    /// Reads and validates `config.json`.
    public init(contentsOf path: String) throws(EmbeddingError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch CocoaError.fileReadNoSuchFile {
            throw .missingModelFile(path: path)
        } catch {
            // Present but unreadable (permissions, a directory, an I/O error): telling the
            // operator to fetch the model again would send them the wrong way.
            throw .invalidConfiguration(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        do {
            self = try JSONDecoder().decode(BertConfiguration.self, from: data)
        } catch {
            throw .invalidConfiguration(path: path, reason: "cannot decode: \(error)")
        }
        if let reason = unsupportedReason { throw .invalidConfiguration(path: path, reason: reason) }
    }

    /// Width of one attention head.
    public var headSize: Int { hiddenSize / headCount }

    /// Why this implementation cannot run the configuration, or `nil` when it can.
    public var unsupportedReason: String? {
        if hiddenSize <= 0 || layerCount <= 0 || headCount <= 0 || intermediateSize <= 0 { return "non-positive sizes" }
        if hiddenSize % headCount != 0 { return "hidden size \(hiddenSize) is not a multiple of \(headCount) heads" }
        if hiddenSize % 8 != 0 { return "hidden size \(hiddenSize) is not a multiple of 8" }
        if activation != "gelu" { return "activation '\(activation)' is not supported (only the erf GELU, 'gelu')" }
        if !(layerNormEpsilon > 0) { return "layer_norm_eps must be positive" }
        if maximumPositions < 2 || vocabularySize < 1 || typeVocabularySize < 1 { return "empty embedding tables" }
        return nil
    }
}

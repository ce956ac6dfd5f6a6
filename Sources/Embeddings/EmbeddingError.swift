/// Why an embedder could not be created or could not embed.
public enum EmbeddingError: Error, CustomStringConvertible {
    /// The model directory or one of its required files is missing.
    case missingModelFile(path: String)
    /// `config.json` is unreadable, malformed, or describes another architecture.
    case invalidConfiguration(path: String, reason: String)
    /// The weights file is damaged or does not fit the configuration.
    case invalidWeights(SafeTensorsError)
    /// The vocabulary or tokenizer could not be built.
    case invalidTokenizer(reason: String)

    public var description: String {
        switch self {
        case let .missingModelFile(path):
            return "embedding model file \(path) is missing (fetch the model with scripts/fetch-model.sh)"
        case let .invalidConfiguration(path, reason):
            return "embedding model configuration \(path) is invalid: \(reason)"
        case let .invalidWeights(error):
            return "embedding model weights are unusable: \(error)"
        case let .invalidTokenizer(reason):
            return "embedding model tokenizer is unusable: \(reason)"
        }
    }
}

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
    /// The model loaded but computes unusable vectors (non-finite, or not unit length) for a
    /// fixed probe text: the weights' data is damaged although the header is valid.
    case damagedModel(path: String, reason: String)
    /// Caller-supplied token ids that the model cannot take (empty, too long, or outside
    /// the vocabulary).
    case invalidInput(String)
    /// An embedder returned unusable output: a non-finite vector (damaged weights the
    /// start-up probe did not touch, such as the embedding row of a rare token), or the wrong
    /// number or length of vectors (a faulty ``Embedder`` implementation).
    case invalidOutput(String)

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
        case let .damagedModel(path, reason):
            return "embedding model \(path) is damaged: \(reason) (fetch it again with scripts/fetch-model.sh)"
        case let .invalidInput(reason):
            return "cannot embed the given token ids: \(reason)"
        case let .invalidOutput(reason):
            return "the embedder returned unusable output: \(reason)"
        }
    }
}

import Embeddings

/// Embedding for clients: the daemon's model, for texts the caller wants vectors of (an
/// OpenAI-style `/v1/embeddings`, a client that stores its own vectors elsewhere).
extension MemoryEngine {
    /// Most texts one call embeds.
    public static let maxEmbedTexts = 2048

    /// The vectors of `texts` from this engine's embedder, in order (L2-normalised as the
    /// model makes them), and the tokens it read when it tokenises.
    /// - Throws: `invalid_argument` (no text, more than ``maxEmbedTexts``, an empty one),
    ///   `payload_too_large` (a text over 32 KiB), `embedding_failed`.
    /// - Complexity: one model call over the texts (the embedder batches). A single text goes
    ///   through the embedder's cache like a search's; several are read from it but not added
    ///   (``Embedder/embedBulk(_:)``): a client embedding a corpus would evict the queries that
    ///   searches repeat.
    public func embed(_ texts: [String]) throws(EngineError) -> (vectors: [[Float]], tokens: Int?, model: String) {
        guard !texts.isEmpty, texts.count <= Self.maxEmbedTexts else {
            throw .invalidArgument("input takes 1…\(Self.maxEmbedTexts) texts, got \(texts.count)")
        }
        for text in texts { try InputValidation.text(text) }
        let vectors = try translatingErrors { try texts.count == 1 ? embedder.embed(texts) : embedder.embedBulk(texts) }
        guard vectors.count == texts.count, vectors.allSatisfy({ $0.count == embedder.dimension && $0.allSatisfy(\.isFinite) }) else {
            throw .embeddingFailed("the embedder returned unusable vectors")
        }
        var tokens: Int? = 0
        for text in texts {
            guard let count = embedder.tokens(of: text), let sum = tokens else { tokens = nil; break }
            tokens = sum + count
        }
        return (vectors, tokens, embedder.identifier)
    }
}

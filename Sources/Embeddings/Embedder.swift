/// Turns texts into vectors. The daemon holds one and calls it for every text it stores or
/// searches; clients that send their own vectors bypass it.
///
/// Implementations must be safe to call from many threads at once and must return, for each
/// text, a vector of exactly `dimension` finite floats, in the order of the input.
public protocol Embedder: Sendable {
    /// Length of every vector this embedder returns.
    var dimension: Int { get }
    /// Stable name of the model (and anything else that changes the vectors), recorded with
    /// stored vectors so that a change of model can be detected.
    var identifier: String { get }
    /// One vector per text, in input order.
    func embed(_ texts: [String]) throws -> [[Float]]
    /// One vector per text of a bulk load, in input order: as ``embed(_:)``, except that an
    /// embedder with a cache leaves it as it was — thousands of stored texts, each embedded
    /// once, would evict the queries that searches repeat. Default: ``embed(_:)``.
    func embedBulk(_ texts: [String]) throws -> [[Float]]
}

/// An embedder that can say how many tokens of a text it reads (what an OpenAI-style
/// `usage` reports). `nil`: it does not tokenise.
public protocol TokenCounting {
    func tokenCount(_ text: String) -> Int?
}

extension Embedder {
    public func embedBulk(_ texts: [String]) throws -> [[Float]] {
        try embed(texts)
    }

    /// The tokens this embedder reads of `text`, when it tokenises (``TokenCounting``).
    public func tokens(of text: String) -> Int? {
        (self as? any TokenCounting)?.tokenCount(text)
    }

    /// The vector of a single text.
    /// - Throws: what `embed(_:)` throws, or ``EmbeddingError/invalidOutput(_:)`` when it
    ///   breaks the protocol's contract by not returning exactly one vector (indexing blindly
    ///   would crash the daemon for a bug in one embedder).
    public func embed(_ text: String) throws -> [Float] {
        let vectors = try embed([text])
        guard vectors.count == 1 else {
            throw EmbeddingError.invalidOutput("\(identifier) returned \(vectors.count) vectors for 1 text")
        }
        return vectors[0]
    }
}

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
}

extension Embedder {
    /// The vector of a single text.
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }
}

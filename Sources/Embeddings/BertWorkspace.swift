/// Preallocated scratch for one forward pass over a packed batch of at most `tokenCapacity`
/// tokens, sequences of at most `maximumSequenceLength`. Allocated once and reused, so the
/// forward pass allocates nothing per token or per layer.
///
/// Memory: `tokenCapacity · (4·hidden + 3·hidden + intermediate) + maxLength²` floats
/// (≈ 8 MiB for MiniLM-L6 at 512 tokens).
///
/// `@unchecked Sendable`: the buffers are mutated during a forward pass, and a workspace is
/// used by exactly one pass at a time — ``WorkspacePool`` hands each one out under its mutex
/// to a single caller, who returns it when done; no other reference is used meanwhile.
final class BertWorkspace: @unchecked Sendable {
    let tokenCapacity: Int
    let maximumSequenceLength: Int
    /// Hidden states `[tokens, hidden]`; after each layer the current state is here.
    let hidden: UnsafeMutablePointer<Float>
    /// The other hidden-state buffer `[tokens, hidden]` (attention block output).
    let alternate: UnsafeMutablePointer<Float>
    /// Stacked query/key/value projections `[tokens, 3·hidden]`.
    let qkv: UnsafeMutablePointer<Float>
    /// Attention context, heads side by side `[tokens, hidden]`.
    let context: UnsafeMutablePointer<Float>
    /// Feed-forward activations `[tokens, intermediate]`.
    let intermediate: UnsafeMutablePointer<Float>
    /// Attention scores of one head of one sequence `[length, length]`.
    let scores: UnsafeMutablePointer<Float>
    /// Pooled outputs `[sequences, hidden]`, at most one per token.
    let pooled: UnsafeMutablePointer<Float>

    init(configuration c: BertConfiguration, tokenCapacity: Int, maximumSequenceLength: Int) {
        precondition(tokenCapacity >= maximumSequenceLength && maximumSequenceLength > 0)
        self.tokenCapacity = tokenCapacity
        self.maximumSequenceLength = maximumSequenceLength
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        hidden = buffer(tokenCapacity * c.hiddenSize)
        alternate = buffer(tokenCapacity * c.hiddenSize)
        qkv = buffer(tokenCapacity * 3 * c.hiddenSize)
        context = buffer(tokenCapacity * c.hiddenSize)
        intermediate = buffer(tokenCapacity * c.intermediateSize)
        scores = buffer(maximumSequenceLength * maximumSequenceLength)
        pooled = buffer(tokenCapacity * c.hiddenSize)
    }

    deinit {
        for pointer in [hidden, alternate, qkv, context, intermediate, scores, pooled] { pointer.deallocate() }
    }
}

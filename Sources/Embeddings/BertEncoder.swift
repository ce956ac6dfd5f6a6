import CBLASShim
import VectorMath

/// The BERT encoder forward pass with mean pooling and L2 normalisation, on `cblas_sgemm`.
///
/// Batches are *packed*: the tokens of all sequences are stacked into one `[tokens, hidden]`
/// matrix with no padding, so every dense layer is one `sgemm` over exactly the real tokens,
/// and attention runs per sequence over that sequence's rows only. This is the attention mask
/// in its exact form — a token never sees another sequence's tokens or padding — and it
/// saves the work that padding to the longest sequence would cost.
struct BertEncoder: Sendable {
    let configuration: BertConfiguration
    let weights: BertWeights

    /// Runs the encoder on `sequences` (token ids, each at most `workspace.maximumSequenceLength`
    /// long and at least 1) and writes one L2-normalised mean-pooled vector per sequence to
    /// `workspace.pooled`, in order.
    ///
    /// Complexity: O(T · P) for T tokens and P layer weights (≈ 21 MFLOP per token for
    /// MiniLM-L6), plus O(Σ L² · hidden) for attention over sequences of length L.
    /// - Precondition: total tokens ≤ `workspace.tokenCapacity`; every id < vocabulary size
    ///   (``MiniLMEmbedder/embed(tokenized:)`` checks caller-supplied ids and throws first).
    func encode(_ sequences: ArraySlice<[Int32]>, workspace: BertWorkspace) {
        let c = configuration
        let h = c.hiddenSize
        let tokens = sequences.reduce(0) { $0 + $1.count }
        precondition(tokens <= workspace.tokenCapacity, "batch exceeds the workspace")
        guard tokens > 0 else { return }
        embed(sequences, into: workspace.hidden)
        NeuralKernels.layerNorm(workspace.hidden, adding: nil, rows: tokens, width: h,
                                gamma: weights.embeddingNormWeight.pointer, beta: weights.embeddingNormBias.pointer,
                                epsilon: c.layerNormEpsilon)
        for layer in weights.layers {
            attention(layer, sequences: sequences, tokens: tokens, workspace: workspace)
            feedForward(layer, tokens: tokens, workspace: workspace)
        }
        pool(sequences, workspace: workspace)
    }

    /// Word + position + token-type (type 0) embeddings for every token. O(T · hidden).
    private func embed(_ sequences: ArraySlice<[Int32]>, into output: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        let vocabularySize = configuration.vocabularySize
        let word = weights.wordEmbeddings.pointer
        let position = weights.positionEmbeddings.pointer
        let type = weights.tokenTypeEmbeddings.pointer
        var row = output
        for sequence in sequences {
            precondition(sequence.count <= configuration.maximumPositions, "sequence longer than the position table")
            for (index, id) in sequence.enumerated() {
                precondition(id >= 0 && Int(id) < vocabularySize, "token id \(id) outside the vocabulary")
                let w = word + Int(id) * h
                let p = position + index * h
                var j = 0
                while j < h {
                    row[j] = (w[j] + type[j]) + p[j]
                    j &+= 1
                }
                row += h
            }
        }
    }

    /// Self-attention block: `hidden = LayerNorm(hidden + Wo · attention(hidden) + bo)`.
    private func attention(_ layer: BertLayerWeights, sequences: ArraySlice<[Int32]>, tokens: Int, workspace w: BertWorkspace) {
        let c = configuration
        let h = c.hiddenSize
        let h3 = 3 * h
        let d = c.headSize
        let scale = 1 / Float(d).squareRoot()
        dense(layer.qkvWeight, input: w.hidden, rows: tokens, output: w.qkv)
        NeuralKernels.addBias(w.qkv, rows: tokens, width: h3, bias: layer.qkvBias.pointer)
        var start = 0
        for sequence in sequences {
            let length = sequence.count
            for head in 0..<c.headCount {
                let query = w.qkv + start * h3 + head * d
                let key = query + h
                let value = query + 2 * h
                // scores = Q Kᵀ / √d, then softmax over keys, then context = P V.
                Self.gemm(transposeB: true, m: length, n: length, k: d, alpha: scale, a: query, lda: h3,
                          b: key, ldb: h3, beta: 0, c: w.scores, ldc: length)
                NeuralKernels.softmaxRows(w.scores, rows: length, columns: length, stride: length)
                Self.gemm(transposeB: false, m: length, n: d, k: length, a: w.scores, lda: length,
                          b: value, ldb: h3, beta: 0, c: w.context + start * h + head * d, ldc: h)
            }
            start += length
        }
        dense(layer.attentionOutputWeight, input: w.context, rows: tokens, output: w.alternate)
        NeuralKernels.layerNorm(w.alternate, adding: w.hidden, bias: layer.attentionOutputBias.pointer, rows: tokens, width: h,
                                gamma: layer.attentionNormWeight.pointer, beta: layer.attentionNormBias.pointer,
                                epsilon: c.layerNormEpsilon)
    }

    /// Feed-forward block on the attention output in `alternate`:
    /// `hidden = LayerNorm(alternate + W2 · GELU(W1 · alternate + b1) + b2)`.
    private func feedForward(_ layer: BertLayerWeights, tokens: Int, workspace w: BertWorkspace) {
        let c = configuration
        let h = c.hiddenSize
        let inner = c.intermediateSize
        dense(layer.intermediateWeight, input: w.alternate, rows: tokens, output: w.intermediate)
        NeuralKernels.gelu(w.intermediate, rows: tokens, width: inner, bias: layer.intermediateBias.pointer)
        dense(layer.outputWeight, input: w.intermediate, rows: tokens, output: w.hidden)
        NeuralKernels.layerNorm(w.hidden, adding: w.alternate, bias: layer.outputBias.pointer, rows: tokens, width: h,
                                gamma: layer.outputNormWeight.pointer, beta: layer.outputNormBias.pointer,
                                epsilon: c.layerNormEpsilon)
    }

    /// Mean over each sequence's tokens, then L2 normalisation, into `pooled`. O(T · hidden).
    private func pool(_ sequences: ArraySlice<[Int32]>, workspace w: BertWorkspace) {
        let h = configuration.hiddenSize
        var source: UnsafePointer<Float> = UnsafePointer(w.hidden)
        var destination = w.pooled
        for sequence in sequences {
            let length = sequence.count
            destination.update(from: source, count: h)
            var r = 1
            while r < length {
                let row = source + r * h
                var j = 0
                while j < h {
                    destination[j] += row[j]
                    j &+= 1
                }
                r &+= 1
            }
            let inverse = 1 / Float(length)
            var j = 0
            while j < h {
                destination[j] *= inverse
                j &+= 1
            }
            Kernels.normalize(destination, count: h)
            source += length * h
            destination += h
        }
    }

    /// Passes of at most this many tokens use the weights' panels when they exist.
    static let panelRowLimit = 64
    /// OpenBLAS's bound on M·N·K for its small-matrix kernel.
    static let smallKernelLimit = 1_000_000

    /// `output = input · Wᵀ` for `rows` rows: `[rows, in]` → `[rows, out]`, no bias (the
    /// caller adds it in the element-wise pass that follows). O(rows · in · out).
    @inline(__always)
    private func dense(_ weight: DenseWeight, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>) {
        Self.multiply(weight, input: input, rows: rows, output: output, usePanels: true)
    }

    /// `output = input · Wᵀ`, through the panels when `usePanels`, the weight has them, the pass
    /// is short, and a slice width exists that keeps each call within the small-matrix bound;
    /// otherwise one full-width product.
    static func multiply(_ weight: DenseWeight, input: UnsafePointer<Float>, rows: Int,
                         output: UnsafeMutablePointer<Float>, usePanels: Bool) {
        let inputs = weight.inputs, outputs = weight.outputs
        let stride = DenseWeight.panelWidth
        if usePanels, let panels = weight.panels, rows <= panelRowLimit,
           let width = [stride, stride / 2, stride / 4].first(where: { rows * $0 * inputs <= smallKernelLimit }) {
            var column = 0
            while column < outputs {
                // Columns [column, column + width) of Wᵀ: inside panel column / stride, at offset
                // column % stride, rows `stride` floats apart.
                let block = panels.pointer + (column / stride) * inputs * stride + column % stride
                gemm(transposeB: false, m: rows, n: width, k: inputs, a: input, lda: inputs,
                     b: block, ldb: stride, beta: 0, c: output + column, ldc: outputs)
                column += width
            }
        } else {
            gemm(transposeB: true, m: rows, n: outputs, k: inputs, a: input, lda: inputs,
                 b: weight.matrix.pointer, ldb: inputs, beta: 0, c: output, ldc: outputs)
        }
    }

    /// Whether the panel path is clearly (≥ 15 %) faster than full-width products on this
    /// machine: times layer 0's two feed-forward products for 16 tokens both ways (best of 5,
    /// with panels built for that layer only). A few milliseconds, once, at start. Only the
    /// fallback when the BLAS names no kernel set (see `MiniLMEmbedder.panelsPreferred`): a
    /// timing can flip under load, and with it the vectors' last bits.
    static func panelsPayOff(weights: BertWeights, configuration c: BertConfiguration) -> Bool {
        guard let layer = weights.layers.first?.withPanels(true) else { return false }
        let rows = 16
        let width = max(c.hiddenSize, c.intermediateSize)
        let input = UnsafeMutablePointer<Float>.allocate(capacity: rows * width)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: rows * width)
        defer { input.deallocate(); output.deallocate() }
        for i in 0..<(rows * width) { input[i] = Float(i % 17) * 0.01 - 0.08 }
        let clock = ContinuousClock()
        func best(usePanels: Bool) -> Duration {
            var fastest = Duration.seconds(1)
            for _ in 0..<5 {
                let start = clock.now
                for weight in [layer.intermediateWeight, layer.outputWeight] {
                    multiply(weight, input: input, rows: rows, output: output, usePanels: usePanels)
                }
                fastest = min(fastest, clock.now - start)
            }
            return fastest
        }
        _ = best(usePanels: false)
        let full = best(usePanels: false)
        let panelled = best(usePanels: true)
        return panelled * 100 < full * 85
    }

    /// Row-major `C = alpha · A · op(B) + beta · C` with `A` `[m, k]` and `op(B)` `[k, n]`.
    @inline(__always)
    private static func gemm(transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(Int32(EngramCBLASRowMajor.rawValue), Int32(EngramCBLASNoTrans.rawValue),
                    Int32(transposeB ? EngramCBLASTrans.rawValue : EngramCBLASNoTrans.rawValue),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

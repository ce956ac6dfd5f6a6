/// A linear layer's weight `W` (`[out, in]`, as PyTorch stores it), optionally also as
/// contiguous column panels of `Wᵀ` for passes with few tokens.
///
/// Why panels: for a single short query a full-width `sgemm` spends much of its time repacking
/// the weight operand (see docs/performance.md#embedding), which it does on every call.
/// OpenBLAS has an unpacked "small matrix" kernel for row-major NoTrans/NoTrans products with
/// alpha 1, beta 0 and M·N·K ≤ 10⁶, but only in its AVX-512 kernel sets (SkylakeX, Cooperlake).
/// Cutting `Wᵀ` into `[in, 32]` blocks makes each product a row of such small calls on
/// contiguous memory. Where that kernel is not available the panels would not help, so whether
/// to build them is measured at start (``BertEncoder/panelsPayOff(weights:configuration:)``);
/// they cost a 42 MiB copy for MiniLM-L6 when used.
struct DenseWeight: Sendable {
    /// Panel width: a multiple of 8 dividing every MiniLM layer width.
    static let panelWidth = 32

    let matrix: Float32Tensor
    /// `[out / 32, in, 32]`, or `nil` when panels are not used.
    let panels: Float32Tensor?

    init(_ matrix: Float32Tensor, panels: Bool) {
        self.matrix = matrix
        self.panels = panels && matrix.shape[0] % Self.panelWidth == 0
            ? matrix.columnPanelsOfTranspose(width: Self.panelWidth) : nil
    }

    var outputs: Int { matrix.shape[0] }
    var inputs: Int { matrix.shape[1] }

    /// The same weight with panels built (or dropped).
    func withPanels(_ panels: Bool) -> DenseWeight { DenseWeight(matrix, panels: panels) }
}

/// One encoder layer's parameters. Matrices are ``DenseWeight``s (PyTorch's `[out, in]`
/// layout, products `X · Wᵀ`); biases and LayerNorm parameters point into the mapped file.
struct BertLayerWeights: Sendable {
    /// Query, key and value weights stacked into one `[3·hidden, hidden]` matrix (and their
    /// biases into one vector), so one product computes all three projections: with few rows
    /// a wider product runs much closer to peak than three narrow ones.
    let qkvWeight: DenseWeight
    let qkvBias: Float32Tensor
    let attentionOutputWeight: DenseWeight
    let attentionOutputBias: Float32Tensor
    let attentionNormWeight: Float32Tensor
    let attentionNormBias: Float32Tensor
    let intermediateWeight: DenseWeight
    let intermediateBias: Float32Tensor
    let outputWeight: DenseWeight
    let outputBias: Float32Tensor
    let outputNormWeight: Float32Tensor
    let outputNormBias: Float32Tensor

    /// The same layer with the matrices' panels built (or dropped).
    func withPanels(_ panels: Bool) -> BertLayerWeights {
        BertLayerWeights(
            qkvWeight: qkvWeight.withPanels(panels), qkvBias: qkvBias,
            attentionOutputWeight: attentionOutputWeight.withPanels(panels), attentionOutputBias: attentionOutputBias,
            attentionNormWeight: attentionNormWeight, attentionNormBias: attentionNormBias,
            intermediateWeight: intermediateWeight.withPanels(panels), intermediateBias: intermediateBias,
            outputWeight: outputWeight.withPanels(panels), outputBias: outputBias,
            outputNormWeight: outputNormWeight, outputNormBias: outputNormBias)
    }
}

/// All parameters of a BERT encoder. Everything points into the memory-mapped safetensors
/// file except the stacked QKV matrices (3 × hidden² floats a layer, 10 MiB for MiniLM-L6)
/// and, when used, the weight panels (see ``DenseWeight``).
struct BertWeights: Sendable {
    let wordEmbeddings: Float32Tensor
    let positionEmbeddings: Float32Tensor
    let tokenTypeEmbeddings: Float32Tensor
    let embeddingNormWeight: Float32Tensor
    let embeddingNormBias: Float32Tensor
    let layers: [BertLayerWeights]

    /// The same weights with every layer's panels built (or dropped).
    func withPanels(_ panels: Bool) -> BertWeights {
        BertWeights(wordEmbeddings: wordEmbeddings, positionEmbeddings: positionEmbeddings,
                    tokenTypeEmbeddings: tokenTypeEmbeddings, embeddingNormWeight: embeddingNormWeight,
                    embeddingNormBias: embeddingNormBias, layers: layers.map { $0.withPanels(panels) })
    }

    private init(wordEmbeddings: Float32Tensor, positionEmbeddings: Float32Tensor, tokenTypeEmbeddings: Float32Tensor,
                 embeddingNormWeight: Float32Tensor, embeddingNormBias: Float32Tensor, layers: [BertLayerWeights]) {
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.tokenTypeEmbeddings = tokenTypeEmbeddings
        self.embeddingNormWeight = embeddingNormWeight
        self.embeddingNormBias = embeddingNormBias
        self.layers = layers
    }

    /// Loads and shape-checks every tensor. Accepts names with or without the `bert.` prefix
    /// that `BertForPreTraining` checkpoints carry.
    init(file: SafeTensorsFile, configuration c: BertConfiguration) throws(SafeTensorsError) {
        let prefix = file.tensors["embeddings.word_embeddings.weight"] == nil
            && file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func tensor(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> Float32Tensor {
            try file.float32(prefix + name, shape: shape)
        }
        let h = c.hiddenSize
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [c.vocabularySize, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [c.maximumPositions, h])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, h])
        embeddingNormWeight = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try tensor("embeddings.LayerNorm.bias", [h])
        var layers: [BertLayerWeights] = []
        for index in 0..<c.layerCount {
            let p = "encoder.layer.\(index)."
            let q = try tensor(p + "attention.self.query.weight", [h, h])
            let k = try tensor(p + "attention.self.key.weight", [h, h])
            let v = try tensor(p + "attention.self.value.weight", [h, h])
            let qb = try tensor(p + "attention.self.query.bias", [h])
            let kb = try tensor(p + "attention.self.key.bias", [h])
            let vb = try tensor(p + "attention.self.value.bias", [h])
            layers.append(BertLayerWeights(
                qkvWeight: DenseWeight(Float32Tensor.concatenating([q, k, v], shape: [3 * h, h]), panels: false),
                qkvBias: Float32Tensor.concatenating([qb, kb, vb], shape: [3 * h]),
                attentionOutputWeight: DenseWeight(try tensor(p + "attention.output.dense.weight", [h, h]), panels: false),
                attentionOutputBias: try tensor(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                intermediateWeight: DenseWeight(try tensor(p + "intermediate.dense.weight", [c.intermediateSize, h]), panels: false),
                intermediateBias: try tensor(p + "intermediate.dense.bias", [c.intermediateSize]),
                outputWeight: DenseWeight(try tensor(p + "output.dense.weight", [h, c.intermediateSize]), panels: false),
                outputBias: try tensor(p + "output.dense.bias", [h]),
                outputNormWeight: try tensor(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }
}

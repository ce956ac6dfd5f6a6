import CQuantKernels

/// How an index stores the copy of each vector that its graph traversal reads.
public enum VectorQuantization: String, Sendable, Codable, CaseIterable {
    /// Traversal computes float dot products on the stored vectors.
    case none
    /// Traversal scores 8-bit codes (one byte per dimension, trained per dimension from the
    /// data) with an integer kernel, then re-ranks its final candidates on the float vectors.
    /// A visit reads a quarter of the bytes, which is what a search of a graph larger than the
    /// CPU's caches waits for.
    case int8
    /// As `int8` with 4-bit codes (16 levels a dimension, two dimensions a byte): half the
    /// bytes again, coarser distances, so a search needs a larger `ef` for the same recall.
    case int4

    /// Code levels a dimension (the largest code), or `nil` without codes.
    var codeLevels: Int? {
        switch self {
        case .none: nil
        case .int8: 255
        case .int4: 15
        }
    }
}

/// Per-dimension affine codes: component `i` of a vector is approximated by
/// `low[i] + step[i]·code[i]`, with `code[i]` in `0...levels` (255 for 8-bit codes, one a
/// byte; 15 for 4-bit codes, packed two a byte as ``CQuantKernels`` lays them out) and
/// `[low, low + levels·step]` the range of that component over the vectors the quantizer was
/// trained on (values outside it are clamped).
///
/// A query is prepared once per search into signed 8-bit weights `w[i] ≈ q[i]·step[i] / scale`,
/// so that `dot(q, x) ≈ bias + scale·Σ w[i]·code[i]` with `bias = Σ q[i]·low[i]`: the sum is
/// one integer kernel call (``CQuantKernels``), exact in 32 bits.
///
/// A plain struct of raw pointers, like ``GraphStorage``: the owning index frees it.
struct ScalarQuantizer {
    let dimension: Int
    /// The largest code: 255 or 15 (packed).
    let levels: Int
    let low: UnsafeMutablePointer<Float>
    let step: UnsafeMutablePointer<Float>
    /// `1 / step[i]`, or 0 for a dimension that was constant in the training data.
    let inverseStep: UnsafeMutablePointer<Float>

    /// Trains on the vectors `vector` gives for `rows`, skipping the rows it gives none for (each
    /// pointer is read before the next call); `nil` when it gives none. O(rows·dimension).
    /// - Precondition: `levels` is 255 or 15.
    init?(dimension: Int, levels: Int = 255, rows: some Sequence<UInt32>, vector: (UInt32) -> UnsafePointer<Float>?) {
        self.dimension = dimension
        self.levels = levels
        low = .allocate(capacity: dimension)
        step = .allocate(capacity: dimension)
        inverseStep = .allocate(capacity: dimension)
        let high = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
        defer { high.deallocate() }
        low.initialize(repeating: .infinity, count: dimension)
        high.initialize(repeating: -.infinity, count: dimension)
        var trained = false
        for row in rows {
            guard let v = vector(row) else { continue }
            trained = true
            for i in 0..<dimension {
                low[i] = min(low[i], v[i])
                high[i] = max(high[i], v[i])
            }
        }
        guard trained else {
            deallocate()
            return nil
        }
        for i in 0..<dimension {
            // Stored components are finite, but their range can overflow Float: such a
            // dimension gets no codes (step 0) rather than infinities.
            let range = high[i] - low[i]
            let usable = range > 0 && range.isFinite && (Float(levels) / range).isFinite
            step[i] = usable ? range / Float(levels) : 0
            inverseStep[i] = usable ? Float(levels) / range : 0
        }
    }

    /// An independent copy (its own buffers), for another index. O(dimension).
    func copy() -> ScalarQuantizer { ScalarQuantizer(copying: self) }

    private init(copying other: ScalarQuantizer) {
        dimension = other.dimension
        levels = other.levels
        low = .allocate(capacity: dimension)
        step = .allocate(capacity: dimension)
        inverseStep = .allocate(capacity: dimension)
        low.update(from: other.low, count: dimension)
        step.update(from: other.step, count: dimension)
        inverseStep.update(from: other.inverseStep, count: dimension)
    }

    func deallocate() {
        low.deallocate()
        step.deallocate()
        inverseStep.deallocate()
    }

    /// Bytes of codes a vector takes.
    var codeBytes: Int { packed ? (dimension + 1) / 2 : dimension }

    /// Whether codes are 4-bit, two a byte.
    var packed: Bool { levels == 15 }

    /// Writes the codes of `vector` (``codeBytes`` bytes). O(dimension).
    /// Comparisons rather than `min`/`max` clamp, so that even a NaN (an overflow of
    /// `vector[i] - low[i]`) yields a code instead of a trap.
    /// - Returns: whether the codes represent the vector: `false` when a component lies
    ///   outside its trained range by more than a quarter of the range (or differs from a
    ///   dimension that was constant in training), so clamping distorts it.
    @discardableResult @inline(__always)
    func encode(_ vector: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt8>) -> Bool {
        var fits = true
        let top = Float(levels), margin = Float(levels) / 4
        @inline(__always) func code(_ i: Int) -> UInt8 {
            let scaled = (vector[i] - low[i]) * inverseStep[i]
            if !(scaled >= -margin && scaled <= top + margin) || inverseStep[i] == 0 && vector[i] != low[i] { fits = false }
            return scaled >= top ? UInt8(levels) : scaled > 0 ? UInt8(scaled.rounded()) : 0
        }
        if packed {
            let half = codeBytes
            for j in 0..<half { codes[j] = code(j) | (j + half < dimension ? code(j + half) << 4 : 0) }
        } else {
            for i in 0..<dimension { codes[i] = code(i) }
        }
        return fits
    }

    /// The code of dimension `i` in `codes`.
    @inline(__always)
    func code(_ i: Int, in codes: UnsafePointer<UInt8>) -> UInt8 {
        guard packed else { return codes[i] }
        let half = codeBytes
        return i < half ? codes[i] & 15 : codes[i - half] >> 4
    }

    /// The squared norm of the vector `codes` decode to. O(dimension).
    func squaredNorm(of codes: UnsafePointer<UInt8>) -> Float {
        var sum: Float = 0
        for i in 0..<dimension {
            let value = low[i] + step[i] * Float(code(i, in: codes))
            sum += value * value
        }
        return sum
    }

    /// Prepares `query` into `weights` and returns the affine terms of the score, or `nil` when
    /// the codes cannot rank this query (every weight zero, or terms that overflow Float): the
    /// search then scores floats. O(dimension).
    @inline(__always)
    func prepare(_ query: UnsafePointer<Float>, weights: UnsafeMutablePointer<Int8>) -> (bias: Float, scale: Float)? {
        var bias: Float = 0
        var largest: Float = 0
        for i in 0..<dimension {
            bias += query[i] * low[i]
            largest = max(largest, abs(query[i] * step[i]))
        }
        guard largest > 0, largest.isFinite, bias.isFinite else { return nil }
        for i in 0..<dimension {
            // |query[i]·step[i]| ≤ largest, so the ratio is in [-127, 127].
            let weight = query[i] * step[i] / largest * 127
            weights[i] = weight >= 127 ? 127 : weight <= -127 ? -127 : weight == weight ? Int8(weight.rounded()) : 0
        }
        return (bias, largest / 127)
    }
}

/// A query prepared for scoring codes: what ``GraphStorage/approximateDistance(_:to:metric:)``
/// needs, held in registers for the whole traversal.
struct QuantizedQuery {
    let weights: UnsafePointer<Int8>
    let bias: Float
    let scale: Float
    /// The squared norm of the query (1 under cosine), for L2 distances.
    let squaredNorm: Float
    let kernel: engram_u8s8_dot_fn
}

/// The integer kernels this process uses, chosen once by CPU features.
enum QuantizedKernel {
    static let dot: engram_u8s8_dot_fn = engram_u8s8_dot_kernel()
    /// The same for packed 4-bit codes.
    static let dot4: engram_u8s8_dot_fn = engram_u4s8_dot_kernel()
    /// "avx512-vnni", "avx2" or "portable".
    static let name = String(cString: engram_u8s8_dot_kernel_name())
}

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
}

/// Per-dimension affine 8-bit codes: component `i` of a vector is approximated by
/// `low[i] + step[i]·code[i]`, with `code[i]` in 0...255 and `[low, low + 255·step]` the range
/// of that component over the vectors the quantizer was trained on (values outside it are
/// clamped).
///
/// A query is prepared once per search into signed 8-bit weights `w[i] ≈ q[i]·step[i] / scale`,
/// so that `dot(q, x) ≈ bias + scale·Σ w[i]·code[i]` with `bias = Σ q[i]·low[i]`: the sum is
/// one integer kernel call (``CQuantKernels``), exact in 32 bits.
///
/// A plain struct of raw pointers, like ``GraphStorage``: the owning index frees it.
struct ScalarQuantizer {
    let dimension: Int
    let low: UnsafeMutablePointer<Float>
    let step: UnsafeMutablePointer<Float>
    /// `1 / step[i]`, or 0 for a dimension that was constant in the training data.
    let inverseStep: UnsafeMutablePointer<Float>

    /// Trains on `count` vectors, the `i`th at `vector(i)`. O(count·dimension).
    /// - Precondition: `count > 0`.
    init(dimension: Int, count: Int, vector: (Int) -> UnsafePointer<Float>) {
        self.dimension = dimension
        low = .allocate(capacity: dimension)
        step = .allocate(capacity: dimension)
        inverseStep = .allocate(capacity: dimension)
        let high = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
        defer { high.deallocate() }
        let first = vector(0)
        low.update(from: first, count: dimension)
        high.update(from: first, count: dimension)
        for row in 1..<max(count, 1) {
            let v = vector(row)
            for i in 0..<dimension {
                low[i] = min(low[i], v[i])
                high[i] = max(high[i], v[i])
            }
        }
        for i in 0..<dimension {
            // Stored components are finite, but their range can overflow Float: such a
            // dimension gets no codes (step 0) rather than infinities.
            let range = high[i] - low[i]
            let usable = range > 0 && range.isFinite && (255 / range).isFinite
            step[i] = usable ? range / 255 : 0
            inverseStep[i] = usable ? 255 / range : 0
        }
    }

    /// An independent copy (its own buffers), for another index. O(dimension).
    func copy() -> ScalarQuantizer { ScalarQuantizer(copying: self) }

    private init(copying other: ScalarQuantizer) {
        dimension = other.dimension
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

    /// Writes the codes of `vector`. O(dimension).
    /// Comparisons rather than `min`/`max` clamp, so that even a NaN (an overflow of
    /// `vector[i] - low[i]`) yields a code instead of a trap.
    /// - Returns: whether the codes represent the vector: `false` when a component lies
    ///   outside its trained range by more than a quarter of the range (or differs from a
    ///   dimension that was constant in training), so clamping distorts it.
    @discardableResult @inline(__always)
    func encode(_ vector: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt8>) -> Bool {
        var fits = true
        for i in 0..<dimension {
            let scaled = (vector[i] - low[i]) * inverseStep[i]
            codes[i] = scaled >= 255 ? 255 : scaled > 0 ? UInt8(scaled.rounded()) : 0
            if !(scaled >= -64 && scaled <= 319) || inverseStep[i] == 0 && vector[i] != low[i] { fits = false }
        }
        return fits
    }

    /// The squared norm of the vector `codes` decode to. O(dimension).
    func squaredNorm(of codes: UnsafePointer<UInt8>) -> Float {
        var sum: Float = 0
        for i in 0..<dimension {
            let value = low[i] + step[i] * Float(codes[i])
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

/// The integer kernel this process uses, chosen once by CPU features.
enum QuantizedKernel {
    static let dot: engram_u8s8_dot_fn = engram_u8s8_dot_kernel()
    /// "avx512-vnni", "avx2" or "portable".
    static let name = String(cString: engram_u8s8_dot_kernel_name())
}

import CBLASShim

/// The distance kernels. All of them are thin, inlinable calls into BLAS, so a caller's hot
/// loop calls `cblas_sdot` directly with no Swift frame in between.
public enum Kernels {
    /// `Σ a[i]·b[i]` over `count` contiguous floats. O(count).
    /// - Precondition: both pointers address at least `count` floats.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(Int32(truncatingIfNeeded: count), a, 1, b, 1)
    }

    /// Dot product of two equally long buffers.
    /// - Precondition: `a.count == b.count`.
    @inlinable
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "dot of vectors of different dimensions")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        return dot(pa, pb, count: a.count)
    }

    /// Dot product of two arrays. - Precondition: equal counts.
    @inlinable
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa, pb) } }
    }

    /// `|v|²`.
    @inlinable @inline(__always)
    public static func squaredNorm(_ v: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(Int32(truncatingIfNeeded: count), v, 1, v, 1)
    }

    /// How far from 1 a norm may be for the vector to count as unit length already.
    /// Normalising a unit vector again changes its last bits (float rounding), so a stored
    /// vector that goes out (export) and back in (import) would not come back the same.
    public static let unitNormTolerance: Float = 1e-5

    /// Scales `v` to unit length in place and returns its original norm. A zero vector (or one
    /// whose norm is not finite) is left unchanged and its norm returned so callers can reject
    /// it; so is a vector already of unit length (within ``unitNormTolerance``), which keeps
    /// normalisation idempotent bit for bit.
    @inlinable
    @discardableResult
    public static func normalize(_ v: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let norm = squaredNorm(v, count: count).squareRoot()
        guard norm > 0, norm.isFinite, abs(norm - 1) > unitNormTolerance else { return norm }
        let inverse = 1 / norm
        for i in 0..<count { v[i] *= inverse }
        return norm
    }

    /// Unit-length copy of `v` (unchanged when `v` is zero). O(count).
    @inlinable
    public static func normalized(_ v: [Float]) -> [Float] {
        var copy = v
        copy.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { normalize(base, count: buffer.count) }
        }
        return copy
    }

    /// Whether every component is finite (no NaN or ±Inf), which every stored vector must be.
    @inlinable
    public static func allFinite(_ v: UnsafeBufferPointer<Float>) -> Bool {
        for x in v where !x.isFinite { return false }
        return true
    }
}

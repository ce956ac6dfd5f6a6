/// How two vectors are compared. Every metric is evaluated through `cblas_sdot`.
///
/// Distances are "smaller is closer" so that one heap discipline serves all metrics.
public enum Metric: String, Sendable, Codable, CaseIterable {
    /// Cosine similarity on L2-normalised vectors: vectors are normalised when stored and
    /// queries when searched, so the distance is `1 - dot(a, b)` in `[0, 2]`.
    case cosine
    /// Squared Euclidean distance `|a|² + |b|² - 2·dot(a, b)`, with each stored vector's
    /// squared norm kept beside it so one dot product per pair suffices.
    case l2

    /// Whether vectors are normalised to unit length on the way in.
    public var normalizesVectors: Bool { self == .cosine }

    /// Distance from a dot product and the two squared norms.
    @inlinable @inline(__always)
    public func distance(dot: Float, queryNormSquared: Float, vectorNormSquared: Float) -> Float {
        switch self {
        case .cosine: return 1 - dot
        case .l2: return max(0, queryNormSquared + vectorNormSquared - 2 * dot)
        }
    }

    /// Similarity score reported to users: cosine similarity for `.cosine`, negative squared
    /// distance for `.l2` (so that, for both, larger is better).
    @inlinable
    public func score(distance: Float) -> Float {
        switch self {
        case .cosine: return 1 - distance
        case .l2: return -distance
        }
    }
}

import MemoryStore

/// One entry a hybrid search considers, scored by both retrievals.
struct FusionCandidate {
    var entry: MemoryEntry
    var distance: Float
    var similarity: Double
    /// BM25 (0 when the entry holds no query term).
    var lexical: Double
    /// 1-based position in each ranking's candidates; `nil` when it was not among them.
    var vectorRank: Int?
    var lexicalRank: Int?
}

/// The two ways a hybrid search combines its rankings (``FusionMethod``).
///
/// Blending is the default because it was measured best on conversational memory (see
/// docs/engine.md, "Hybrid retrieval"): RRF over deep candidate lists lets entries that are
/// mediocre in both rankings outrank one that is excellent in one, while a min-max blend
/// keeps how far ahead an entry is in each.
enum Fusion {
    /// The fused score of each candidate, in order. O(candidates).
    static func fuse(_ candidates: [FusionCandidate], settings: SearchDefaults) -> [Double] {
        let wv = settings.vectorWeight, wl = settings.lexicalWeight
        switch settings.fusion {
        case .rrf:
            return candidates.map { candidate in
                (candidate.vectorRank.map { wv / (settings.rrfK + Double($0)) } ?? 0)
                    + (candidate.lexicalRank.map { wl / (settings.rrfK + Double($0)) } ?? 0)
            }
        case .blend:
            let v = normalized(candidates.map(\.similarity))
            let l = normalized(candidates.map(\.lexical))
            return zip(v, l).map { (wv * $0 + wl * $1) / (wv + wl) }
        }
    }

    /// Min-max normalisation to 0…1. When all values are equal there is no spread to
    /// normalise: each becomes 1 if positive, else 0 (so "no query term anywhere" adds nothing).
    static func normalized(_ values: [Double]) -> [Double] {
        guard let low = values.min(), let high = values.max() else { return [] }
        guard high > low else { return values.map { $0 > 0 ? 1 : 0 } }
        return values.map { ($0 - low) / (high - low) }
    }
}

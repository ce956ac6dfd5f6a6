public import MemoryStore

/// How confidence follows from evidence: **one** formula, a Beta-posterior mean.
///
/// An entry's belief is `Beta(α, β)` and its confidence is the mean `α / (α + β)`, with
///
///     α = c₀·s + wₛ·(support − 1) + wᵤ·useful
///     β = (1 − c₀)·s + wₙ·notUseful + w꜀·contradictions
///
/// where `c₀` is the confidence the entry was created with (the prior mean), `s` is
/// ``priorStrength`` (how many observations the prior is worth) and the `w`s are the weights
/// below. `support − 1` because the first teaching is what set the prior.
///
/// The engine never stores `c₀`: it keeps the current confidence `c` and recovers the
/// pseudo-count `n = α + β = s + wₛ(support−1) + wᵤ·useful + wₙ·notUseful + w꜀·contradictions`
/// from the evidence, so one more observation of weight `w` gives
/// `c' = (c·n + w) / (n + w)` (supporting) or `c' = c·n / (n + w)` (against) —
/// algebraically the closed form above. When a caller sets the confidence explicitly (edit,
/// revert), that value becomes the current mean and later evidence moves it from there with
/// the same weight `n`: the correction is respected, not overwritten by history.
///
/// Properties: `0 ≤ c ≤ 1` always; each observation moves `c` by at most `w / (n + w)`, so
/// well-established entries change slowly and new ones quickly.
public struct ConfidenceModel: Sendable, Equatable, Codable {
    /// `s`: weight of the prior (the initial confidence) in observations. Default 2.
    public var priorStrength: Double = 2
    /// `wₛ`: weight of each reinforcement by `learn`. Default 1.
    public var supportWeight: Double = 1
    /// `wᵤ`: weight of each "useful" feedback. Default 1.
    public var usefulWeight: Double = 1
    /// `wₙ`: weight of each "not useful" feedback. Default 1.
    public var notUsefulWeight: Double = 1
    /// `w꜀`: weight of each contradiction. Default 2 (a contradiction is stronger evidence
    /// than a missed retrieval).
    public var contradictionWeight: Double = 2

    public init(priorStrength: Double = 2, supportWeight: Double = 1, usefulWeight: Double = 1,
                notUsefulWeight: Double = 1, contradictionWeight: Double = 2) {
        self.priorStrength = priorStrength
        self.supportWeight = supportWeight
        self.usefulWeight = usefulWeight
        self.notUsefulWeight = notUsefulWeight
        self.contradictionWeight = contradictionWeight
    }

    /// Every key optional, defaulting as above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ConfidenceModel()
        priorStrength = try c.decodeIfPresent(Double.self, forKey: .priorStrength) ?? d.priorStrength
        supportWeight = try c.decodeIfPresent(Double.self, forKey: .supportWeight) ?? d.supportWeight
        usefulWeight = try c.decodeIfPresent(Double.self, forKey: .usefulWeight) ?? d.usefulWeight
        notUsefulWeight = try c.decodeIfPresent(Double.self, forKey: .notUsefulWeight) ?? d.notUsefulWeight
        contradictionWeight = try c.decodeIfPresent(Double.self, forKey: .contradictionWeight) ?? d.contradictionWeight
    }

    enum CodingKeys: String, CodingKey {
        case priorStrength = "prior_strength"
        case supportWeight = "support_weight"
        case usefulWeight = "useful_weight"
        case notUsefulWeight = "not_useful_weight"
        case contradictionWeight = "contradiction_weight"
    }

    func validate() throws(EngineError) {
        let all = [priorStrength, supportWeight, usefulWeight, notUsefulWeight, contradictionWeight]
        guard all.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1_000_000 }), priorStrength > 0 else {
            throw .invalidArgument("confidence weights must be finite and ≥ 0, prior_strength > 0")
        }
    }

    /// One kind of evidence.
    public enum Observation: Sendable, Equatable {
        case support, useful, notUseful, contradiction
    }

    /// `n = α + β` for `evidence`. O(1).
    public func pseudoCount(_ evidence: Evidence) -> Double {
        priorStrength
            + supportWeight * Double(evidence.support.saturatingDecrement)
            + usefulWeight * Double(evidence.useful)
            + notUsefulWeight * Double(evidence.notUseful)
            + contradictionWeight * Double(evidence.contradictions)
    }

    /// The closed form: confidence of an entry created with `initial` that has gathered
    /// `evidence`. O(1).
    public func confidence(initial: Double, evidence: Evidence) -> Double {
        let alpha = initial * priorStrength + supportWeight * Double(evidence.support.saturatingDecrement)
            + usefulWeight * Double(evidence.useful)
        let n = pseudoCount(evidence)
        return min(1, max(0, alpha / n))
    }

    /// Adds one observation to `evidence` and moves `confidence` accordingly (the incremental
    /// form of the formula; see the type's documentation). O(1).
    public func observe(_ observation: Observation, confidence: inout Double, evidence: inout Evidence) {
        let n = pseudoCount(evidence)
        let weight: Double
        let supports: Bool
        switch observation {
        case .support:
            evidence.support = MemoryStore.saturatingCount(evidence.support, plus: 1)
            weight = supportWeight
            supports = true
        case .useful:
            evidence.useful = MemoryStore.saturatingCount(evidence.useful, plus: 1)
            weight = usefulWeight
            supports = true
        case .notUseful:
            evidence.notUseful = MemoryStore.saturatingCount(evidence.notUseful, plus: 1)
            weight = notUsefulWeight
            supports = false
        case .contradiction:
            evidence.contradictions = MemoryStore.saturatingCount(evidence.contradictions, plus: 1)
            weight = contradictionWeight
            supports = false
        }
        guard weight > 0 else { return }
        let alpha = confidence * n + (supports ? weight : 0)
        confidence = min(1, max(0, alpha / (n + weight)))
    }
}

extension UInt64 {
    var saturatingDecrement: UInt64 { self == 0 ? 0 : self - 1 }
}

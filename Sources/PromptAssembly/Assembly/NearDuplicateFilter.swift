import EngramAPI
/// Drops memories that say the same thing as a better-ranked one.
///
/// **Why text and not vectors.** The daemon's search hits (`SearchHit`) carry the entry and its
/// similarity to the query, not the entry's embedding, and fetching every vector would cost one
/// more request per hit. So two memories are compared by their *normalized text*: lower-cased,
/// split into words of letters and digits (punctuation and spacing ignored). They are
/// near-duplicates when the normalized texts are equal or when the cosine between their
/// word-count vectors reaches `threshold` (`prompt.duplicate_threshold`, default 0.9; with 1.0
/// only texts with the same words in the same counts are dropped).
///
/// Best first: input order is rank order, and a memory is kept only if it is not a
/// near-duplicate of any memory already kept. O(n² · w) for n memories of w words; n is the
/// search's `k` (small).
public struct NearDuplicateFilter: Sendable {
    public let threshold: Double

    public init(threshold: Double) {
        self.threshold = threshold
    }

    /// The items of `items` that survive, in their order; `text` reads an item's text.
    public func filter<Item>(_ items: [Item], text: (Item) -> String) -> [Item] {
        // Squared norms, so that the cosine of two equal bags is exactly 1 (√(a·a) is exact).
        var kept: [(item: Item, words: [String: Int], squaredNorm: Double, joined: String)] = []
        for item in items {
            let words = Self.words(text(item))
            let counts = words.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            let squaredNorm = counts.values.reduce(0.0) { $0 + Double($1 * $1) }
            let joined = words.joined(separator: " ")
            let duplicate = kept.contains { other in
                if other.joined == joined { return true }
                guard squaredNorm > 0, other.squaredNorm > 0 else { return false }
                var dot = 0.0
                for (word, count) in counts { dot += Double(count * (other.words[word] ?? 0)) }
                return dot / (squaredNorm * other.squaredNorm).squareRoot() >= threshold
            }
            if !duplicate { kept.append((item, counts, squaredNorm, joined)) }
        }
        return kept.map(\.item)
    }

    /// Lower-cased words of letters and digits.
    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }
}

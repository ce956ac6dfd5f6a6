import EngramJSON
import Foundation

// `POST …/search`: the request's JSON form and the response.

/// `POST …/search`'s body: by `text` (the daemon embeds it) or by `vector`.
///
/// The vector travels as `vector_b64` or `vector` and is taken out of the body before the
/// rest is decoded (see ``VectorBodySplitter``), so ``init(from:)`` reads neither.
extension SearchRequest: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case text, k, ef, filter, rank, mode, fusion, context }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(text: try c.decodeIfPresent(String.self, forKey: .text), vector: nil,
                  k: try c.decodeIfPresent(Int.self, forKey: .k), ef: try c.decodeIfPresent(Int.self, forKey: .ef),
                  filter: try c.decodeIfPresent(SearchFilter.self, forKey: .filter),
                  rank: try c.decodeIfPresent(RankOptions.self, forKey: .rank),
                  mode: try c.decodeIfPresent(SearchMode.self, forKey: .mode),
                  fusion: try c.decodeIfPresent(FusionOptions.self, forKey: .fusion),
                  context: try c.decodeIfPresent(Int.self, forKey: .context))
    }

    /// The members given, the vector as `vector_b64` (see also ``jsonBytes()``).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(k, forKey: .k)
        try c.encodeIfPresent(ef, forKey: .ef)
        try c.encodeIfPresent(filter, forKey: .filter)
        try c.encodeIfPresent(rank, forKey: .rank)
        try c.encodeIfPresent(mode, forKey: .mode)
        try c.encodeIfPresent(fusion, forKey: .fusion)
        try c.encodeIfPresent(context, forKey: .context)
        try encoder.encodeVectorB64(vector)
    }
}

/// `POST …/search`'s document.
public struct SearchResponse: Sendable, Hashable, Codable {
    public var hits: [SearchHit]

    public init(hits: [SearchHit]) {
        self.hits = hits
    }
}

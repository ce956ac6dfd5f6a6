public import Embeddings

/// A deterministic embedder for tests: each word hashes (FNV-1a) to one of `dimension`
/// components with a sign, so texts sharing words are close and identical texts identical.
/// O(characters) per text; no model files.
public struct WordHashEmbedder: Embedder {
    public let dimension: Int
    public let identifier: String

    public init(dimension: Int = 32, identifier: String? = nil) {
        self.dimension = dimension
        self.identifier = identifier ?? "test-word-hash-\(dimension)"
    }

    public func embed(_ texts: [String]) throws -> [[Float]] { texts.map(vector) }

    public func vector(_ text: String) -> [Float] {
        var result = [Float](repeating: 0, count: dimension)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            result[Int(hash % UInt64(dimension))] += (hash >> 32) & 1 == 0 ? 1 : -1
        }
        if result.allSatisfy({ $0 == 0 }) { result[0] = 1 }
        return result
    }
}

/// The known keys already met in one object (one bit each), so a key given twice is refused
/// without allocating.
package struct SeenKeys {
    private var bits: UInt64 = 0

    package init() {}

    /// Records key number `index` (0..<64); fails when it was met before.
    package mutating func first(_ index: Int, _ key: JSONKey, _ reader: JSONReader) throws(JSONReader.Failure) {
        let bit: UInt64 = 1 << UInt64(index)
        guard bits & bit == 0 else { throw reader.failure("key \"\(key.text)\" given twice") }
        bits |= bit
    }
}

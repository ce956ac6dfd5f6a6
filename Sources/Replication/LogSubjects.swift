/// The NATS names replication uses. A namespace name (`[A-Za-z0-9._-]`) is hex-encoded where
/// it becomes a subject token or key, since `.` separates tokens.
enum LogSubjects {
    /// Entry and namespace writes of `namespace`: appended only by its owner, with the
    /// subject's expected last sequence.
    static func writes(_ namespace: String, stream: String) -> String { "\(logPrefix(stream)).ns.\(hex(namespace))" }
    /// Use counts of `namespace`: any node may append (they commute with every write).
    static func uses(_ namespace: String, stream: String) -> String { "\(logPrefix(stream)).use.\(hex(namespace))" }
    /// Every subject of the stream.
    static func all(stream: String) -> String { "\(logPrefix(stream)).>" }
    /// Where node `node` takes writes forwarded by other nodes (outside the stream's subjects).
    static func forwarding(to node: String, stream: String) -> String { "engram.node.\(stream.lowercased()).\(node).http" }
    /// The lease bucket's key of `namespace`.
    static func leaseKey(_ namespace: String) -> String { "ns-" + hex(namespace) }

    static func logPrefix(_ stream: String) -> String { "engram.log.\(stream.lowercased())" }

    static func hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 2)
        for byte in text.utf8 {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

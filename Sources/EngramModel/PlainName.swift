/// The names Engram takes as path components and URL segments: namespace names
/// (docs/architecture.md, "Data model and guarantees") and backup directory names.
public enum PlainName {
    /// 1–128 of `[A-Za-z0-9._-]`, and not `.` or `..`, which a URL path or a file name built
    /// from the name would read as a directory step. O(length).
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...128).contains(bytes.count) && name != "." && name != ".." && bytes.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
                || byte == 0x2e || byte == 0x5f || byte == 0x2d
        }
    }
}

/// Renders rows as an aligned, space-separated table with a header line, the way `ls -l`,
/// `docker ps` and `kubectl get` print: easy to read and easy to `awk`.
///
/// Widths are measured in `Character`s (grapheme clusters), which is exact for the ASCII and
/// Latin text of ids, times and tags and close enough for wide scripts in a `TEXT` column.
/// A column with a `maxWidth` has longer cells cut with a trailing "…"; newlines and tabs in
/// cells become spaces so one row stays one line.
public struct TableRenderer: Sendable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable {
        public var title: String
        public var alignment: Alignment
        /// `nil`: as wide as the widest cell.
        public var maxWidth: Int?

        public init(_ title: String, _ alignment: Alignment = .left, maxWidth: Int? = nil) {
            self.title = title
            self.alignment = alignment
            self.maxWidth = maxWidth
        }
    }

    public var columns: [Column]
    public var rows: [[String]] = []

    public init(_ columns: [Column]) { self.columns = columns }

    /// Adds a row; missing cells are empty, extra cells are ignored.
    public mutating func append(_ cells: [String]) { rows.append(cells) }

    /// The table, one line per row after the header, each line ending in "\n"; trailing spaces
    /// are trimmed. O(rows × columns).
    public func render() -> String {
        let cleaned = rows.map { row in
            columns.indices.map { index in
                Self.fit(index < row.count ? row[index] : "", maxWidth: columns[index].maxWidth)
            }
        }
        var widths = columns.map { $0.title.count }
        for row in cleaned {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var output = ""
        output += line(columns.map(\.title), widths: widths)
        for row in cleaned { output += line(row, widths: widths) }
        return output
    }

    private func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            let padding = String(repeating: " ", count: widths[index] - cell.count)
            let isLast = index == cells.count - 1
            switch columns[index].alignment {
            case .left: parts.append(isLast ? cell : cell + padding)
            case .right: parts.append(padding + cell)
            }
        }
        var text = parts.joined(separator: "  ")
        while text.last == " " { text.removeLast() }
        return text + "\n"
    }

    /// One line, at most `maxWidth` characters (the last one "…" when cut).
    static func fit(_ cell: String, maxWidth: Int?) -> String {
        var text = String(cell.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        if let maxWidth, maxWidth >= 1, text.count > maxWidth {
            text = String(text.prefix(maxWidth - 1)) + "…"
        }
        return text
    }
}

/// `key: value` lines with the keys padded to one width, for one object (`get`, `health`,
/// `namespace stats`).
public struct KeyValueRenderer: Sendable {
    public var pairs: [(String, String)] = []

    public init() {}

    public mutating func append(_ key: String, _ value: String) { pairs.append((key, value)) }

    public func render() -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            let padded = key + ":" + String(repeating: " ", count: width - key.count)
            return value.isEmpty ? padded.trimmingTrailingSpaces() + "\n" : padded + "  " + value + "\n"
        }.joined()
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

import Foundation
import Testing
@testable import EngramCLI

@Suite("Formatting: tables, times, numbers, vector files")
struct FormattingTests {
    @Test("a table aligns columns, right-aligns numbers, cuts long cells and keeps rows on one line")
    func table() {
        var table = TableRenderer([.init("ID", .right), .init("NAME"), .init("TEXT", maxWidth: 8)])
        table.append(["7", "alpha", "short"])
        table.append(["1234", "b", "a much longer text\nwith a newline"])
        #expect(table.render() == """
              ID  NAME   TEXT
               7  alpha  short
            1234  b      a much …

            """)
    }

    @Test("key/value views pad keys to one width")
    func keyValue() {
        var view = KeyValueRenderer()
        view.append("id", "1")
        view.append("confidence", "0.67")
        #expect(view.render() == "id:          1\nconfidence:  0.67\n")
    }

    @Test("relative times read naturally in both directions and fall back to a date")
    func relativeTimes() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(ValueFormatting.relative(now.addingTimeInterval(-2), now: now) == "just now")
        #expect(ValueFormatting.relative(now.addingTimeInterval(-42), now: now) == "42 s ago")
        #expect(ValueFormatting.relative(now.addingTimeInterval(-180), now: now) == "3 min ago")
        #expect(ValueFormatting.relative(now.addingTimeInterval(-5 * 3600), now: now) == "5 h ago")
        #expect(ValueFormatting.relative(now.addingTimeInterval(-2 * 86_400), now: now) == "2 d ago")
        #expect(ValueFormatting.relative(now.addingTimeInterval(600), now: now) == "in 10 min")
        #expect(ValueFormatting.relative(Date(timeIntervalSince1970: 0), now: now) == "1970-01-01")
        #expect(ValueFormatting.iso(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500Z")
        #expect(ValueFormatting.time(nil, now: now, wide: false) == "-")
    }

    @Test("numbers: confidences, grouped counts, bytes and durations")
    func numbers() {
        #expect(ValueFormatting.confidence(2.0 / 3.0) == "0.67")
        #expect(ValueFormatting.count(0) == "0")
        #expect(ValueFormatting.count(1234567) == "1,234,567")
        #expect(ValueFormatting.count(-1000) == "-1,000")
        #expect(ValueFormatting.bytes(512) == "512 B")
        #expect(ValueFormatting.bytes(1536 * 1024) == "1.5 MiB")
        #expect(ValueFormatting.duration(0.25) == "250 ms")
        #expect(ValueFormatting.duration(12.34) == "12.3 s")
        #expect(ValueFormatting.duration(245) == "4 min 05 s")
        #expect(ValueFormatting.duration(7380) == "2 h 03 min")
    }

    @Test("vector files: JSON arrays and raw little-endian float32; bad files are clear errors")
    func vectorFiles() throws {
        #expect(try VectorFile.parse(Data(" [1, -2.5, 0]\n".utf8), name: "v") == [1, -2.5, 0])
        var raw = Data()
        for value: Float in [0.5, -1, 3] { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        #expect(try VectorFile.parse(raw, name: "v") == [0.5, -1, 3])
        #expect(try VectorFile.parse(raw, format: .f32, name: "v") == [0.5, -1, 3])
        #expect(throws: CLIFailure.self) { try VectorFile.parse(raw.prefix(5), name: "v") }
        #expect(throws: CLIFailure.self) { try VectorFile.parse(Data("[1, \"x\"]".utf8), name: "v") }
        #expect(throws: CLIFailure.self) { try VectorFile.parse(Data("[]".utf8), name: "v") }
        #expect(throws: CLIFailure.self) { try VectorFile.parse(Data(), name: "v") }
        var nan = Data()
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { nan.append(contentsOf: $0) }
        #expect(throws: CLIFailure.self) { try VectorFile.parse(nan, name: "v") }
        #expect(throws: CLIFailure.self) { try VectorFile.read(path: "/nonexistent/vector") }
    }

    @Test("expiry: ISO 8601 times and durations from now")
    func expiry() throws {
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(try ArgumentParsing.expiry("7d", now: now) == now.addingTimeInterval(7 * 86_400))
        #expect(try ArgumentParsing.expiry("90m", now: now) == now.addingTimeInterval(5_400))
        #expect(try ArgumentParsing.expiry("1970-01-02T00:00:00Z", now: now) == Date(timeIntervalSince1970: 86_400))
        #expect(throws: (any Error).self) { try ArgumentParsing.expiry("soon", now: now) }
        #expect(throws: (any Error).self) { try ArgumentParsing.expiry("-3d", now: now) }
    }
}

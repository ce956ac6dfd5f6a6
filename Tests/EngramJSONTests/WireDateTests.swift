import Foundation
import Testing
@testable import EngramJSON

/// ``WireDate`` must give Foundation's ISO 8601 answers exactly, or decline.
@Suite("Wire dates")
struct WireDateTests {
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Random dates: any instant 1903–2099, instants on exact milliseconds (the hard case for
    /// truncation), and instants within days of 2001-01-01.
    static func dates(_ count: Int) -> [Date] {
        var random = SystemRandomNumberGenerator()
        return (0..<count).map { index in
            switch index % 3 {
            case 0: Date(timeIntervalSince1970: Double.random(in: -2.1e9...4.1e9, using: &random))
            case 1: Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &random)) / 1000)
            default: Date(timeIntervalSinceReferenceDate: Double.random(in: -1e6...1e6, using: &random))
            }
        }
    }

    @Test("format writes Foundation's text of the nearest millisecond byte for byte (60,000 dates)")
    func format() {
        var mismatches: [String] = []
        for date in Self.dates(60_000) {
            var bytes: [UInt8] = []
            #expect(WireDate.format(date, into: &bytes))
            let text = String(decoding: bytes, as: UTF8.self)
            let foundation = date.addingTimeInterval(0.0005).formatted(Self.style)
            if text != foundation { mismatches.append("\(date.timeIntervalSinceReferenceDate): \(text)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        var bytes: [UInt8] = []
        #expect(!WireDate.format(Date(timeIntervalSince1970: -2.3e9), into: &bytes) && bytes.isEmpty)  // 1897
        #expect(!WireDate.format(Date(timeIntervalSince1970: 4.2e9), into: &bytes) && bytes.isEmpty)  // 2103
    }

    @Test("a date written, read back and written again gives the same text (60,000 dates)")
    func writeReadWriteIsStable() throws {
        var drifted: [String] = []
        for date in Self.dates(60_000) {
            let text = WireDate.string(date)
            let back = try Date(text, strategy: Self.style)
            if WireDate.string(back) != text { drifted.append(text) }
        }
        #expect(drifted.isEmpty, "\(drifted.prefix(5))")
        // Far outside the arithmetic range, Foundation formats the rounded date too.
        let old = Date(timeIntervalSince1970: -2.3e9 + 0.1229999)
        #expect(WireDate.string(old).hasSuffix(".123Z"))
    }

    @Test("parse gives Foundation's Date bit for bit, or declines (60,000 dates)")
    func parse() throws {
        var parsed = 0
        for date in Self.dates(60_000) {
            let text = date.formatted(Self.style)
            let foundation = try Date(text, strategy: Self.style)
            if let fast = WireDate.parse(text) {
                parsed += 1
                #expect(fast.timeIntervalSinceReferenceDate.bitPattern == foundation.timeIntervalSinceReferenceDate.bitPattern,
                        "\(text)")
            }
        }
        #expect(parsed > 35_000)  // the near-2001 third is declined by design
        for other in ["2026-11-29T13:02:24Z", "2026-11-29T13:02:24.123+01:00", "2026-02-30T00:00:00.000Z",
                      "2026-11-29T24:00:00.000Z", "2001-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z",
                      "2026-11-29 13:02:24.123Z", "2026-11-29T13:02:24.12xZ"] {
            #expect(WireDate.parse(other) == nil, "\(other)")
        }
    }
}

import Foundation
import MemoryEngine
import struct MemoryStore.JSONReader
import struct MemoryStore.MemoryEntry
import struct MemoryStore.SeenKeys

/// Reads `POST …/search`'s response, `{"hits": [SearchHit]}`, without `JSONDecoder`.
///
/// Why: the client spent ~117 µs per k = 10 search decoding the hits with `JSONDecoder`
/// (release, development dataset, `engram-socket-bench`), more than the daemon's whole HTTP
/// handling of the request. This reader walks the bytes once with ``JSONReader`` and builds
/// the same values. It returns `nil` for any document it does not take (malformed, a key given
/// twice, a date in an unusual form…), and the client then decodes with `JSONDecoder`, so a
/// response decodes to exactly what it did before, or fails with the same message.
///
/// Dates: the daemon writes ISO 8601 with milliseconds and `Z`
/// (`2026-11-29T13:02:24.123Z`). Those are converted here by arithmetic that gives the very
/// `Date` Foundation's parser gives (checked bit for bit in the tests, over dates from 1902 to
/// 2099); dates within ~3 years of 2001-01-01, where Foundation's rounding differs in the last
/// bit, and every other form go to Foundation's parser (once per distinct text). O(bytes).
enum SearchResponseReader {
    static func hits(_ body: [UInt8]) -> [SearchHit]? {
        body.withUnsafeBytes { raw -> [SearchHit]? in
            var reader = JSONReader(raw)
            var dates = DateParser()
            var hits: [SearchHit]?
            do throws(JSONReader.Failure) {
                var seen = SeenKeys()
                try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
                    guard key == "hits" else { return try reader.skipValue() }
                    try seen.first(0, key, reader)
                    var list: [SearchHit] = []
                    try reader.forEachElement { (reader) throws(JSONReader.Failure) in
                        list.append(try hit(&reader, dates: &dates))
                    }
                    hits = list
                }
                try reader.expectEnd()
            } catch {
                return nil
            }
            return hits
        }
    }

    private static func hit(_ reader: inout JSONReader, dates: inout DateParser) throws(JSONReader.Failure) -> SearchHit {
        var entry: MemoryEntry?, distance: Float?, similarity: Double?, score: Double?
        var seen = SeenKeys()
        try reader.forEachMember { (reader, key) throws(JSONReader.Failure) in
            switch key {
            case "entry":
                try seen.first(0, key, reader)
                entry = try MemoryEntry(reading: &reader) { (reader: inout JSONReader) throws(JSONReader.Failure) in
                    try dates.date(&reader)
                }
            case "distance": try seen.first(1, key, reader); distance = try reader.float()
            case "similarity": try seen.first(2, key, reader); similarity = try reader.double()
            case "score": try seen.first(3, key, reader); score = try reader.double()
            default: try reader.skipValue()
            }
        }
        guard let entry, let distance, let similarity, let score else { throw reader.failure("hit without every field") }
        return SearchHit(entry: entry, distance: distance, similarity: similarity, score: score)
    }
}

/// ISO 8601 dates as the daemon writes them, to the same `Date` as ``WireJSON``'s decoder.
struct DateParser {
    /// Foundation's answers for texts the fast path leaves to it, per document.
    private var parsed: [String: Date] = [:]

    mutating func date(_ reader: inout JSONReader) throws(JSONReader.Failure) -> Date {
        var probe = reader  // a copy, so a date the fast path declines is read again as text
        if let raw = try probe.plainStringBytes(), let date = Self.fastDate(raw) {
            reader = probe
            return date
        }
        let text = try reader.string()
        if let date = parsed[text] { return date }
        guard let date = (try? Date(text, strategy: WireJSON.fractionalStyle)) ?? (try? Date(text, strategy: WireJSON.plainStyle))
        else { throw reader.failure("expected an ISO 8601 date, got \"\(text)\"") }
        parsed[text] = date
        return date
    }

    /// Seconds between 1970-01-01 and 2001-01-01 (Foundation's reference date).
    static let referenceOffset: Int64 = 978_307_200

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for years 1902–2099 at least 10⁸ s (~3 years) from the
    /// reference date, by arithmetic; `nil` for anything else (including invalid dates).
    static func fastDate(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { fastDate(UnsafeRawBufferPointer($0)) }
    }

    static func fastDate(_ utf8: UnsafeRawBufferPointer) -> Date? {
        guard utf8.count == 24, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
              utf8[10] == UInt8(ascii: "T"), utf8[13] == UInt8(ascii: ":"), utf8[16] == UInt8(ascii: ":"),
              utf8[19] == UInt8(ascii: "."), utf8[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = utf8[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              let millis = number(20..<23),
              (1902...2099).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60,
              day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let sinceReference = days * 86_400 + hour * 3_600 + minute * 60 + second - referenceOffset
        guard abs(sinceReference) >= 100_000_000 else { return nil }
        return Date(timeIntervalSinceReferenceDate: Double(sinceReference) + Double(millis) / 1000)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

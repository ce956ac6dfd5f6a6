#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The API's dates, `2026-11-29T13:02:24.123Z` (ISO 8601, UTC, milliseconds: what
/// `Date.ISO8601FormatStyle(includingFractionalSeconds: true)` writes for the date rounded to
/// the nearest millisecond), converted by arithmetic instead of through Foundation's calendar.
///
/// Why rounded: Foundation's formatter truncates, and the `Date` parsed from `.123` is often a
/// hair below it, so a date written, read back and written again came out `.122`: an export
/// imported and exported again moved by a millisecond. Rounding makes write ∘ read the identity
/// on the text. The price: a written time may be up to half a millisecond after the stored one
/// (truncation erred the other way), which matters only to a filter bound copied from an entry.
///
/// Why: Foundation's formatter and parser are costly per date (see
/// docs/performance.md#json-and-wire-codecs), and a k = 10 search response carries 20–30 of
/// them, written by the daemon and read by the client. The results are Foundation's own, bit
/// for bit (`parse`) and byte for byte (`format`) — checked by the tests over hundreds of
/// thousands of random dates. Both return `nil` outside the range where that was established
/// (years 1902–2099; for `parse` also within ~3 years of 2001-01-01, where Foundation's parse
/// rounds differently in the last bit), and callers then use Foundation. O(1), no allocation in
/// `parse`.
package enum WireDate {
    /// Seconds from 1970-01-01 to 2001-01-01, Foundation's reference date.
    static let referenceOffset: Int64 = 978_307_200
    /// 1902-01-01 and 2100-01-01, in seconds since the reference date.
    static let supported: ClosedRange<Double> = -3_124_224_000...3_124_137_599

    /// The `Date` that Foundation's ISO 8601 parser (fractional seconds) gives for `text`, or
    /// `nil` when `text` is not exactly `YYYY-MM-DDTHH:MM:SS.mmmZ` in the supported range.
    package static func parse(_ text: UnsafeRawBufferPointer) -> Date? {
        guard text.count == 24, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
              text[10] == UInt8(ascii: "T"), text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"),
              text[19] == UInt8(ascii: "."), text[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = text[index] &- UInt8(ascii: "0")
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
        let sinceReference = daysFromCivil(year: year, month: month, day: day) * 86_400
            + hour * 3_600 + minute * 60 + second - referenceOffset
        guard abs(sinceReference) >= 100_000_000 else { return nil }
        return Date(timeIntervalSinceReferenceDate: Double(sinceReference) + Double(millis) / 1000)
    }

    /// `parse` for a `String`.
    package static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// `date` moved forward by half a millisecond: what a truncating formatter writes for it
    /// is `date` rounded to the nearest millisecond.
    static func roundingShift(_ date: Date) -> Date { date.addingTimeInterval(0.0005) }

    /// The API's text for `date` (nearest millisecond), by arithmetic where ``format(_:into:)``
    /// applies and by Foundation's formatter elsewhere.
    package static func string(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        if format(date, into: &bytes) { return String(decoding: bytes, as: UTF8.self) }
        return roundingShift(date).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Appends what Foundation's ISO 8601 formatter (fractional seconds) writes for `date`
    /// rounded to the nearest millisecond; returns `false`, appending nothing, outside the
    /// supported range.
    package static func format(_ date: Date, into bytes: inout [UInt8]) -> Bool {
        let interval = roundingShift(date).timeIntervalSinceReferenceDate
        guard supported.contains(interval) else { return false }
        let whole = interval.rounded(.down)
        let millis = Int64((interval - whole) * 1000)  // truncated, as Foundation does (after the shift)
        let seconds = Int64(whole) + referenceOffset
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        digits(year, 4); bytes.append(UInt8(ascii: "-"))
        digits(month, 2); bytes.append(UInt8(ascii: "-"))
        digits(day, 2); bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3_600, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2); bytes.append(UInt8(ascii: "."))
        digits(millis, 3); bytes.append(UInt8(ascii: "Z"))
        return true
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse (`civil_from_days`).
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

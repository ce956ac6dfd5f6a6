import Foundation
import EngramJSON
import EngramAPI

/// Human forms of the values the tables show: times (relative, or ISO 8601 with `--wide`),
/// confidences, counts, byte sizes, durations. Pure functions, so tests pin them exactly.
public enum ValueFormatting {
    /// "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago", "in 3 min"; beyond 60 days
    /// the calendar date (`2026-01-31`), since "94 d ago" is harder to place than a date.
    public static func relative(_ date: Date, now: Date) -> String {
        let delta = now.timeIntervalSince(date)
        let seconds = abs(delta)
        if seconds < 5 { return "just now" }
        let amount: String
        switch seconds {
        case ..<60: amount = "\(Int(seconds)) s"
        case ..<3_600: amount = "\(Int(seconds / 60)) min"
        case ..<86_400: amount = "\(Int(seconds / 3_600)) h"
        case ..<(60 * 86_400): amount = "\(Int(seconds / 86_400)) d"
        default: return day(date)
        }
        return delta >= 0 ? "\(amount) ago" : "in \(amount)"
    }

    /// ISO 8601 in UTC with milliseconds, as the API writes it: `2026-11-29T10:19:01.123Z`.
    public static func iso(_ date: Date) -> String {
        WireDate.string(date)
    }

    /// `2026-11-29` (UTC).
    public static func day(_ date: Date) -> String {
        String(iso(date).prefix(10))
    }

    /// A time for a table cell: relative by default, ISO with `wide`.
    public static func time(_ date: Date?, now: Date, wide: Bool) -> String {
        guard let date else { return "-" }
        return wide ? iso(date) : relative(date, now: now)
    }

    /// A value in 0…1 with two decimals: `0.67`.
    public static func confidence(_ value: Double) -> String { fixed(value, digits: 2) }

    /// `value` rounded to `digits` decimals, without locale-dependent formatting.
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        return String(format: "%.\(max(0, digits))f", value)
    }

    /// `12,345`: thousands grouped with commas (no locale dependence).
    public static func count<Integer: BinaryInteger>(_ value: Integer) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(character)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// `1.5 MiB`, `512 B`.
    public static func bytes<Integer: BinaryInteger>(_ value: Integer) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\(fixed(amount, digits: 1)) \(units[unit])"
    }

    /// `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        switch seconds {
        case ..<1: return "\(Int((seconds * 1000).rounded())) ms"
        case ..<60: return "\(fixed(seconds, digits: 1)) s"
        case ..<3_600:
            let total = Int(seconds.rounded())
            return "\(total / 60) min \(twoDigits(total % 60)) s"
        default:
            let total = Int(seconds.rounded())
            return "\(total / 3_600) h \(twoDigits(total % 3_600 / 60)) min"
        }
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

import Foundation

/// One progress line: `rebuild kb  building  [#######·········]  45%  12,345/27,000  3,210/s  ETA 5.0 s`.
/// Pure, so tests pin it; ``ProgressReporter`` decides when and how to draw it.
public enum ProgressLine {
    /// `[####······]`, `width` cells between the brackets.
    public static func bar(fraction: Double, width: Int) -> String {
        let clamped = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }

    /// - Parameters:
    ///   - total: 0 when unknown (no bar, percentage or ETA then).
    ///   - rate: items per second, `nil` before it can be measured.
    public static func render(label: String, phase: String?, done: Int, total: Int, rate: Double?,
                              barWidth: Int = 24) -> String {
        var parts = [label]
        if let phase, !phase.isEmpty { parts.append(phase) }
        if total > 0 {
            let fraction = Double(done) / Double(total)
            parts.append(bar(fraction: fraction, width: barWidth))
            parts.append("\(Int((min(1, fraction) * 100).rounded(.down)))%")
            parts.append("\(ValueFormatting.count(done))/\(ValueFormatting.count(total))")
        } else {
            parts.append(ValueFormatting.count(done))
        }
        if let rate, rate > 0, rate.isFinite {
            parts.append("\(ValueFormatting.count(Int(rate.rounded())))/s")
            if total > done { parts.append("ETA \(ValueFormatting.duration(Double(total - done) / rate))") }
        }
        return parts.joined(separator: "  ")
    }
}

/// Draws progress on the console's stderr: one bar redrawn in place (`\r`, erase to end of
/// line) when stderr is a terminal, else a plain line when the step changes and, when the count
/// moved, at most every `plainInterval` seconds, so logs of scripted runs stay readable.
///
/// The rate is measured from the start of the current step (label + phase), so a phase that
/// restarts its count (snapshot, building, catching up) gets its own rate and ETA.
/// Not thread-safe: one command drives it from one task.
final class ProgressReporter {
    private let console: Console
    private let plainInterval: TimeInterval
    private var step: String?
    private var stepStart = Date()
    private var stepStartDone = 0
    private var lastPlain: Date?
    private var lastPlainDone = -1
    private var drawn = false

    init(console: Console, plainInterval: TimeInterval = 2) {
        self.console = console
        self.plainInterval = plainInterval
    }

    func update(label: String, phase: String?, done: Int, total: Int) {
        let now = console.now()
        let key = "\(label)|\(phase ?? "")"
        let changed = key != step
        if changed {
            step = key
            stepStart = now
            stepStartDone = done
        }
        let elapsed = now.timeIntervalSince(stepStart)
        let rate = elapsed >= 0.2 ? Double(done - stepStartDone) / elapsed : nil
        let line = ProgressLine.render(label: label, phase: phase, done: done, total: total, rate: rate)
        if console.errIsTerminal {
            console.err.write("\r" + String(line.prefix(console.errColumns - 1)) + "\u{1B}[K")
            drawn = true
        } else if changed
                    || (done != lastPlainDone
                        && (lastPlain.map { now.timeIntervalSince($0) >= plainInterval } ?? true || (total > 0 && done >= total))) {
            // Plain lines: on a new step, then only when the count moved, at most every
            // `plainInterval` (and once on reaching the total), so a log gets no repeats.
            console.err.write(line + "\n")
            lastPlain = now
            lastPlainDone = done
        }
    }

    /// Ends the bar's line (terminal) so that what follows starts on a fresh line.
    func finish() {
        if drawn { console.err.write("\n") }
        drawn = false
    }
}

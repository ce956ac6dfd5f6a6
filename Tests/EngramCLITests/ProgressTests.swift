import Foundation
import Synchronization
import Testing
@testable import EngramCLI

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Progress: the line, the terminal bar and plain log lines")
struct ProgressTests {
    @Test("a progress line shows bar, percentage, counts, rate and ETA")
    func line() {
        #expect(ProgressLine.bar(fraction: 0.5, width: 10) == "[#####·····]")
        #expect(ProgressLine.bar(fraction: 2, width: 4) == "[####]")
        #expect(ProgressLine.bar(fraction: .nan, width: 4) == "[····]")
        #expect(ProgressLine.render(label: "rebuild kb", phase: "building", done: 2_500, total: 10_000, rate: 500,
                                    barWidth: 8)
                == "rebuild kb  building  [##······]  25%  2,500/10,000  500/s  ETA 15.0 s")
        #expect(ProgressLine.render(label: "import", phase: nil, done: 42, total: 0, rate: nil) == "import  42")
    }

    @Test("off a terminal: a line per step, then only when the count moved and 2 s passed, no repeats")
    func plainLines() {
        let clock = ManualClock()
        let err = CapturedText()
        let console = Console(out: CapturedText(), err: err, errIsTerminal: false, now: { clock.now })
        let progress = ProgressReporter(console: console)
        progress.update(label: "rebuild kb", phase: "building", done: 0, total: 100)      // new step: printed
        clock.advance(0.5)
        progress.update(label: "rebuild kb", phase: "building", done: 10, total: 100)     // too soon
        clock.advance(3)
        progress.update(label: "rebuild kb", phase: "building", done: 10, total: 100)     // printed (moved since 0)
        clock.advance(3)
        progress.update(label: "rebuild kb", phase: "building", done: 10, total: 100)     // no movement: silent
        progress.update(label: "rebuild kb", phase: "persisting", done: 100, total: 100)  // new step: printed
        clock.advance(0.2)
        progress.update(label: "rebuild kb", phase: "persisting", done: 100, total: 100)  // repeat: silent
        progress.finish()
        let lines = err.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("rebuild kb  building  [") && lines[0].contains("0/100"))
        #expect(lines[1].contains("10/100") && lines[1].contains("/s  ETA"))
        #expect(lines[2].hasPrefix("rebuild kb  persisting") && lines[2].contains("100%"))
        #expect(!err.text.contains("\r"))
    }

    @Test("on a terminal: one line redrawn in place, ended by a newline")
    func terminalBar() {
        let clock = ManualClock()
        let err = CapturedText()
        let console = Console(out: CapturedText(), err: err, errIsTerminal: true, now: { clock.now })
        let progress = ProgressReporter(console: console)
        for step in 0...4 {
            progress.update(label: "import", phase: nil, done: step * 25, total: 100)
            clock.advance(1)
        }
        progress.finish()
        #expect(err.text.components(separatedBy: "\r").count == 6)
        #expect(err.text.components(separatedBy: "\u{1B}[K").count == 6)
        #expect(err.text.hasSuffix("100%  100/100  25/s\u{1B}[K\n"))
        #expect(err.text.filter { $0 == "\n" }.count == 1)

        // A narrow terminal: the line is cut to its width so it never wraps.
        let narrow = CapturedText()
        let small = Console(out: CapturedText(), err: narrow, errIsTerminal: true, errColumns: 30, now: { clock.now })
        ProgressReporter(console: small).update(label: "rebuild a-long-namespace-name", phase: "building",
                                                done: 1, total: 1_000)
        #expect(narrow.text == "\r" + "rebuild a-long-namespace-name" + "\u{1B}[K")
    }
}

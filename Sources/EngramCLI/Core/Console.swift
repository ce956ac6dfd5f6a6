#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Where a command writes text. Commands never call `print`: they write to the console's sinks,
/// so tests run them in-process and read what they wrote.
public protocol TextSink: Sendable {
    func write(_ text: String)
    /// Pushes buffered text out (called when a command ends and before progress lines).
    func flush()
}

/// A sink on a file descriptor (stdout, stderr, or a file opened by `export --output`).
///
/// Text is buffered up to 64 KiB so that an export of many lines makes few `write` calls;
/// the buffer is behind a `Mutex` (held for an append or a flush), so the sink is `Sendable`.
public final class FileDescriptorSink: TextSink {
    private let descriptor: Int32
    private let buffered: Bool
    private let buffer = Mutex<[UInt8]>([])
    private let closesOnDeinit: Bool

    /// - Parameters:
    ///   - buffered: `false` writes every call through at once (stderr: progress and errors
    ///     must appear when they happen).
    public init(descriptor: Int32, buffered: Bool, closesOnDeinit: Bool = false) {
        self.descriptor = descriptor
        self.buffered = buffered
        self.closesOnDeinit = closesOnDeinit
    }

    deinit {
        flush()
        if closesOnDeinit { close(descriptor) }
    }

    public func write(_ text: String) {
        guard buffered else {
            Self.writeAll(descriptor, Array(text.utf8))
            return
        }
        let full: [UInt8]? = buffer.withLock { bytes in
            bytes.append(contentsOf: text.utf8)
            guard bytes.count >= 64 << 10 else { return nil }
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes
        }
        if let full { Self.writeAll(descriptor, full) }
    }

    public func flush() {
        let pending = buffer.withLock { bytes in
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes
        }
        if !pending.isEmpty { Self.writeAll(descriptor, pending) }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        writeFully(descriptor, bytes)
    }
}

/// Writes every byte, retrying short writes and EINTR; an error (a closed pipe: the reader
/// went away) ends the attempt, since nothing useful can be done with the rest.
private func writeFully(_ descriptor: Int32, _ bytes: [UInt8]) {
    var offset = 0
    bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        while offset < raw.count {
            let n = write(descriptor, base + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

/// The width of the terminal on `descriptor`, or `nil` when it is not a terminal.
private func terminalColumns(_ descriptor: Int32) -> Int? {
    var size = winsize()
    guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
}

/// A sink that keeps everything written, for tests and for composing output.
public final class CapturedText: TextSink {
    private let storage = Mutex<String>("")

    public init() {}

    public func write(_ text: String) { storage.withLock { $0 += text } }
    public func flush() {}

    /// Everything written so far.
    public var text: String { storage.withLock { $0 } }
}

/// What a command talks to: its output streams, its environment, the clock, and the
/// interrupt flag. Injected through a task-local so that commands parsed by ArgumentParser
/// (which constructs them itself) still get the console the caller chose.
public struct Console: Sendable {
    /// Results: tables, JSON, export lines.
    public var out: any TextSink
    /// Errors, warnings and progress.
    public var err: any TextSink
    /// Whether `err` is a terminal: progress is then one redrawn bar, else plain lines.
    public var errIsTerminal: Bool
    /// The terminal's width: a redrawn progress line is cut to it, since a wrapped line cannot
    /// be redrawn in place with `\r`.
    public var errColumns: Int
    /// The environment (`ENGRAM_SOCKET`, `USER`…).
    public var environment: [String: String]
    /// Ctrl-C, as a flag long-running commands poll.
    public var interrupt: InterruptFlag
    /// "Now", for relative times and rates.
    public var now: @Sendable () -> Date

    public init(out: any TextSink, err: any TextSink, errIsTerminal: Bool = false, errColumns: Int = 120,
                environment: [String: String] = [:], interrupt: InterruptFlag = InterruptFlag(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.out = out
        self.err = err
        self.errIsTerminal = errIsTerminal
        self.errColumns = max(20, errColumns)
        self.environment = environment
        self.interrupt = interrupt
        self.now = now
    }

    /// The process's own stdout/stderr and environment.
    public static func standard() -> Console {
        Console(out: FileDescriptorSink(descriptor: 1, buffered: true),
                err: FileDescriptorSink(descriptor: 2, buffered: false),
                errIsTerminal: isatty(2) == 1,
                errColumns: terminalColumns(2) ?? 80,
                environment: ProcessInfo.processInfo.environment,
                interrupt: InterruptFlag(listensToSIGINT: true))
    }

    /// The console commands run with; set by ``EngramCLI/run(_:console:)``.
    @TaskLocal public static var current: Console = Console(out: CapturedText(), err: CapturedText())

    /// Writes `line` and a newline to `out`.
    public func print(_ line: String = "") { out.write(line + "\n") }

    /// Writes `line` and a newline to `err`.
    public func printError(_ line: String) {
        out.flush()
        err.write(line + "\n")
    }
}

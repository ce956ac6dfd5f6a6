#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file (or standard input) line by line in 1 MiB chunks, so `import` streams files
/// far larger than memory. Lines end at `\n`; a trailing `\r` is dropped; the last line needs
/// no newline. Not thread-safe.
final class LineReader {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Bytes consumed so far (for progress).
    private(set) var bytesRead = 0

    /// `-` reads standard input. - Throws: ``CLIFailure`` (`invalidInput`) when the file cannot
    /// be opened.
    init(path: String) throws(CLIFailure) {
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
        } else {
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else {
                throw CLIFailure(.invalidInput, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            ownsDescriptor = true
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line's bytes, or `nil` at the end. - Throws: ``CLIFailure`` on a read error.
    func next() throws(CLIFailure) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                var line = buffer[start..<newline]
                start = newline + 1
                if line.last == 13 { line = line.dropLast() }
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                var line = buffer[start...]
                start = buffer.count
                if line.last == 13 { line = line.dropLast() }
                return line
            }
            try fill()
        }
    }

    private func fill() throws(CLIFailure) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = 1 << 20
        let oldCount = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        var n: Int
        repeat {
            n = buffer.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress! + oldCount, chunk) }
        } while n < 0 && errno == EINTR
        guard n >= 0 else {
            let reason = String(cString: strerror(errno))
            buffer.removeLast(chunk)
            throw CLIFailure(.invalidInput, "read error: \(reason)")
        }
        buffer.removeLast(chunk - n)
        bytesRead += n
        if n == 0 { atEnd = true }
    }

    /// Lines in the file at `path` (a quick pass counting newlines), or `nil` for standard input,
    /// anything but a regular file (a pipe read here would be emptied before the import) or an
    /// unreadable file. Used as the progress total.
    static func countLines(path: String) -> Int? {
        var status = stat()
        guard path != "-", stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG,
              let reader = try? LineReader(path: path) else { return nil }
        var count = 0
        while let line = try? reader.next() {
            if !line.isEmpty { count += 1 }
        }
        return count
    }
}

import Foundation

/// An engram-prompt process started for the text phase: pointed at the in-process daemon's
/// socket (ENGRAM_PROMPT_DAEMON_SOCKET), serving on a socket of its own, stopped with SIGTERM
/// when the phase ends. Its configuration is otherwise its own (config/engram-prompt.toml
/// when run from the repository root).
final class PromptService {
    let socketPath: String
    private let process: Process

    struct StartFailure: Error, CustomStringConvertible { let description: String }

    /// Starts `binary` and waits (up to `timeout` seconds) until its socket accepts a connection.
    init(binary: String, daemonSocket: String, directory: String, timeout: Double = 30) throws {
        socketPath = directory + "/prompt.sock"
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--socket", socketPath]
        var environment = ProcessInfo.processInfo.environment
        environment["ENGRAM_PROMPT_DAEMON_SOCKET"] = daemonSocket
        environment["ENGRAM_PROMPT_LOG_LEVEL"] = environment["ENGRAM_PROMPT_LOG_LEVEL"] ?? "warning"
        process.environment = environment
        try process.run()
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        while true {
            if let fd = try? RawSocket.connect(socketPath) {
                close(fd)
                return
            }
            guard process.isRunning else {
                throw StartFailure(description: "\(binary) exited with status \(process.terminationStatus) before serving")
            }
            guard monotonicNanos() < deadline else {
                stop()
                throw StartFailure(description: "\(binary) did not open \(socketPath) within \(Int(timeout)) s")
            }
            usleep(50_000)
        }
    }

    /// SIGTERM, then wait for it to exit.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// The exit statuses `engram` documents (see ``EngramCommand``'s discussion); scripts rely on
/// them, so they never change meaning.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case ok = 0
    /// Anything not covered below (an internal error in the daemon, an I/O error…).
    case error = 1
    /// The command line was wrong (unknown option, missing argument, bad value).
    case usage = 2
    /// The namespace or entry does not exist (`not_found`, `namespace_not_found`).
    case notFound = 3
    /// The request conflicts with the current state (`conflict`: a namespace exists with
    /// another configuration, a rebuild already runs; an offline command on a store a daemon
    /// holds).
    case conflict = 4
    /// engramd could not be reached (no socket, connection refused, timeout).
    case unavailable = 5
    /// The daemon rejected the request's content (`invalid_argument`, `dimension_mismatch`,
    /// `payload_too_large`…), or an input file is unreadable.
    case invalidInput = 6
    /// The command ran but found problems: `verify` found inconsistencies, `import` had bad
    /// lines (the good ones are kept).
    case problemsFound = 7
    /// Interrupted with Ctrl-C (a rebuild was cancelled first).
    case interrupted = 130

    /// The table printed in `engram --help` and docs/cli.md.
    static let documentation = """
        Exit status:
          0    success
          1    error (internal error, I/O error)
          2    usage error (bad command line)
          3    not found (namespace or entry)
          4    conflict (other configuration, rebuild running, store held by engramd)
          5    engramd unavailable (no socket, connection refused, timeout)
          6    invalid input rejected by engramd, or an unreadable input file
          7    problems found (verify: inconsistencies; import: bad lines)
          130  interrupted by Ctrl-C (a running rebuild is cancelled first)
        """
}

/// A failure a command reports: `error: <code>: <message>` on stderr and `status` as the exit
/// status. `code` is the daemon's stable error code when the daemon refused.
public struct CLIFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: ExitStatus
    public var code: String?
    public var message: String

    public init(_ status: ExitStatus, code: String? = nil, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String {
        if let code { return "error: \(code): \(message)" }
        return "error: \(message)"
    }
}

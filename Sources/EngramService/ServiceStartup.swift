public import ArgumentParser
import Foundation
public import Logging

/// The start-up path both daemons share: which configuration file, loading it (or printing
/// it), the logging bootstrap, and the exit statuses an init system can act on.
public enum ServiceStartup {
    /// Exit statuses, from sysexits(3): what went wrong decides whether a supervisor should
    /// retry.
    public enum ExitStatus: Int32, Sendable {
        /// Could not start (store or model unusable…).
        case failure = 1
        /// Another process holds the socket or the store: retry later (EX_TEMPFAIL).
        case temporaryFailure = 75
        /// The configuration is invalid: fix it first (EX_CONFIG).
        case configuration = 78
    }

    /// A start-up that cannot go on; the executable exits with `status`.
    public struct Failure: Error, Sendable {
        public let status: ExitStatus

        public init(_ status: ExitStatus) {
            self.status = status
        }
    }

    /// The configuration file to read: `given` (`--config`), else the file the environment
    /// variable names, else `defaultFile` when it exists in the working directory, else none.
    public static func configurationFile(given: String?, environmentVariable: String, defaultFile: String,
                                         environment: [String: String]) -> String? {
        given ?? environment[environmentVariable]
            ?? (FileManager.default.fileExists(atPath: defaultFile) ? defaultFile : nil)
    }

    /// Loads the configuration; on a problem writes `<program>: configuration error:` and
    /// every problem to standard error.
    /// - Throws: ``Failure`` with ``ExitStatus/configuration``.
    public static func loadConfiguration<C: ServiceConfiguration>(
        _ type: C.Type, program: String, file: String?, environment: [String: String]
    ) throws(Failure) -> C {
        do {
            return try C.load(file: file, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("\(program): configuration error:\n\(error)\n".utf8))
            throw Failure(.configuration)
        }
    }

    /// Log records at `level` and above go to standard error. Call once, before any logger is
    /// made.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// The options both daemons take: `--config`, `--socket`, `--print-config`.
public struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML).")
    public var config: String?

    @Option(name: .long, help: "Unix socket path; overrides server.socket and its environment variable.")
    public var socket: String?

    @Flag(name: .long, help: "Print the effective configuration as TOML and exit.")
    public var printConfig = false

    public init() {}

    /// The effective configuration and the file it came from: built-in defaults < the file
    /// (`--config`, else `$<configFileVariable>`, else `defaultFile` if present) < the
    /// environment < `--socket`. With `--print-config` it prints the configuration and
    /// returns `nil`.
    /// - Throws: `ExitCode(78)` after printing the problems when the configuration is invalid.
    public func load<C: ServiceConfiguration>(
        _ type: C.Type, program: String, defaultFile: String, configFileVariable: String, socketVariable: String
    ) throws(ExitCode) -> (configuration: C, file: String?)? {
        var environment = ProcessInfo.processInfo.environment
        if let socket { environment[socketVariable] = socket }
        let file = ServiceStartup.configurationFile(given: config, environmentVariable: configFileVariable,
                                                    defaultFile: defaultFile, environment: environment)
        let configuration: C
        do {
            configuration = try ServiceStartup.loadConfiguration(C.self, program: program, file: file,
                                                                 environment: environment)
        } catch {
            throw ExitCode(error.status.rawValue)
        }
        if printConfig {
            print(configuration.renderTOML(), terminator: "")
            return nil
        }
        return (configuration, file)
    }
}

extension ExitCode {
    /// The exit code of a start-up that failed with `status`.
    public init(_ status: ServiceStartup.ExitStatus) {
        self.init(status.rawValue)
    }
}

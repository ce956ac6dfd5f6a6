import ArgumentParser
import Foundation
import Logging
import PromptAssembly
import ServiceLifecycle

/// `engram-prompt`: parses arguments, loads the configuration, wires the service, runs until
/// SIGTERM/SIGINT. Everything else lives in PromptAssembly.
@main
struct EngramPromptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram-prompt",
        abstract: "Engram's prompt-assembly service: prompts with memories, an OpenAI-compatible proxy, the learning loop.",
        discussion: """
            Configuration: built-in defaults < the TOML file (--config, else $ENGRAM_PROMPT_CONFIG, else \
            ./config/engram-prompt.toml if present) < ENGRAM_PROMPT_* environment variables < --socket. \
            See config/engram-prompt.toml for every key.
            """)

    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String?

    @Option(name: .long, help: "Unix socket path; overrides server.socket and ENGRAM_PROMPT_SOCKET.")
    var socket: String?

    @Flag(name: .long, help: "Print the effective configuration as TOML and exit.")
    var printConfig = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let file = config ?? environment[PromptConfiguration.configFileEnvironment]
            ?? (FileManager.default.fileExists(atPath: "config/engram-prompt.toml") ? "config/engram-prompt.toml" : nil)
        var settings: PromptConfiguration
        do {
            var overrides = environment
            if let socket { overrides["ENGRAM_PROMPT_SOCKET"] = socket }
            settings = try PromptConfiguration.load(file: file, environment: overrides)
        } catch {
            FileHandle.standardError.write(Data("engram-prompt: configuration error:\n\(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        if printConfig {
            print(settings.renderTOML(), terminator: "")
            return
        }

        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "engram-prompt")
        logger.info("starting", metadata: ["config": "\(file ?? "(defaults)")", "learning": "\(settings.learningEnabled)"])

        let runtime: PromptRuntime
        do {
            runtime = try PromptRuntime(configuration: settings, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(78)
        }
        let group = ServiceGroup(configuration: .init(
            services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as PromptSocketError {
            logger.critical("cannot start: \(error)")
            throw ExitCode(75)  // EX_TEMPFAIL: another engram-prompt holds the socket
        }
        logger.info("stopped")
    }
}

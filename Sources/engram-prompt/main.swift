import ArgumentParser
import Foundation
import Logging
import EngramService
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

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        guard let (settings, file) = try options.load(
            PromptConfiguration.self, program: "engram-prompt", defaultFile: "config/engram-prompt.toml",
            configFileVariable: PromptConfiguration.configFileEnvironment, socketVariable: "ENGRAM_PROMPT_SOCKET")
        else { return }
        ServiceStartup.bootstrapLogging(level: settings.logLevel)
        let logger = Logger(label: "engram-prompt")
        logger.info("starting", metadata: ["config": "\(file ?? "(defaults)")", "learning": "\(settings.learningEnabled)"])

        let runtime: PromptRuntime
        do {
            runtime = try PromptRuntime(configuration: settings, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(.configuration)
        }
        let group = ServiceGroup(configuration: .init(
            services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as PromptSocketError {
            logger.critical("cannot start: \(error)")
            throw ExitCode(.temporaryFailure)  // another engram-prompt holds the socket
        }
        logger.info("stopped")
    }
}

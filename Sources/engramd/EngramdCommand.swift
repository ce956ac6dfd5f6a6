import ArgumentParser
import Embeddings
import Foundation
import Logging
import LMDB
import MemoryEngine
import MemoryServer
import MemoryStore
import ServiceLifecycle
import VectorMath
import EngramService

/// `engramd`: parses arguments, loads the configuration, wires the server, runs until
/// SIGTERM/SIGINT. Everything else lives in the libraries.
@main
struct EngramdCommand: AsyncParsableCommand {
    /// The entry point: ArgumentParser's own `main()`, preceded by process-wide environment set-up.
    static func main() async {
        // One BLAS thread per call: engramd parallelises across requests (searches run
        // concurrently on the cooperative pool), so OpenBLAS's own thread pool would only
        // oversubscribe the cores and add wake-up latency to every cblas_sdot. Set before
        // anything initialises BLAS work. Caveat: OpenBLAS reads the variable in its load-time
        // constructor, so when libblas is linked into the executable (not dlopen'ed) that
        // constructor has already run; `run()` therefore also calls BLASBackend.useSingleThread().
        // The variable still governs a BLAS loaded later and child processes. An operator's
        // explicit value is kept (overwrite = 0).
        setenv("OPENBLAS_NUM_THREADS", "1", 0)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "engramd",
        abstract: "The Engram memory daemon: HTTP/1.1 + JSON over a Unix domain socket.",
        discussion: """
            Configuration: built-in defaults < the TOML file (--config, else $ENGRAM_CONFIG, else \
            ./config/engramd.toml if present) < ENGRAM_* environment variables < --socket. \
            See config/engramd.toml for every key.
            """,
        version: EngramVersion.current)

    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String?

    @Option(name: .long, help: "Unix socket path; overrides server.socket and ENGRAM_SOCKET.")
    var socket: String?

    @Flag(name: .long, help: "Print the effective configuration as TOML and exit.")
    var printConfig = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let file = config ?? environment[ConfigurationKey.configFileEnvironment]
            ?? (FileManager.default.fileExists(atPath: "config/engramd.toml") ? "config/engramd.toml" : nil)
        var settings: ServerConfiguration
        do {
            settings = try ServerConfiguration.load(file: file, environment: environment)
            if let socket {
                settings.socketPath = socket
                try settings.validate()
            }
        } catch {
            FileHandle.standardError.write(Data("engramd: configuration error:\n\(error)\n".utf8))
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
        let logger = Logger(label: "engramd")
        logger.info("starting", metadata: [
            "version": "\(EngramVersion.current)", "config": "\(file ?? "(defaults)")",
            "data_dir": "\(settings.dataDirectory)", "durability": "\(settings.durability.rawValue)",
        ])

        let blas = BLASBackend.current
        BLASBackend.useSingleThread()
        logger.info("BLAS: \(blas)")
        if let warning = blas.warning { logger.warning("\(warning)") }

        // The store, the embedder and the engine, opened before the socket: a locked store or a
        // missing or damaged model is a clear error at start, not at the first request.
        let engine: MemoryEngine
        do {
            let durability: LMDB.Durability = settings.durability == .sync ? .sync : .relaxed
            let store = try MemoryStore(path: settings.dataDirectory, options: MemoryStoreOptions(durability: durability))
            let embedder = CachingEmbedder(try MiniLMEmbedder(modelDirectory: settings.modelDirectory))
            engine = try MemoryEngine(store: store, embedder: embedder, logger: logger)
            try engine.warmUp()
        } catch MemoryStoreError.locked {
            logger.critical("cannot start: another engramd holds the store in \(settings.dataDirectory)")
            throw ExitCode(75)  // EX_TEMPFAIL
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.info("store open", metadata: ["namespaces": "\(engine.namespaces().count)"])

        let server = MemoryServer(
            configuration: settings, logger: logger,
            healthDetails: { ["blas": blas.description, "namespaces": "\(engine.namespaces().count)"] },
            routes: { router, environment in MemoryRoutes.install(on: router, environment: environment, engine: engine) })
        // Services stop in reverse order: the server drains its requests, then maintenance
        // writes the last use counts.
        let maintenance = EngineMaintenance(engine: engine, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [maintenance, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as SocketError {
            logger.critical("cannot start: \(error)")
            throw ExitCode(75)  // EX_TEMPFAIL: another daemon holds the socket
        }
        logger.info("stopped")
    }
}

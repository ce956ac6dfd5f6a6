import ArgumentParser
import Embeddings
import Foundation
import HNSW
import Logging
import MemoryServer
import MemoryStore
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
        // On generic kernels for an unknown CPU model, start over on the ones it can run
        // (the restarted process also reads OPENBLAS_NUM_THREADS above at load).
        BLASBackend.restartOnCapableKernelsIfNeeded()
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

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        guard let (settings, file) = try options.load(
            ServerConfiguration.self, program: "engramd", defaultFile: "config/engramd.toml",
            configFileVariable: ServerConfiguration.configFileEnvironment, socketVariable: "ENGRAM_SOCKET")
        else { return }
        ServiceStartup.bootstrapLogging(level: settings.logLevel)
        let logger = Logger(label: "engramd")
        logger.info("starting", metadata: [
            "version": "\(EngramVersion.current)", "config": "\(file ?? "(defaults)")",
            "data_dir": "\(settings.dataDirectory)", "durability": "\(settings.durability.rawValue)",
            "vectors_in_memory": "\(settings.vectorsInMemory)",
            "cluster_node": "\(settings.clusterNodeID.isEmpty ? "(single machine)" : settings.clusterNodeID)",
        ])

        let blas = BLASBackend.current
        BLASBackend.useSingleThread()
        logger.info("BLAS: \(blas)")
        if let warning = blas.warning { logger.warning("\(warning)") }
        logger.info("HNSW: int8 traversal scores codes with the \(HNSWIndex.quantizedKernelName) kernel")

        // The store, the embedder and the engine, opened before the socket: a locked store or a
        // missing or damaged model is a clear error at start, not at the first request.
        let daemon: Daemon
        do {
            let embedder = CachingEmbedder(try MiniLMEmbedder(modelDirectory: settings.modelDirectory))
            daemon = try await Daemon.openNode(
                configuration: settings, embedder: embedder, logger: logger,
                healthDetails: { engine in ["blas": blas.description, "namespaces": "\(engine.namespaces().count)"] },
                gracefulShutdownSignals: [.sigterm, .sigint])
        } catch MemoryStoreError.locked {
            logger.critical("cannot start: another engramd holds the store in \(settings.dataDirectory)")
            throw ExitCode(.temporaryFailure)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(.failure)
        }
        logger.info("store open", metadata: ["namespaces": "\(daemon.engine.namespaces().count)"])
        do {
            try await daemon.run()
        } catch let error as SocketError {
            logger.critical("cannot start: \(error)")
            throw ExitCode(.temporaryFailure)  // another daemon holds the socket
        }
        logger.info("stopped")
    }

}

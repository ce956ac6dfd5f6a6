// swift-tools-version: 6.1
// Engram: a self-learning memory layer. See docs/architecture.md ("Modules") for the module contract;
// requests flow socket → MemoryServer → MemoryEngine → (Embeddings, HNSW/VectorMath, MemoryStore).
import PackageDescription

/// Invariant checks (graph consistency after every mutation) are compiled into debug builds,
/// which is what `swift test` uses; release builds leave them out of the hot paths.
let invariantChecks: [SwiftSetting] = [
    .define("ENGRAM_INVARIANTS", .when(configuration: .debug)),
]

let package = Package(
    name: "Engram",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "VectorMath", targets: ["VectorMath"]),
        .library(name: "HNSW", targets: ["HNSW"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .library(name: "MemoryStore", targets: ["MemoryStore"]),
        .library(name: "MemoryEngine", targets: ["MemoryEngine"]),
        .library(name: "MemoryServer", targets: ["MemoryServer"]),
        .library(name: "MemoryClient", targets: ["MemoryClient"]),
        .executable(name: "engramd", targets: ["engramd"]),
        .executable(name: "engram", targets: ["engram"]),
        .executable(name: "engram-prompt", targets: ["engram-prompt"]),
        .executable(name: "engram-ann", targets: ["engram-ann"]),
    ],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // C: only the BLAS entry points Engram calls, plus detection of the BLAS loaded at run time.
        .target(
            name: "CBLASShim",
            path: "CBLASShim",
            linkerSettings: [.linkedLibrary("blas")]
        ),
        // C: the integer kernels of quantized HNSW traversal (AVX-512 VNNI, AVX2, portable),
        // chosen at run time by CPU features.
        .target(name: "CQuantKernels", path: "CQuantKernels"),
        .target(name: "VectorMath", dependencies: ["CBLASShim"], swiftSettings: invariantChecks),
        .target(name: "HNSW", dependencies: ["VectorMath", "CQuantKernels"], swiftSettings: invariantChecks),
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: invariantChecks),
        // A NATS client (core protocol with headers, request/reply, JetStream) on swift-nio.
        .target(
            name: "NATS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Replicated namespaces: the log on NATS JetStream, its applier, ownership leases,
        // forwarded writes and snapshots (docs/cluster.md).
        .target(
            name: "Replication",
            dependencies: [
                "NATS", "MemoryEngine", "MemoryStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(name: "Embeddings", dependencies: ["CBLASShim", "VectorMath"], swiftSettings: invariantChecks),
        // Foundation only: the JSON value, byte reader and dates of the records and the wire.
        .target(name: "EngramJSON"),
        // The values shared by the store's records, the engine and the API's documents: an
        // entry, its evidence, audit events, search filters, hits and pages.
        .target(name: "EngramModel", dependencies: ["EngramJSON"]),
        // Every request and response document of the HTTP API, its codecs and error codes;
        // Foundation and HTTPTypes only (no LMDB, BLAS or NIO), so any client can link it.
        .target(name: "EngramAPI", dependencies: [
            "EngramJSON", "EngramModel", .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // Words: tokenisation (Unicode folding, English stop words and stemming), the
        // in-memory inverted index and BM25. No storage: the store persists its documents.
        .target(name: "Lexical", dependencies: ["EngramModel"], swiftSettings: invariantChecks),
        .target(name: "MemoryStore", dependencies: ["LMDB", "HNSW", "VectorMath", "EngramJSON", "EngramModel", "Lexical"], swiftSettings: invariantChecks),
        .target(
            name: "MemoryEngine",
            dependencies: [
                "MemoryStore", "Embeddings", "HNSW", "VectorMath", "EngramJSON", "EngramModel", "Lexical",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: invariantChecks),
        // Engine and store values as API documents, API requests as engine requests: the
        // server's mapping, shared with the CLI's offline commands.
        .target(name: "EngineDocuments", dependencies: ["EngramAPI", "MemoryEngine", "MemoryStore", "HNSW", "VectorMath"]),
        // What engramd and engram-prompt share: the Unix socket, peer credentials, readiness,
        // the API's errors as responses, body limits, connection guarding.
        .target(
            name: "EngramService",
            dependencies: [
                "EngramAPI", "EngramJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "MemoryServer",
            dependencies: [
                "MemoryEngine", "MemoryStore", "LMDB", "Embeddings", "EngramAPI", "EngramJSON", "EngineDocuments",
                "EngramService", "Replication", "NATS",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: invariantChecks),
        .target(name: "MemoryClient", dependencies: ["EngramAPI", "EngramJSON", "EngramModel"]),
        .executableTarget(
            name: "engramd",
            dependencies: [
                "MemoryServer", "MemoryStore", "Embeddings", "VectorMath", "HNSW", "EngramService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "PromptAssembly",
            dependencies: [
                "MemoryClient", "EngramAPI", "EngramJSON", "EngramService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        .executableTarget(
            name: "engram-prompt",
            dependencies: [
                "PromptAssembly", "EngramService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // `engram mcp`: Engram's memory as MCP tools and resources for agent hosts, over stdio.
        .target(
            name: "EngramMCP",
            dependencies: [
                "MemoryClient", "EngramAPI", "EngramJSON",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The CLI's commands, output formatting and offline operations; `engram` only calls it.
        .target(
            name: "EngramCLI",
            dependencies: [
                "MemoryClient", "EngramAPI", "EngineDocuments", "MemoryEngine", "MemoryStore", "HNSW", "LMDB", "VectorMath", "EngramJSON",
                "EngramMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "engram", dependencies: ["EngramCLI"]),

        // What the tests share: the word-hash embedder, temporary directories, engramd in
        // process, the raw socket client.
        .target(
            name: "EngramTestSupport",
            dependencies: [
                "MemoryServer", "MemoryEngine", "MemoryStore", "Embeddings", "MemoryClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .executableTarget(
            name: "engram-socket-bench",
            dependencies: [
                "MemoryClient", "MemoryServer", "MemoryEngine", "MemoryStore", "Embeddings", "HNSW", "VectorMath",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/SocketBench"
        ),
        .executableTarget(
            name: "engram-ann",
            dependencies: [
                "HNSW", "VectorMath",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/ANNRunner"
        ),
        .executableTarget(
            name: "engram-embed-bench",
            dependencies: [
                "Embeddings", "VectorMath",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/EmbedBench"
        ),
        .executableTarget(
            name: "HNSWBenchmarks",
            dependencies: [
                "HNSW", "VectorMath",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HNSWBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        .testTarget(name: "EngramJSONTests", dependencies: ["EngramJSON"]),
        .testTarget(name: "EngramAPITests", dependencies: ["EngramAPI", "EngramJSON"]),
        .testTarget(name: "VectorMathTests", dependencies: ["VectorMath"]),
        .testTarget(name: "HNSWTests", dependencies: ["HNSW", "VectorMath", "CQuantKernels", "EngramTestSupport"]),
        .testTarget(name: "NATSTests", dependencies: [
            "NATS", "Replication", "MemoryStore", "EngramTestSupport", .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "LexicalTests", dependencies: ["Lexical"]),
        .testTarget(name: "MemoryStoreTests", dependencies: ["MemoryStore", "LMDB", "HNSW", "VectorMath", "EngramJSON"]),
        .testTarget(name: "MemoryEngineTests", dependencies: ["MemoryEngine", "MemoryStore", "Embeddings", "EngramTestSupport"]),
        .testTarget(
            name: "MemoryServerTests",
            dependencies: [
                "MemoryServer", "MemoryEngine", "MemoryStore", "Embeddings", "EngramJSON", "EngramAPI", "EngramService", "EngramTestSupport", "VectorMath", "HNSW",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "MemoryClientTests",
            dependencies: ["MemoryClient", "EngramAPI", "EngramTestSupport", "MemoryStore"]),
        .testTarget(
            name: "PromptAssemblyTests",
            dependencies: [
                "PromptAssembly", "MemoryClient", "MemoryServer", "MemoryEngine", "Embeddings", "EngramService", "EngramTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "EngramCLITests",
            dependencies: [
                "EngramCLI", "MemoryClient", "MemoryServer", "MemoryEngine", "MemoryStore", "LMDB", "Embeddings", "EngramAPI", "EngramTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "EngramMCPTests",
            dependencies: ["EngramMCP", "EngramTestSupport", .product(name: "MCP", package: "swift-sdk")]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings", "VectorMath"],
                    resources: [.copy("Fixtures")]),
    ]
)

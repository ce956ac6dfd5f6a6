// swift-tools-version: 6.1
// Engram: a self-learning memory layer. See DESIGN.md for the module contract;
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
        .executable(name: "engram-ann", targets: ["engram-ann"]),
    ],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C: only the BLAS entry points Engram calls, plus detection of the BLAS loaded at run time.
        .target(
            name: "CBLASShim",
            path: "CBLASShim",
            linkerSettings: [.linkedLibrary("blas")]
        ),
        .target(name: "VectorMath", dependencies: ["CBLASShim"], swiftSettings: invariantChecks),
        .target(name: "HNSW", dependencies: ["VectorMath"], swiftSettings: invariantChecks),
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: invariantChecks),
        .target(name: "Embeddings", dependencies: ["CBLASShim", "VectorMath"], swiftSettings: invariantChecks),
        .target(name: "MemoryStore", dependencies: ["LMDB", "HNSW", "VectorMath"], swiftSettings: invariantChecks),
        .target(
            name: "MemoryEngine",
            dependencies: [
                "MemoryStore", "Embeddings", "HNSW", "VectorMath",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: invariantChecks),
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

        .testTarget(name: "VectorMathTests", dependencies: ["VectorMath"]),
        .testTarget(name: "HNSWTests", dependencies: ["HNSW", "VectorMath"]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "MemoryStoreTests", dependencies: ["MemoryStore", "LMDB", "HNSW", "VectorMath"]),
        .testTarget(name: "MemoryEngineTests", dependencies: ["MemoryEngine", "MemoryStore", "Embeddings"]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings", "VectorMath"],
                    resources: [.copy("Fixtures")]),
    ]
)

import EngramTestSupport
import Foundation
import HNSW
import Testing
import VectorMath

/// engramd on the OpenBLAS kernels its CPU runs (`BLASBackend.restartOnCapableKernelsIfNeeded()`),
/// checked on the built binary: the restart happens before anything else, so only a process of
/// its own shows it. What the log must say depends on this machine's BLAS and CPU, computed here
/// the same way (the test process itself never restarts).
@Suite("engramd's BLAS kernels")
struct BLASKernelStartupTests {
    @Test("engramd runs the kernels the CPU can run where OpenBLAS falls back to generic ones, else OpenBLAS's")
    func kernelsAtStart() throws {
        let engramd = try ProductBinary.path("engramd")
        let directory = try makeTemporaryDirectory(prefix: "engram-blas-start")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/empty.toml"
        try Data().write(to: URL(fileURLWithPath: config))
        // No model: engramd logs its BLAS, then refuses to start without touching the store.
        let output = try ProductBinary.run(engramd, ["--config", config], environment: [
            "ENGRAM_DATA_DIR": directory + "/store", "ENGRAM_MODEL_DIR": directory + "/no-model",
            "ENGRAM_SOCKET": directory + "/engramd.sock", "ENGRAM_LOG_LEVEL": "info",
        ], removing: [BLASBackend.restartMarker])
        #expect(output.status != 0)
        #expect(output.stderr.contains("cannot start"))
        let blasLine = try #require(output.stderr.split(separator: "\n").first { $0.contains("BLAS: ") },
                                    "engramd logs its BLAS at start:\n\(output.stderr)")
        // The integer kernel of int8 traversal, as this process chose it from the same CPU.
        #expect(output.stderr.contains("HNSW: int8 traversal scores codes with the \(HNSWIndex.quantizedKernelName) kernel"),
                "\(output.stderr)")
        let backend = BLASBackend.current
        if BLASBackend.restartKernels != nil, let generic = backend.coreName {
            // Restarted: on the kernels asked for (or, with an OpenBLAS that does not hold them,
            // on others it maps them to), else still generic and saying so.
            let chosen = blasLine.contains("kernels, chosen by Engram over OpenBLAS's generic \(generic))")
            let saysItFailed = output.stderr.contains("WARNING: restarted with OPENBLAS_CORETYPE=")
            #expect(chosen != saysItFailed, "\(output.stderr)")
            #expect(!output.stderr.contains("Start the program with OPENBLAS_CORETYPE="), "no advice after a restart")
        } else if let kernels = backend.coreName {
            #expect(blasLine.contains("(\(kernels) kernels)"), "\(blasLine)")
            #expect(!blasLine.contains("chosen by Engram"))
        } else {
            #expect(!blasLine.contains("kernels"), "only OpenBLAS names its kernels: \(blasLine)")
        }
    }
}

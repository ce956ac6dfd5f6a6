import Foundation
import Testing
@testable import VectorMath

@Suite("BLAS backend")
struct BLASBackendTests {
    @Test("the loaded BLAS is identified and can be made single-threaded")
    func detection() {
        let backend = BLASBackend.current
        #expect(backend.libraryPath != nil, "dladdr should name the library providing cblas_sdot")
        #expect(backend.kind != .unknown)
        if backend.kind == .openBLAS {
            // OpenBLAS warns only when it fell back to generic kernels on a CPU that can do better.
            #expect(backend.warning == nil || backend.warning?.contains("OPENBLAS_CORETYPE=") == true
                    || backend.warning?.contains("DYNAMIC_ARCH") == true)
            #expect(BLASBackend.useSingleThread())
            #expect(BLASBackend.threadCount == 1)
        } else {
            #expect(backend.warning?.contains("OpenBLAS") == true)
        }
    }
}

@Suite("OpenBLAS kernel choice")
struct GenericKernelWarningTests {
    @Test("generic kernels on a CPU with AVX2 or AVX-512 get a warning naming the kernels to use")
    func warning() {
        let warning = BLASBackend.genericKernelWarning(coreName: "Prescott", capableCore: "SkylakeX", coreTypeChosen: false)
        #expect(warning?.contains("OPENBLAS_CORETYPE=SkylakeX") == true)
        #expect(warning?.contains("generic Prescott kernels") == true)
        #expect(BLASBackend.genericKernelWarning(coreName: "Nehalem", capableCore: "Haswell", coreTypeChosen: false) != nil)
        // A build with one kernel set cannot be steered by OPENBLAS_CORETYPE: say what can help.
        let single = BLASBackend.genericKernelWarning(coreName: "Prescott", capableCore: "Haswell", coreTypeChosen: false,
                                                      dynamicArch: false)
        #expect(single?.contains("DYNAMIC_ARCH") == true)
        #expect(single?.contains("OPENBLAS_CORETYPE=") == false)
    }

    @Test("no warning for matching kernels, an old CPU, or a kernel set the operator chose")
    func noWarning() {
        #expect(BLASBackend.genericKernelWarning(coreName: "Haswell", capableCore: "SkylakeX", coreTypeChosen: false) == nil)
        #expect(BLASBackend.genericKernelWarning(coreName: "SkylakeX", capableCore: "SkylakeX", coreTypeChosen: false) == nil)
        #expect(BLASBackend.genericKernelWarning(coreName: "Prescott", capableCore: nil, coreTypeChosen: false) == nil)
        #expect(BLASBackend.genericKernelWarning(coreName: "Prescott", capableCore: "Haswell", coreTypeChosen: true) == nil)
        #expect(BLASBackend.genericKernelWarning(coreName: nil, capableCore: "Haswell", coreTypeChosen: false) == nil)
    }
}

@Suite("Restart on capable kernels")
struct KernelRestartTests {
    static let distribution = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"

    @Test("a DYNAMIC_ARCH OpenBLAS on generic kernels restarts on the strongest set the CPU runs")
    func restarts() {
        #expect(BLASBackend.kernelsToRestartOn(coreName: "Prescott", capableCore: "SkylakeX",
                                               configuration: Self.distribution, coreTypeChosen: false) == "SkylakeX")
        #expect(BLASBackend.kernelsToRestartOn(coreName: "Core2", capableCore: "Haswell",
                                               configuration: Self.distribution, coreTypeChosen: false) == "Haswell")
    }

    @Test("no restart for recognised kernels, an old CPU, an operator's choice, or a build with one kernel set")
    func staysPut() {
        #expect(BLASBackend.kernelsToRestartOn(coreName: "Haswell", capableCore: "SkylakeX",
                                               configuration: Self.distribution, coreTypeChosen: false) == nil)
        #expect(BLASBackend.kernelsToRestartOn(coreName: "Prescott", capableCore: nil,
                                               configuration: Self.distribution, coreTypeChosen: false) == nil)
        #expect(BLASBackend.kernelsToRestartOn(coreName: "Prescott", capableCore: "SkylakeX",
                                               configuration: Self.distribution, coreTypeChosen: true) == nil)
        #expect(BLASBackend.kernelsToRestartOn(coreName: "Prescott", capableCore: "SkylakeX",
                                               configuration: "OpenBLAS 0.3.21 NO_AFFINITY Prescott", coreTypeChosen: false) == nil)
        #expect(BLASBackend.kernelsToRestartOn(coreName: nil, capableCore: "SkylakeX",
                                               configuration: nil, coreTypeChosen: false) == nil)
    }
}

@Suite("Kernels")
struct KernelTests {
    func naiveDot(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @Test("dot matches a naive sum", arguments: [1, 3, 16, 128, 384, 768, 1000])
    func dot(dimension: Int) {
        var random = SystemRandomNumberGenerator()
        let a = (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) }
        let b = (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) }
        #expect(abs(Kernels.dot(a, b) - naiveDot(a, b)) < 1e-4)
    }

    @Test("normalise gives unit length and keeps a zero vector")
    func normalize() {
        let unit = Kernels.normalized([3, 4])
        #expect(abs(unit[0] - 0.6) < 1e-6 && abs(unit[1] - 0.8) < 1e-6)
        #expect(Kernels.normalized([0, 0, 0]) == [0, 0, 0])
        var v: [Float] = [1, 2, 2]
        let norm = v.withUnsafeMutableBufferPointer { Kernels.normalize($0.baseAddress!, count: 3) }
        #expect(abs(norm - 3) < 1e-6)
    }

    @Test("metrics: cosine and squared L2 from a dot product")
    func metrics() {
        #expect(Metric.cosine.distance(dot: 0.25, queryNormSquared: 1, vectorNormSquared: 1) == 0.75)
        #expect(Metric.l2.distance(dot: 2, queryNormSquared: 5, vectorNormSquared: 1) == 2)
        #expect(Metric.l2.distance(dot: 3, queryNormSquared: 3, vectorNormSquared: 3) == 0)
        #expect(Metric.cosine.score(distance: 0.25) == 0.75)
    }
}

@Suite("Heaps and exact search")
struct ExactSearchTests {
    @Test("the heap pops in order, both ways")
    func heapOrder() {
        var random = SystemRandomNumberGenerator()
        let values = (0..<500).map { Neighbor(distance: Float.random(in: 0...1, using: &random), id: UInt32($0)) }
        var minHeap = NeighborHeap(farthestOnTop: false, capacity: 4)
        var maxHeap = NeighborHeap(farthestOnTop: true, capacity: 4)
        for value in values {
            minHeap.push(value)
            maxHeap.push(value)
        }
        var ascending: [Neighbor] = []
        while !minHeap.isEmpty { ascending.append(minHeap.pop()) }
        #expect(ascending == values.sorted(by: Neighbor.closer))
        var sorted: [Neighbor] = []
        maxHeap.drainSorted(into: &sorted)
        #expect(sorted == values.sorted(by: Neighbor.closer))
    }

    @Test("top-k and batch top-k agree with sorting every score", arguments: [Metric.cosine, .l2])
    func exact(metric: Metric) {
        var random = SystemRandomNumberGenerator()
        let dimension = 24
        let count = 5000
        var base = (0..<count * dimension).map { _ in Float.random(in: -1...1, using: &random) }
        var queries = (0..<70 * dimension).map { _ in Float.random(in: -1...1, using: &random) }
        if metric == .cosine {
            for row in 0..<count { base.withUnsafeMutableBufferPointer { _ = Kernels.normalize($0.baseAddress! + row * dimension, count: dimension) } }
            for row in 0..<70 { queries.withUnsafeMutableBufferPointer { _ = Kernels.normalize($0.baseAddress! + row * dimension, count: dimension) } }
        }
        let batch = base.withUnsafeBufferPointer { b in
            queries.withUnsafeBufferPointer { q in ExactSearch.batchTopK(queries: q, base: b, dimension: dimension, k: 10, metric: metric) }
        }
        #expect(batch.count == 70)
        for q in 0..<70 {
            let query = Array(queries[q * dimension ..< (q + 1) * dimension])
            let expected = (0..<count).map { row -> (Int, Float) in
                let vector = Array(base[row * dimension ..< (row + 1) * dimension])
                let distance: Float = metric == .cosine
                    ? 1 - zip(query, vector).reduce(0) { $0 + $1.0 * $1.1 }
                    : zip(query, vector).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                return (row, distance)
            }.sorted { $0.1 < $1.1 }.prefix(10).map { UInt32($0.0) }
            let single = query.withUnsafeBufferPointer { qp in
                base.withUnsafeBufferPointer { bp in
                    ExactSearch.topK(query: qp.baseAddress!, vectors: bp.baseAddress!, count: count, dimension: dimension, k: 10, metric: metric)
                }
            }
            // Float rounding may swap near-ties between the naive and BLAS sums: compare as sets
            // with at most one difference, and require the BLAS paths to agree exactly.
            #expect(Set(single.map(\.id)).intersection(expected).count >= 9)
            #expect(single.map(\.id) == batch[q].map(\.id))
        }
    }
}

@Suite("TEXMEX files")
struct VectorFileTests {
    func write(_ rows: [[Int32]], to url: URL) throws {
        var data = Data()
        for row in rows {
            withUnsafeBytes(of: Int32(row.count).littleEndian) { data.append(contentsOf: $0) }
            for value in row { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        }
        try data.write(to: url)
    }

    @Test("reads rows, honours the limit, and rejects damaged files")
    func readAndReject() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engram-vf-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.ivecs")
        try write([[1, 2, 3], [4, 5, 6]], to: good)
        let matrix = try VectorFile.readInts(good.path)
        #expect(matrix.count == 2 && matrix.dimension == 3 && Array(matrix.row(1)) == [4, 5, 6])
        #expect(try VectorFile.readInts(good.path, limit: 1).count == 1)

        let mixed = directory.appendingPathComponent("mixed.ivecs")
        try write([[1, 2], [3, 4, 5, 6].prefix(2).map { $0 }, [7]], to: mixed)
        #expect(throws: VectorFile.FormatError.self) { try VectorFile.readInts(mixed.path) }
        let truncated = directory.appendingPathComponent("truncated.fvecs")
        try Data(try Data(contentsOf: good).prefix(10)).write(to: truncated)
        #expect(throws: VectorFile.FormatError.self) { try VectorFile.readFloats(truncated.path) }
        #expect(throws: VectorFile.FormatError.self) { try VectorFile.readFloats(directory.appendingPathComponent("missing").path) }
    }
}

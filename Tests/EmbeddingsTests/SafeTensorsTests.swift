import Foundation
import Testing
@testable import Embeddings

/// Builds safetensors files in a temporary directory and checks that damaged ones are
/// rejected with the right error.
@Suite("Safetensors reader")
struct SafeTensorsTests {
    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engram-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Serialises a header JSON string and data bytes into safetensors format.
    static func file(header: String, data: [UInt8]) -> Data {
        var bytes = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    /// Writes `contents` and opens it, returning the result.
    static func open(_ contents: Data) throws -> Result<SafeTensorsFile, SafeTensorsError> {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.safetensors").path
        try contents.write(to: URL(fileURLWithPath: path))
        return Result { () throws(SafeTensorsError) in try SafeTensorsFile(path: path) }
    }

    static let validHeader = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I64","shape":[1],"data_offsets":[24,32]}}"#
    static let validData = floatBytes([1, 2, 3, 4, 5, 6]) + [7, 0, 0, 0, 0, 0, 0, 0]

    @Test func readsAValidFile() throws {
        let file = try Self.open(Self.file(header: Self.validHeader, data: Self.validData)).get()
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors.count == 2)
        let a = try file.float32("a", shape: [2, 3])
        #expect(Array(a.buffer) == [1, 2, 3, 4, 5, 6])
        #expect(file.tensors["b"]?.dtype == .i64)
        #expect(throws: SafeTensorsError.unexpectedTensor(path: file.path, name: "a", expected: "F32 [3, 2]", found: "F32 [2, 3]")) {
            try file.float32("a", shape: [3, 2])
        }
        #expect(throws: SafeTensorsError.self) { try file.float32("b", shape: [1]) }
        #expect(throws: SafeTensorsError.missingTensor(path: file.path, name: "c")) { try file.float32("c", shape: [1]) }
    }

    @Test func copiesMisalignedTensorsIntoAlignedStorage() throws {
        // One padding byte of U8 first puts the F32 tensor at an odd offset.
        let header = #"{"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        let file = try Self.open(Self.file(header: header, data: [0] + Self.floatBytes([1.5, -2.25]))).get()
        let x = try file.float32("x", shape: [2])
        #expect(Int(bitPattern: x.pointer) % MemoryLayout<Float>.alignment == 0)
        #expect(Array(x.buffer) == [1.5, -2.25])
    }

    @Test func rejectsFilesShorterThanTheLengthPrefix() throws {
        let result = try Self.open(Data([1, 2, 3]))
        guard case .failure(.truncated) = result else { Issue.record("expected truncated, got \(result)"); return }
    }

    @Test func rejectsAHeaderLongerThanTheFile() throws {
        var contents = Self.file(header: Self.validHeader, data: Self.validData)
        contents = contents.prefix(40)   // cut inside the header
        let result = try Self.open(contents)
        guard case .failure(.truncated) = result else { Issue.record("expected truncated, got \(result)"); return }
    }

    @Test func rejectsTruncatedTensorData() throws {
        let contents = Self.file(header: Self.validHeader, data: Self.validData).dropLast(5)
        let result = try Self.open(Data(contents))
        guard case let .failure(.truncated(_, reason)) = result else { Issue.record("expected truncated, got \(result)"); return }
        #expect(reason.contains("'b'"))
    }

    @Test func rejectsAnAbsurdHeaderLength() throws {
        var contents = Data(repeating: 0xFF, count: 8)
        contents.append(contentsOf: [0x7B, 0x7D])
        let result = try Self.open(contents)
        guard case .failure(.invalidHeader) = result else { Issue.record("expected invalidHeader, got \(result)"); return }
    }

    @Test(arguments: [
        (#"not json at all"#, "invalidHeader"),
        (#"[1,2,3]"#, "invalidHeader"),
        (#"{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[1]}}"#, "invalidTensor"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#, "invalidHeader"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":1}}"#, "invalidHeader"),
        (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, "invalidTensor"),
    ])
    func rejectsCorruptHeaders(header: String, expected: String) throws {
        let result = try Self.open(Self.file(header: header, data: [UInt8](repeating: 0, count: 8)))
        switch result {
        case .success:
            Issue.record("accepted a corrupt header: \(header)")
        case let .failure(error):
            let kind: String
            switch error {
            case .invalidHeader: kind = "invalidHeader"
            case .invalidTensor: kind = "invalidTensor"
            case .truncated: kind = "truncated"
            default: kind = "other"
            }
            #expect(kind == expected, "\(header): \(error)")
            #expect(error.description.contains("model.safetensors"))
        }
    }

    @Test func reportsAMissingFile() {
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: "/nonexistent/model.safetensors") }
    }

    /// Copies of the real model, truncated and with a corrupted header, must fail at embedder
    /// initialisation with a weights error (never crash, never load garbage).
    @Test func damagedModelCopiesFailAtInitialisation() throws {
        let source = try TestSupport.requireModelDirectory()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory.appendingPathComponent(name).path)
        }
        let weights = directory.appendingPathComponent("model.safetensors")
        let original = try Data(contentsOf: URL(fileURLWithPath: source + "/model.safetensors"), options: .alwaysMapped)

        func initialisationError() -> EmbeddingError? {
            do {
                _ = try MiniLMEmbedder(modelDirectory: directory.path)
                return nil
            } catch {
                return error
            }
        }

        // Truncated: the last tensor no longer fits.
        try original.prefix(original.count - 1000).write(to: weights)
        guard case let .invalidWeights(.truncated(path, _)) = initialisationError() else {
            Issue.record("truncated weights were not rejected as truncated")
            return
        }
        #expect(path == weights.path)

        // Header bytes overwritten: not JSON any more.
        var corrupted = original
        corrupted.replaceSubrange(20..<40, with: [UInt8](repeating: 0x00, count: 20))
        try corrupted.write(to: weights)
        guard case .invalidWeights(.invalidHeader) = initialisationError() else {
            Issue.record("a corrupted header was not rejected")
            return
        }

        // A tensor missing: rename one in the header (same length keeps offsets valid).
        let headerLength = Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        var header = String(decoding: original[8..<(8 + headerLength)], as: UTF8.self)
        header = header.replacingOccurrences(of: "encoder.layer.3.output.dense.bias", with: "encoder.layer.3.output.dense.bial")
        var renamed = original
        renamed.replaceSubrange(8..<(8 + headerLength), with: Array(header.utf8))
        try renamed.write(to: weights)
        guard case let .invalidWeights(.missingTensor(_, name)) = initialisationError() else {
            Issue.record("a missing tensor was not reported")
            return
        }
        #expect(name == "encoder.layer.3.output.dense.bias")

        // Empty file.
        try Data().write(to: weights)
        guard case .invalidWeights(.truncated) = initialisationError() else {
            Issue.record("an empty weights file was not rejected")
            return
        }
    }
}

import Foundation
import Testing
@testable import Embeddings
import VectorMath

/// Bad input and damaged models must end in a thrown ``EmbeddingError``, never a trap.
@Suite("Embedder input and model validation")
struct EmbedderValidationTests {
    @Test func invalidTokenIDsAreThrownNotTrapped() throws {
        let embedder = try TestSupport.requireEmbedder()
        let valid = embedder.tokenizer.encode("hello world")
        #expect(try embedder.embed(tokenized: [valid])[0] == embedder.embed("hello world"))
        let cases: [(ids: [[Int32]], mentions: String)] = [
            ([valid, []], "sequence 1 has 0 ids"),
            ([[Int32](repeating: valid[1], count: 257)], "257 ids"),
            ([[101, 30522, 102]], "id 30522"),
            ([[101, -1, 102]], "id -1"),
        ]
        for (ids, mentions) in cases {
            #expect {
                try embedder.embed(tokenized: ids)
            } throws: { error in
                guard case let .invalidInput(reason) = error as? EmbeddingError else { return false }
                return reason.contains(mentions)
            }
        }
        #expect(try embedder.embed(tokenized: []).isEmpty)
    }

    @Test("absurd sizes are rejected at initialisation", arguments: [
        (Int.max, 256), (1 << 40, 256), (65_537, 256), (100, 256), (512, Int.min), (512, 1),
    ])
    func absurdOptions(batchTokenLimit: Int, maximumSequenceLength: Int) throws {
        let directory = try TestSupport.requireModelDirectory()
        var options = MiniLMEmbedder.Options()
        options.batchTokenLimit = batchTokenLimit
        options.maximumSequenceLength = maximumSequenceLength
        #expect {
            try MiniLMEmbedder(modelDirectory: directory, options: options)
        } throws: { error in
            guard case .invalidConfiguration = error as? EmbeddingError else { return false }
            return true
        }
    }

    @Test func panelChoiceFollowsTheKernelSet() {
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "Cooperlake") == true)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "SkylakeX") == true)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "SapphireRapids") == true)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "Zen4") == true)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "Haswell") == false)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "Zen") == false)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: nil) == nil)
        #expect(MiniLMEmbedder.panelsPreferred(coreName: "") == nil)
    }

    @Test func theDefaultPanelChoiceIsDeterministic() throws {
        let embedder = try TestSupport.requireEmbedder()
        if let preferred = MiniLMEmbedder.panelsPreferred(coreName: BLASBackend.current.coreName) {
            #expect(embedder.usesWeightPanels == preferred)
        }
    }

    /// A copy of the model whose `model.safetensors` has `count` bytes of 0xFF written
    /// `offset` bytes into the data of tensor `name`.
    static func damagedCopy(tensor name: String, offset: Int, count: Int) throws -> URL {
        let source = try TestSupport.requireModelDirectory()
        let directory = try SafeTensorsTests.temporaryDirectory()
        for file in ["config.json", "vocab.txt", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: directory.appendingPathComponent(file).path)
        }
        let path = directory.appendingPathComponent("model.safetensors").path
        let start: Int
        do {
            let file = try SafeTensorsFile(path: path)
            let info = try #require(file.tensors[name])
            #expect(info.dataRange.count >= offset + count)
            start = file.dataOffset + info.dataRange.lowerBound + offset
        }
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(start))
        try handle.write(contentsOf: Data(repeating: 0xFF, count: count))
        try handle.close()
        return directory
    }

    @Test func damagedTensorDataFailsAtInitialisation() throws {
        let directory = try Self.damagedCopy(tensor: "embeddings.LayerNorm.weight", offset: 64, count: 16)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            try MiniLMEmbedder(modelDirectory: directory.path)
        } throws: { error in
            guard case let .damagedModel(path, reason) = error as? EmbeddingError else { return false }
            return path.hasSuffix("/model.safetensors") && reason.contains("probe")
                && (error as? EmbeddingError)?.description.contains("damaged") == true
        }
    }

    @Test func damagedRowOfARareTokenFailsAtUse() throws {
        let tokenizer = try TestSupport.requireTokenizer()
        // A whole-word token the start-up probe does not contain.
        let id = try #require((20_000..<30_000).first { id in
            let token = tokenizer.vocabulary.tokens[id]
            return token.allSatisfy { $0.isLetter && $0.isASCII } && tokenizer.encode(token).count == 3
        })
        let word = tokenizer.vocabulary.tokens[id]
        let hidden = 384
        let directory = try Self.damagedCopy(tensor: "embeddings.word_embeddings.weight", offset: id * hidden * 4, count: 16)
        defer { try? FileManager.default.removeItem(at: directory) }
        let embedder = try MiniLMEmbedder(modelDirectory: directory.path)
        #expect(try embedder.embed("a sound sentence").allSatisfy(\.isFinite))
        #expect {
            try embedder.embed(["fine", "the word \(word) here"])
        } throws: { error in
            guard case let .invalidOutput(reason) = error as? EmbeddingError else { return false }
            return reason.contains("sequence 1") && reason.contains("not finite")
        }
    }
}

@Suite("Vocabulary files")
struct VocabularyFileTests {
    @Test("LF and CRLF files give the same tokens", arguments: ["\n", "\r\n"])
    func lineEndings(separator: String) throws {
        let directory = try SafeTensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("vocab.txt").path
        let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "##s", "é"]
        try Data((tokens.joined(separator: separator) + separator).utf8).write(to: URL(fileURLWithPath: path))
        let vocabulary = try Vocabulary(contentsOf: path)
        #expect(vocabulary.tokens == tokens)
        #expect(vocabulary.id("hello") == 4)
        let tokenizer = try BertTokenizer(vocabulary: vocabulary)
        #expect(tokenizer.tokens(of: tokenizer.encode("Hellos")) == ["[CLS]", "hello", "##s", "[SEP]"])
    }
}

@Suite("File errors")
struct FileErrorTests {
    @Test func openFailuresCarryErrno() throws {
        #expect {
            try MappedFile(path: "/nonexistent/model.safetensors")
        } throws: { error in
            guard case let .cannotOpen(path, reason, code) = error as? SafeTensorsError else { return false }
            return path == "/nonexistent/model.safetensors" && code == ENOENT && reason.contains("open")
        }
        let directory = try SafeTensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            try MappedFile(path: directory.path)
        } throws: { error in
            guard case let .cannotOpen(_, reason, code) = error as? SafeTensorsError else { return false }
            return code == 0 && reason == "not a regular file"
        }
    }

    @Test func anUnreadableConfigurationIsNotReportedAsMissing() throws {
        let directory = try SafeTensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.json").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect {
            try BertConfiguration(contentsOf: path)
        } throws: { error in
            guard case let .invalidConfiguration(reported, reason) = error as? EmbeddingError else { return false }
            return reported == path && reason.contains("cannot read")
        }
        #expect {
            try BertConfiguration(contentsOf: directory.appendingPathComponent("absent.json").path)
        } throws: { error in
            guard case .missingModelFile = error as? EmbeddingError else { return false }
            return true
        }
    }

    @Test func tensorDataNeedsThisFilesEntry() throws {
        let directory = try SafeTensorsTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = directory.appendingPathComponent("small.safetensors")
        let large = directory.appendingPathComponent("large.safetensors")
        try SafeTensorsTests.file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 128, 63]).write(to: small)
        try SafeTensorsTests.file(header: #"{"a":{"dtype":"F32","shape":[64],"data_offsets":[0,256]}}"#,
                                  data: [UInt8](repeating: 0, count: 256)).write(to: large)
        let smallFile = try SafeTensorsFile(path: small.path)
        let largeFile = try SafeTensorsFile(path: large.path)
        let own = try #require(smallFile.tensors["a"])
        #expect(try smallFile.data(of: own).count == 4)
        let foreign = try #require(largeFile.tensors["a"])
        #expect(throws: SafeTensorsError.missingTensor(path: small.path, name: "a")) {
            try smallFile.data(of: foreign)
        }
    }
}

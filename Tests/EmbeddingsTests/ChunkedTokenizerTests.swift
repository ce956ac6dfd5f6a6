import Foundation
import Testing
@testable import Embeddings

/// The tokenizer normalises long texts in chunks (so a huge input costs only the part that
/// fits in 256 tokens). These tests check that where the chunks are cut never changes the ids:
/// every text is compared with the unchunked path (`chunkLength: .max`, one NFD per segment).
@Suite("Chunked tokenisation")
struct ChunkedTokenizerTests {
    /// Tiny chunk lengths put cuts almost everywhere a cut is allowed, and make the
    /// combining-mark fallback (pieces of twice the chunk length) run on short runs.
    static let chunkLengths = [1, 2, 3, 5, 16, 200]

    @Test("a megabyte of accented text gives the ids of its first few KiB")
    func hugeAccentedText() throws {
        let tokenizer = try TestSupport.requireTokenizer()
        let unit = "Élève été à Zürich, naïve café — "
        let huge = String(repeating: unit, count: 1_048_576 / unit.utf8.count + 1)
        #expect(huge.utf8.count > 1_000_000)
        let prefix = String(repeating: unit, count: 8192 / unit.utf8.count)
        let ids = tokenizer.encode(huge)
        #expect(ids.count == 256)
        #expect(ids == tokenizer.encode(prefix))
        #expect(tokenizer.tokens(of: Array(ids[1...4])) == ["el", "##eve", "et", "##e"])   // accents stripped
        // "é " with no other ASCII: every chunk ends at a space.
        let spaced = String(repeating: "é ", count: 500_000)
        #expect(tokenizer.encode(spaced) == tokenizer.encode(String(repeating: "é ", count: 2000)))
        // No ASCII at all: chunks end before a precomposed é (a starter).
        let unspaced = String(repeating: "é", count: 500_000)
        #expect(tokenizer.tokens(of: tokenizer.encode(unspaced)) == ["[CLS]", "[UNK]", "[SEP]"])
    }

    @Test("a long run of combining marks is normalised like the whole")
    func longMarkRun() throws {
        let tokenizer = try TestSupport.requireTokenizer()
        // U+0301 (class 230) and U+0323 (class 220) alternate: canonical ordering must move
        // every U+0323 before every U+0301. Both are stripped, so "ab" remains; U+1D165
        // (class 216, a spacing mark, kept) must end up first of the run.
        var text = "a"
        for index in 0..<5000 { text.unicodeScalars.append(index % 2 == 0 ? "\u{301}" : "\u{323}") }
        text += "\u{1D165}b x"
        let unchunked = tokenizer.encode(text, chunkLength: .max)
        for chunkLength in Self.chunkLengths + [BertTokenizer.normalizationChunkLength] {
            #expect(tokenizer.encode(text, chunkLength: chunkLength) == unchunked, "chunk length \(chunkLength)")
        }
        #expect(tokenizer.tokens(of: unchunked).last(where: { $0 != "[SEP]" }) == "x")
    }

    @Test("canonical ordering is a stable sort of each run of non-starters")
    func canonicalOrdering() {
        var scalars: [Unicode.Scalar] = ["a", "\u{301}", "\u{323}", "\u{302}", "\u{316}", "b", "\u{301}", "\u{1D165}"]
        BertNormalizer.putInCanonicalOrder(&scalars)
        #expect(scalars == ["a", "\u{323}", "\u{316}", "\u{301}", "\u{302}", "b", "\u{1D165}", "\u{301}"])
    }

    @Test("the golden and reference texts tokenise identically with any chunk length")
    func fixturesWithSmallChunks() throws {
        let tokenizer = try TestSupport.requireTokenizer()
        let texts = TestSupport.goldenCases.map(\.text)
            + TestSupport.loadJSONLines("tokenizer-texts").map { (item: TokenizerReferenceTests.TextCase) in item.text }
        #expect(texts.count == 688)
        var mismatches: [String] = []
        for text in texts {
            let unchunked = tokenizer.encode(text, chunkLength: .max)
            for chunkLength in Self.chunkLengths where tokenizer.encode(text, chunkLength: chunkLength) != unchunked {
                mismatches.append("chunk \(chunkLength): \(String(reflecting: text.prefix(40)))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(5))")
    }

    /// Scalars chosen to interact with the cuts: combining marks of several classes, Tibetan
    /// vowels whose decomposition starts with a non-starter, Hangul, CJK (spaced by the
    /// normaliser), compatibility ideographs, removed controls, whitespace, punctuation, and
    /// letters that change under lowercasing or NFD.
    static let pool: [Unicode.Scalar] = [
        "a", "b", "E", "z", " ", " ", "\t", "\n", ".", ",", "-", "[", "'", "é", "É", "ệ", "ñ", "ǅ", "İ",
        "\u{301}", "\u{323}", "\u{302}", "\u{316}", "\u{344}", "\u{345}", "\u{1D165}", "\u{1D15E}",
        "\u{F71}", "\u{F72}", "\u{F73}", "\u{F75}", "\u{F81}", "\u{F40}",
        "한", "\u{1100}", "\u{1161}", "中", "\u{F900}", "。", "«", "\u{3000}", "\u{A0}",
        "\u{0}", "\u{7}", "\u{200B}", "\u{FFFD}", "Σ", "ß", "\u{1FEF}", "\u{37E}", "k", "\u{212A}",
        // Non-starters the normaliser keeps (spacing marks), so their canonical order shows in
        // its output: classes 226 and 216 (U+1D165 above). Marks newer than Foundation's
        // Unicode tables (such as U+1DF6) are left out: Foundation takes them for starters.
        "\u{1D16D}", "\u{1D16E}",
    ]

    @Test("normalising cleaned text in chunks cut at boundaries equals normalising it whole")
    func normalizerChunks() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        var mismatches: [String] = []
        for round in 0..<400 {
            var cleaned: [Unicode.Scalar] = []
            for _ in 0..<(10 + Int(generator.next() % 300)) {
                // Marks are frequent, so long runs of non-starters occur.
                let pick = generator.next() % 3 == 0 ? Int(generator.next() % 4) : Int(generator.next() % UInt64(Self.pool.count))
                _ = BertNormalizer.clean(Self.pool[pick], into: &cleaned)
            }
            var whole: [Unicode.Scalar] = []
            BertNormalizer.finish(cleaned, needsDecomposition: true, into: &whole)
            // Foundation does not reorder across the decomposition of U+0F73, U+0F75 or U+0F81
            // (which the standard requires), so the piecewise path, which orders by the
            // standard, is compared only on texts without them.
            let tibetan = cleaned.contains { $0 == "\u{F73}" || $0 == "\u{F75}" || $0 == "\u{F81}" }
            for chunkLength in Self.chunkLengths {
                for pieceLength in tibetan ? [Int.max] : [Int.max, 2 * chunkLength] {
                var chunked: [Unicode.Scalar] = []
                var piece: [Unicode.Scalar] = []
                for scalar in cleaned {
                    if piece.count >= chunkLength, BertNormalizer.isDecompositionBoundary(scalar) {
                        BertNormalizer.finish(piece, needsDecomposition: true, pieceLength: pieceLength, into: &chunked)
                        piece.removeAll()
                    }
                    piece.append(scalar)
                }
                BertNormalizer.finish(piece, needsDecomposition: true, pieceLength: pieceLength, into: &chunked)
                if chunked != whole {
                    func hex(_ scalars: [Unicode.Scalar]) -> String { scalars.map { String($0.value, radix: 16) }.joined(separator: " ") }
                    mismatches.append("round \(round), chunk \(chunkLength), piece \(pieceLength): \(hex(cleaned)) → \(hex(chunked)) expected \(hex(whole))")
                }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(5))")
    }

    @Test("random texts built to straddle chunk boundaries tokenise as a whole")
    func randomTextsAcrossBoundaries() throws {
        let tokenizer = try TestSupport.requireTokenizer()
        var generator = SplitMix64(seed: 0x5EED)
        var mismatches: [String] = []
        for round in 0..<300 {
            var text = ""
            let length = 20 + Int(generator.next() % 600)
            for _ in 0..<length {
                // Mostly letters of one word, so long words and marks after them are common.
                let pick = generator.next() % 4 == 0 ? Int(generator.next() % UInt64(Self.pool.count)) : Int(generator.next() % 4)
                text.unicodeScalars.append(Self.pool[pick])
            }
            let unchunked = tokenizer.encode(text, chunkLength: .max)
            for chunkLength in Self.chunkLengths where tokenizer.encode(text, chunkLength: chunkLength) != unchunked {
                mismatches.append("round \(round), chunk \(chunkLength): \(text.unicodeScalars.map { String($0.value, radix: 16) }.prefix(30))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(3))")
    }

    @Test("every starter but three Tibetan vowels decomposes to a starter first")
    func decompositionBoundaries() {
        // Scalars joined by U+0001 (which no decomposition contains) are decomposed in blocks,
        // then split apart again.
        var violations: [String] = []
        var block: [Unicode.Scalar] = []
        func check() {
            var view = String.UnicodeScalarView()
            for scalar in block { view.append(scalar); view.append("\u{1}") }
            let parts = String(view).decomposedStringWithCanonicalMapping.unicodeScalars.split(separator: "\u{1}")
            for (scalar, part) in zip(block, parts) {
                let first = part.first!
                if BertNormalizer.isDecompositionBoundary(scalar), first.properties.canonicalCombiningClass != .notReordered {
                    violations.append(String(scalar.value, radix: 16))
                }
            }
            block.removeAll(keepingCapacity: true)
        }
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.properties.generalCategory != .unassigned,
                  scalar.properties.canonicalCombiningClass == .notReordered else { continue }
            block.append(scalar)
            if block.count == 1000 { check() }
        }
        if !block.isEmpty { check() }
        #expect(violations.isEmpty, "starters decomposing to a non-starter: \(violations)")
        #expect(!BertNormalizer.isDecompositionBoundary("\u{F73}"))
        #expect(!BertNormalizer.isDecompositionBoundary("\u{301}"))
        #expect(BertNormalizer.isDecompositionBoundary(" "))
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

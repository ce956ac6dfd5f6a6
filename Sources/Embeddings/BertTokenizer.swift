import Foundation

/// Why a tokenizer could not be built.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case missingSpecialToken(String)
    case invalidMaximumLength(Int)

    public var description: String {
        switch self {
        case let .missingSpecialToken(token): return "the vocabulary lacks the special token \(token)"
        case let .invalidMaximumLength(length): return "maximum length \(length) leaves no room for [CLS] and [SEP]"
        }
    }
}

/// BERT uncased WordPiece tokenisation, identical in output to the Hugging Face `tokenizers`
/// pipeline in all-MiniLM-L6-v2's `tokenizer.json`:
///
/// 1. special tokens written literally in the text (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`,
///    `[MASK]`, case-sensitive, matched on the raw text) become their ids;
/// 2. the text between them goes through ``BertNormalizer``;
/// 3. the BERT pre-tokeniser splits on whitespace and isolates each punctuation character;
/// 4. WordPiece: greedy longest match first, continuation pieces prefixed `##`; a word longer
///    than 100 characters, or one that cannot be covered by the vocabulary, becomes `[UNK]`;
/// 5. `[CLS]` … `[SEP]` around the pieces, truncated so the whole fits `maximumLength`.
///
/// A value type holding only immutable tables: safe to share between threads.
public struct BertTokenizer: Sendable {
    public let vocabulary: Vocabulary
    /// Largest number of ids `encode` returns, `[CLS]` and `[SEP]` included (256 for
    /// all-MiniLM-L6-v2, its `max_seq_length`).
    public let maximumLength: Int
    /// Words with more characters (Unicode scalars) than this become `[UNK]`.
    public let maximumCharactersPerWord: Int

    public let classifierID: Int32
    public let separatorID: Int32
    public let unknownID: Int32
    /// Literal special tokens split out of the raw text, longest first.
    private let specialTokens: [(bytes: [UInt8], id: Int32)]

    public static let specialTokenNames = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// - Parameters:
    ///   - vocabulary: must contain `[UNK]`, `[CLS]` and `[SEP]`.
    ///   - maximumLength: at least 2.
    public init(vocabulary: Vocabulary, maximumLength: Int = 256, maximumCharactersPerWord: Int = 100) throws(TokenizerError) {
        guard maximumLength >= 2 else { throw .invalidMaximumLength(maximumLength) }
        func required(_ token: String) throws(TokenizerError) -> Int32 {
            guard let id = vocabulary.id(token) else { throw .missingSpecialToken(token) }
            return id
        }
        classifierID = try required("[CLS]")
        separatorID = try required("[SEP]")
        unknownID = try required("[UNK]")
        specialTokens = Self.specialTokenNames.compactMap { name in
            vocabulary.id(name).map { (Array(name.utf8), $0) }
        }.sorted { $0.bytes.count > $1.bytes.count }
        self.vocabulary = vocabulary
        self.maximumLength = maximumLength
        self.maximumCharactersPerWord = maximumCharactersPerWord
    }

    /// Loads `vocab.txt` and builds the tokenizer.
    public init(vocabularyPath: String, maximumLength: Int = 256) throws {
        try self.init(vocabulary: Vocabulary(contentsOf: vocabularyPath), maximumLength: maximumLength)
    }

    /// Cleaned scalars normalised per chunk: long enough that Foundation's per-call cost
    /// vanishes, short enough that its quadratic NFD stays cheap (a few KiB).
    static let normalizationChunkLength = 4096

    /// Token ids of `text`: `[CLS]`, the pieces (truncated), `[SEP]`. Work stops once
    /// `maximumLength` pieces are found: the text is normalised and split in chunks of about
    /// ``normalizationChunkLength`` scalars, so a megabyte of text costs a scan for special
    /// tokens plus the chunks actually used, never a normalisation of the whole text.
    public func encode(_ text: String) -> [Int32] {
        encode(text, chunkLength: Self.normalizationChunkLength)
    }

    /// ``encode(_:)`` with a chosen chunk length; `Int.max` normalises each segment whole
    /// (the unchunked reference the tests compare against).
    func encode(_ text: String, chunkLength: Int) -> [Int32] {
        var state = EncodingState(capacity: min(maximumLength, text.utf8.count + 2))
        state.ids.append(classifierID)
        let limit = maximumLength - 1
        // Work on scalars, never Characters: a special token may follow a scalar that joins
        // the grapheme before it (a Prepend character), and slicing by Character would
        // round such a boundary away.
        let scalars = text.unicodeScalars
        var segmentStart = scalars.startIndex
        var index = scalars.startIndex
        // Split on literal special tokens. They are ASCII and all start with "[", so a match
        // can only begin at a "[" scalar.
        while index != scalars.endIndex, state.ids.count < limit {
            if scalars[index] == "[", let match = specialToken(at: index, in: scalars) {
                appendPieces(of: scalars[segmentStart..<index], to: &state, limit: limit, chunkLength: chunkLength)
                if state.ids.count < limit { state.ids.append(match.id) }
                index = match.end
                segmentStart = index
            } else {
                index = scalars.index(after: index)
            }
        }
        if state.ids.count < limit {
            appendPieces(of: scalars[segmentStart..<scalars.endIndex], to: &state, limit: limit, chunkLength: chunkLength)
        }
        if state.ids.count > limit { state.ids.removeLast(state.ids.count - limit) }
        state.ids.append(separatorID)
        return state.ids
    }

    /// The token strings of `ids` (for debugging and tests).
    public func tokens(of ids: [Int32]) -> [String] {
        ids.map { Int($0) < vocabulary.tokens.count && $0 >= 0 ? vocabulary.tokens[Int($0)] : "<\($0)>" }
    }

    private func specialToken(at index: String.UnicodeScalarView.Index, in scalars: String.UnicodeScalarView)
        -> (id: Int32, end: String.UnicodeScalarView.Index)? {
        candidates: for token in specialTokens {
            var position = index
            for byte in token.bytes {
                guard position != scalars.endIndex, scalars[position].value == UInt32(byte) else { continue candidates }
                position = scalars.index(after: position)
            }
            return (token.id, position)
        }
        return nil
    }

    /// Scratch reused across the segments, chunks and words of one `encode` call.
    private struct EncodingState {
        var ids: [Int32] = []
        /// Cleaned scalars of the chunk being gathered.
        var cleaned: [Unicode.Scalar] = []
        /// Normalised scalars of the chunk being split into words.
        var normalized: [Unicode.Scalar] = []
        /// The word being gathered; it may span chunks. Kept at most one scalar longer than
        /// `maximumCharactersPerWord`, which is enough to know it becomes `[UNK]`.
        var pendingWord: [Unicode.Scalar] = []
        var word: [UInt8] = []
        var probe: [UInt8] = []

        init(capacity: Int) {
            ids.reserveCapacity(capacity)
            word.reserveCapacity(64)
            probe.reserveCapacity(64)
        }
    }

    /// Normalises, pre-tokenises and WordPiece-encodes one segment (text between special
    /// tokens), appending ids until `limit` is reached.
    ///
    /// Cleaning is per scalar; the cleaned text is cut into chunks of at least `chunkLength`
    /// scalars, each ending just before a ``BertNormalizer/isDecompositionBoundary(_:)`` scalar
    /// (so that NFD of the chunks, joined, is NFD of the whole), and each chunk is normalised
    /// and split into words as soon as it is complete. The word in progress carries over from
    /// one chunk to the next, so where the cuts fall never changes the words. O(n) for the
    /// part of the segment used, with Foundation's NFD on inputs of bounded size (only a run of
    /// combining marks with no starter to cut at makes a chunk long, and
    /// ``BertNormalizer/finish(_:needsDecomposition:pieceLength:into:)`` decomposes such a
    /// chunk in pieces).
    private func appendPieces(of segment: Substring.UnicodeScalarView, to state: inout EncodingState,
                              limit: Int, chunkLength: Int) {
        if segment.isEmpty { return }
        state.cleaned.removeAll(keepingCapacity: true)
        state.pendingWord.removeAll(keepingCapacity: true)
        var needsDecomposition = false
        for scalar in segment {
            if state.cleaned.count >= chunkLength, BertNormalizer.isDecompositionBoundary(scalar) {
                splitChunk(needsDecomposition: needsDecomposition, into: &state, limit: limit, chunkLength: chunkLength)
                if state.ids.count >= limit { return }
                needsDecomposition = false
            }
            if BertNormalizer.clean(scalar, into: &state.cleaned) { needsDecomposition = true }
        }
        splitChunk(needsDecomposition: needsDecomposition, into: &state, limit: limit, chunkLength: chunkLength)
        if !state.pendingWord.isEmpty, state.ids.count < limit {
            appendWord(state.pendingWord[...], to: &state)
        }
    }

    /// Normalises `state.cleaned` (then empties it) and runs the pre-tokeniser over the result:
    /// whitespace separates words and is dropped, punctuation is a word alone. Each completed
    /// word goes through WordPiece; the last word stays in `state.pendingWord`.
    private func splitChunk(needsDecomposition: Bool, into state: inout EncodingState, limit: Int, chunkLength: Int) {
        state.normalized.removeAll(keepingCapacity: true)
        BertNormalizer.finish(state.cleaned, needsDecomposition: needsDecomposition,
                              pieceLength: chunkLength > Int.max / 2 ? Int.max : 2 * chunkLength, into: &state.normalized)
        state.cleaned.removeAll(keepingCapacity: true)
        var word = state.pendingWord
        state.pendingWord = []
        defer { state.pendingWord = word }
        let normalized = state.normalized
        for (position, scalar) in normalized.enumerated() {
            if state.ids.count >= limit { return }
            if BertCharacters.isWhitespace(scalar) {
                if !word.isEmpty { appendWord(word[...], to: &state) }
                word.removeAll(keepingCapacity: true)
            } else if BertCharacters.isPunctuation(scalar) {
                if !word.isEmpty { appendWord(word[...], to: &state) }
                word.removeAll(keepingCapacity: true)
                appendWord(normalized[position..<(position + 1)], to: &state)
            } else if word.count <= maximumCharactersPerWord {
                word.append(scalar)
            }
        }
    }

    /// WordPiece on one word: greedy longest match from the left, `##` on continuations, and
    /// the whole word as `[UNK]` when it is too long or any part has no match.
    /// O(w · L) probes for a word of w scalars and longest token L.
    private func appendWord(_ word: ArraySlice<Unicode.Scalar>, to state: inout EncodingState) {
        if word.count > maximumCharactersPerWord {
            state.ids.append(unknownID)
            return
        }
        state.word.removeAll(keepingCapacity: true)
        for scalar in word { UTF8.encode(scalar) { state.word.append($0) } }
        let bytes = state.word
        let firstPiece = state.ids.count
        var start = 0
        let longest = vocabulary.longestTokenBytes
        while start < bytes.count {
            var end = min(bytes.count, start + longest)
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 }   // back to a scalar boundary
            var found: Int32?
            while end > start {
                state.probe.removeAll(keepingCapacity: true)
                if start > 0 { state.probe.append(0x23); state.probe.append(0x23) }
                state.probe.append(contentsOf: bytes[start..<end])
                if let id = vocabulary.ids[String(decoding: state.probe, as: UTF8.self)] {
                    found = id
                    break
                }
                end -= 1
                while end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            }
            guard let id = found else {
                state.ids.removeLast(state.ids.count - firstPiece)
                state.ids.append(unknownID)
                return
            }
            state.ids.append(id)
            start = end
        }
    }
}

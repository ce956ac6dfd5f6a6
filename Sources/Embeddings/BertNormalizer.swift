import Foundation

/// Character classes of the BERT normaliser and pre-tokeniser, defined exactly as Hugging Face
/// `tokenizers` defines them (`normalizers/bert.rs`, `pre_tokenizers/bert.rs`), because the
/// model's vocabulary and the golden fixtures were produced by that implementation.
///
/// The reference takes general categories from a table of Unicode 8.0 (the
/// `unicode_categories` crate), while Swift knows a newer Unicode. To reproduce it exactly,
/// ``referenceCategory(_:)`` treats every scalar assigned after 8.0 as unassigned (neither
/// removed, nor punctuation, nor a mark) and restores the 8.0 category of the few older
/// scalars whose category changed since. A test compares every code point with the reference.
enum BertCharacters {
    /// Whitespace: tab, newline, carriage return, or any `White_Space` scalar (the reference
    /// uses Rust's current `char::is_whitespace` here, not the old table).
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return scalar.properties.isWhitespace
    }

    /// The general category as the reference's Unicode 8.0 table gives it; `.unassigned` for
    /// scalars assigned later. O(1).
    static func referenceCategory(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        switch scalar.value {
        // Category changes between Unicode 8.0 and the Unicode Swift ships.
        case 0x166D, 0x111C9: return .otherPunctuation
        case 0x1734, 0x1171E: return .nonspacingMark
        case 0x1885, 0x1886: return .otherLetter
        case 0xA9BD: return .spacingMark
        default: break
        }
        let properties = scalar.properties
        guard let age = properties.age, age.major < 9 else { return .unassigned }
        return properties.generalCategory
    }

    /// A character the normaliser deletes: NUL, U+FFFD, or "other" (control, format, private
    /// use, surrogate) except tab, newline and carriage return, which count as whitespace.
    /// Unassigned code points (Cn) are kept: the reference table has no Cn entries.
    @inline(__always)
    static func isRemovedControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || value == 0x7F
        }
        if value == 0xFFFD { return true }
        switch referenceCategory(scalar) {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Punctuation for the pre-tokeniser: any ASCII punctuation or symbol (`!`…`/`, `:`…`@`,
    /// `[`…`` ` ``, `{`…`~`), or a scalar of a Unicode punctuation category (P*).
    @inline(__always)
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 33 && value <= 47) || (value >= 58 && value <= 64)
                || (value >= 91 && value <= 96) || (value >= 123 && value <= 126)
        }
        switch referenceCategory(scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// A non-spacing mark, which accent stripping removes after NFD.
    @inline(__always)
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x300 && referenceCategory(scalar) == .nonspacingMark
    }

    /// CJK ideographs, which BERT surrounds with spaces so that each becomes its own word.
    /// These are the reference's blocks; note its extension-E range starts at U+2B920, not at
    /// U+2B820 as in the original BERT code, and we follow the reference.
    @inline(__always)
    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}

/// BertNormalizer with the settings of all-MiniLM-L6-v2's `tokenizer.json` (`clean_text`,
/// `handle_chinese_chars`, `lowercase`, and `strip_accents` following `lowercase`), applied in
/// the reference order: clean, CJK spacing, NFD + removal of non-spacing marks, lowercase.
///
/// Lowercasing maps each scalar on its own (full Unicode lowercase mapping, no context), as the
/// reference does: `Σ` always becomes `σ`, never the word-final `ς`.
///
/// Cleaning (``clean(_:into:)``) is per scalar; the rest (``finish(_:needsDecomposition:into:)``)
/// may run on any pieces of cleaned text cut at ``isDecompositionBoundary(_:)``, which is how
/// ``BertTokenizer`` normalises only as much of a long text as it needs, in bounded chunks.
enum BertNormalizer {
    /// The cleaning and CJK-spacing step for one raw scalar, which depends on nothing around
    /// it: appends nothing (removed control), `" "` (any whitespace), `" c "` (CJK ideograph)
    /// or the scalar itself. Returns whether it appended a non-ASCII scalar, i.e. whether the
    /// NFD step has anything to do.
    @inline(__always)
    static func clean(_ scalar: Unicode.Scalar, into output: inout [Unicode.Scalar]) -> Bool {
        if scalar.value == 0 || BertCharacters.isRemovedControl(scalar) { return false }
        if BertCharacters.isWhitespace(scalar) {
            output.append(" ")
            return false
        }
        if BertCharacters.isChinese(scalar) {
            output.append(" ")
            output.append(scalar)
            output.append(" ")
            return true
        }
        output.append(scalar)
        return scalar.value >= 0x80
    }

    /// Whether NFD of cleaned text may be computed separately before and from `scalar` on,
    /// i.e. `NFD(a + b) == NFD(a) + NFD(b)` whenever `b` starts with it: `scalar` is a starter
    /// (combining class 0) whose decomposition also starts with a starter, so canonical
    /// reordering, which only permutes runs of non-starters, never crosses the cut. The only
    /// starters whose canonical decomposition begins with a non-starter are the Tibetan
    /// vowel signs U+0F73, U+0F75 and U+0F81 (a test checks this over every scalar).
    /// ASCII is the common, cheap case.
    @inline(__always)
    static func isDecompositionBoundary(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 { return true }
        if value == 0x0F73 || value == 0x0F75 || value == 0x0F81 { return false }
        return scalar.properties.canonicalCombiningClass == .notReordered
    }

    /// The rest of the normaliser on cleaned text: NFD, removal of non-spacing marks and
    /// lowercasing, appended to `output` (not cleared). Pure-ASCII input (`needsDecomposition`
    /// false) skips Foundation and only lowercases.
    ///
    /// Foundation's NFD is quadratic on Linux (in the length of the string, and in the length
    /// of a run of combining marks, which it reorders by exchange), so text longer than
    /// `pieceLength` scalars — which a chunked caller only passes for a run of combining marks
    /// with no starter to cut at — is decomposed in small pieces and then put in canonical
    /// order here, in O(n log n). That equals NFD of the whole: decomposition is per
    /// scalar, and canonical ordering is a stable sort of each run of non-starters by
    /// combining class, which gives the same result whether or not parts of a run were
    /// already sorted. (Foundation itself departs from the standard in two ways: it treats
    /// marks newer than its tables, such as U+1DF6 from Unicode 10, as starters, and it does
    /// not reorder across the decomposition of U+0F73, U+0F75 or U+0F81. In a run of over
    /// `pieceLength` marks, which only hostile input has, the order here is the standard's.
    /// Cuts are unaffected: a scalar Swift calls a starter is one for Foundation too.)
    static func finish(_ cleaned: [Unicode.Scalar], needsDecomposition: Bool, pieceLength: Int = .max,
                       into output: inout [Unicode.Scalar]) {
        guard needsDecomposition else {
            for scalar in cleaned {
                let value = scalar.value
                output.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            }
            return
        }
        func decomposed(_ scalars: ArraySlice<Unicode.Scalar>) -> String.UnicodeScalarView {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view).decomposedStringWithCanonicalMapping.unicodeScalars
        }
        if cleaned.count <= max(1, pieceLength) {
            for scalar in decomposed(cleaned[...]) where !BertCharacters.isNonspacingMark(scalar) {
                appendLowercased(scalar, to: &output)
            }
            return
        }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(cleaned.count)
        // Small pieces: Foundation reorders a run of marks by exchange, quadratic in the run.
        let piece = min(max(1, pieceLength), 256)
        var start = 0
        while start < cleaned.count {
            let end = start + min(piece, cleaned.count - start)
            scalars.append(contentsOf: decomposed(cleaned[start..<end]))
            start = end
        }
        putInCanonicalOrder(&scalars)
        for scalar in scalars where !BertCharacters.isNonspacingMark(scalar) {
            appendLowercased(scalar, to: &output)
        }
    }

    /// Unicode canonical ordering: a stable sort of every run of non-starters by combining
    /// class. O(n log n).
    static func putInCanonicalOrder(_ scalars: inout [Unicode.Scalar]) {
        @inline(__always) func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
            scalar.value < 0x300 ? 0 : scalar.properties.canonicalCombiningClass.rawValue
        }
        var start = 0
        while start < scalars.count {
            guard combiningClass(scalars[start]) != 0 else {
                start += 1
                continue
            }
            var end = start + 1
            while end < scalars.count, combiningClass(scalars[end]) != 0 { end += 1 }
            if end - start > 1 {
                // The offset breaks ties, so the sort is stable whatever algorithm `sorted` uses.
                let run = scalars[start..<end].enumerated()
                    .map { (combiningClass($0.element), $0.offset, $0.element) }
                    .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
                for (offset, item) in run.enumerated() { scalars[start + offset] = item.2 }
            }
            start = end
        }
    }

    @inline(__always)
    private static func appendLowercased(_ scalar: Unicode.Scalar, to output: inout [Unicode.Scalar]) {
        let value = scalar.value
        if value < 0x80 {
            output.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            return
        }
        let properties = scalar.properties
        if !properties.changesWhenLowercased {
            output.append(scalar)
            return
        }
        output.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
    }
}

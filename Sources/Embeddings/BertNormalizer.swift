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
enum BertNormalizer {
    /// Normalises `text` into `output` (cleared first). O(n) in scalars, plus Foundation's NFD
    /// for text that is not pure ASCII after cleaning.
    static func normalize(_ text: Substring.UnicodeScalarView, into output: inout [Unicode.Scalar]) {
        output.removeAll(keepingCapacity: true)
        var needsDecomposition = false
        for scalar in text {
            if scalar.value == 0 || BertCharacters.isRemovedControl(scalar) { continue }
            if BertCharacters.isWhitespace(scalar) {
                output.append(" ")
            } else if BertCharacters.isChinese(scalar) {
                output.append(" ")
                output.append(scalar)
                output.append(" ")
                needsDecomposition = true
            } else {
                if scalar.value >= 0x80 { needsDecomposition = true }
                output.append(scalar)
            }
        }
        if needsDecomposition {
            var cleaned = String.UnicodeScalarView()
            cleaned.append(contentsOf: output)
            let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
            output.removeAll(keepingCapacity: true)
            for scalar in decomposed.unicodeScalars where !BertCharacters.isNonspacingMark(scalar) {
                appendLowercased(scalar, to: &output)
            }
        } else {
            for index in output.indices {
                let value = output[index].value
                if value >= 0x41 && value <= 0x5A { output[index] = Unicode.Scalar(UInt8(value + 0x20)) }
            }
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

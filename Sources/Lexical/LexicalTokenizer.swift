import Foundation
public import EngramModel

/// Splits text into the terms the lexical index stores and a query looks up.
///
/// A term is a maximal run of letters and digits (any script), with marks kept inside it and
/// an apostrophe between two letters joining them ("don't" → "dont"; a trailing "'s" is
/// dropped: "Caroline's" → "caroline"). Each term is lowercased and its accents removed
/// (canonical decomposition, then combining marks dropped: "Ångström" → "angstrom"); an
/// ideograph or kana is a term on its own, as scripts without spaces have no word breaks to
/// find. Then, as the namespace's ``LexicalOptions`` say, English stop words are dropped and
/// the rest stemmed (``PorterStemmer``). Terms longer than ``maxTermScalars`` are dropped:
/// they are not words, and a bound keeps hostile input linear.
///
/// Deterministic for given options (the index stores terms, and a query must make the same
/// ones). O(text length).
public struct LexicalTokenizer: Sendable {
    /// Longest term kept, in Unicode scalars.
    public static let maxTermScalars = 64

    public let options: LexicalOptions

    public init(options: LexicalOptions) {
        self.options = options
    }

    /// The terms of `text`, in order, repeats kept.
    public func terms(of text: String) -> [String] {
        var terms: [String] = []
        var word = String.UnicodeScalarView()
        var wordLength = 0
        var pendingApostrophe = false
        var tooLong = false

        func finish() {
            if !word.isEmpty && !tooLong, let term = normalize(word) { terms.append(term) }
            word = String.UnicodeScalarView()
            wordLength = 0
            tooLong = false
            pendingApostrophe = false
        }

        for scalar in text.unicodeScalars {
            if Self.isStandalone(scalar) {
                finish()
                if let term = normalize(String.UnicodeScalarView([scalar])) { terms.append(term) }
            } else if Self.isWordScalar(scalar) {
                pendingApostrophe = false
                wordLength += 1
                if wordLength > Self.maxTermScalars { tooLong = true } else { word.append(scalar) }
            } else if Self.isApostrophe(scalar), !word.isEmpty, !pendingApostrophe {
                // Kept as a marker for `normalize`, which joins or drops what follows it.
                pendingApostrophe = true
                word.append("'")
            } else {
                finish()
            }
        }
        finish()
        return terms
    }

    /// Lowercased, accent-free, apostrophes resolved, then stop-word and stemming options;
    /// `nil` when nothing is left.
    func normalize(_ word: String.UnicodeScalarView) -> String? {
        var text = String(word)
        // An apostrophe joins two runs; a trailing one, or one before a final "s", is dropped
        // with what follows it.
        if text.unicodeScalars.contains("'") {
            var parts = text.split(separator: "'", omittingEmptySubsequences: false).map(String.init)
            if parts.count > 1, let last = parts.last, last.isEmpty || last == "s" || last == "S" { parts.removeLast() }
            text = parts.joined()
        }
        guard !text.isEmpty else { return nil }
        var folded = String.UnicodeScalarView()
        let isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        let source = isASCII ? text : text.decomposedStringWithCanonicalMapping
        for scalar in source.unicodeScalars {
            if scalar.value < 0x80 {
                let value = scalar.value
                folded.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(value + 0x20)! : scalar)
                continue
            }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: folded.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        let term = String(folded)
        // Folding may lengthen a term (a lowercase mapping of several scalars); the stored form
        // allows `LexicalDocument.maxTermBytes`, so a longer one is dropped here.
        guard !term.isEmpty, term.utf8.count <= LexicalDocument.maxTermBytes else { return nil }
        if options.stopWords == .english && EnglishStopWords.words.contains(term) { return nil }
        if options.stemming == .english { return PorterStemmer.stem(term) }
        return term
    }

    /// Letters, digits and marks: the scalars a term is made of.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    /// Ideographs, kana and hangul syllables: a term each.
    static func isStandalone(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value >= 0x3040 else { return false }
        if scalar.properties.isIdeographic { return true }
        switch scalar.value {
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xAC00...0xD7A3: return true
        default: return false
        }
    }

    static func isApostrophe(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "'" || scalar == "\u{2019}"
    }
}

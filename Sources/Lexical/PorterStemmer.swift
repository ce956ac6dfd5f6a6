/// The Porter stemming algorithm (M. F. Porter, "An algorithm for suffix stripping", 1980)
/// for English: "connected", "connecting", "connection" → "connect".
///
/// Works on lowercase ASCII letters; a word with any other byte, or of two letters or fewer,
/// is returned unchanged (accents are folded before stemming, so this covers English text).
/// O(word length).
public enum PorterStemmer {
    public static func stem(_ word: String) -> String {
        var bytes = Array(word.utf8)
        guard bytes.count > 2, bytes.allSatisfy({ $0 >= 0x61 && $0 <= 0x7a }) else { return word }
        var stemmer = Buffer(bytes: bytes)
        stemmer.run()
        bytes = Array(stemmer.bytes[0...stemmer.end])
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The word being stemmed: `bytes[0...end]` is the current word, `stemEnd` the end of the
    /// stem when a suffix test succeeded (the paper's `k` and `j`).
    struct Buffer {
        var bytes: [UInt8]
        var end: Int
        var stemEnd = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            end = bytes.count - 1
        }

        /// Whether `bytes[i]` is a consonant (`y` is one after a vowel or at the start).
        func isConsonant(_ i: Int) -> Bool {
            switch bytes[i] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
            case UInt8(ascii: "y"): return i == 0 ? true : !isConsonant(i - 1)
            default: return true
            }
        }

        /// m: the number of vowel-consonant sequences in `bytes[0...stemEnd]`.
        func measure() -> Int {
            var n = 0
            var i = 0
            while true {
                if i > stemEnd { return n }
                if !isConsonant(i) { break }
                i += 1
            }
            i += 1
            while true {
                while true {
                    if i > stemEnd { return n }
                    if isConsonant(i) { break }
                    i += 1
                }
                i += 1
                n += 1
                while true {
                    if i > stemEnd { return n }
                    if !isConsonant(i) { break }
                    i += 1
                }
                i += 1
            }
        }

        func stemHasVowel() -> Bool {
            (0...max(0, stemEnd)).contains { stemEnd >= 0 && !isConsonant($0) }
        }

        /// Whether `bytes[i-1...i]` is a double consonant.
        func isDoubleConsonant(_ i: Int) -> Bool {
            i >= 1 && bytes[i] == bytes[i - 1] && isConsonant(i)
        }

        /// consonant-vowel-consonant ending at `i`, the last not w, x or y ("hop", not "snow").
        func isCVC(_ i: Int) -> Bool {
            guard i >= 2, isConsonant(i), !isConsonant(i - 1), isConsonant(i - 2) else { return false }
            let last = bytes[i]
            return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
        }

        /// Whether the word ends with `suffix`; sets `stemEnd` to just before it.
        mutating func ends(_ suffix: StaticString) -> Bool {
            let length = suffix.utf8CodeUnitCount
            guard length <= end + 1 else { return false }
            let start = end + 1 - length
            let matches = suffix.withUTF8Buffer { suffixBytes in
                (0..<length).allSatisfy { bytes[start + $0] == suffixBytes[$0] }
            }
            if matches { stemEnd = start - 1 }
            return matches
        }

        /// Replaces the suffix after `stemEnd` with `replacement`.
        mutating func setTo(_ replacement: StaticString) {
            bytes.removeSubrange((stemEnd + 1)...)
            replacement.withUTF8Buffer { bytes.append(contentsOf: $0) }
            end = bytes.count - 1
        }

        mutating func replace(_ replacement: StaticString) {
            if measure() > 0 { setTo(replacement) }
        }

        mutating func run() {
            step1ab()
            if end > 0 {
                step1c()
                step2()
                step3()
                step4()
                step5()
            }
        }

        /// Plurals and -ed / -ing.
        mutating func step1ab() {
            if bytes[end] == UInt8(ascii: "s") {
                if ends("sses") { end -= 2 } else if ends("ies") { setTo("i") } else if end >= 1 && bytes[end - 1] != UInt8(ascii: "s") { end -= 1 }
                bytes.removeSubrange((end + 1)...)
            }
            if ends("eed") {
                if measure() > 0 { end -= 1; bytes.removeSubrange((end + 1)...) }
            } else if (ends("ed") || ends("ing")) && stemHasVowel() {
                end = stemEnd
                bytes.removeSubrange((end + 1)...)
                if ends("at") { setTo("ate") } else if ends("bl") { setTo("ble") } else if ends("iz") { setTo("ize") } else if isDoubleConsonant(end) {
                    let last = bytes[end]
                    if last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z") {
                        end -= 1
                        bytes.removeSubrange((end + 1)...)
                    }
                } else {
                    stemEnd = end
                    if measure() == 1 && isCVC(end) { setTo("e") }
                }
            }
        }

        /// Terminal y → i when there is another vowel in the stem.
        mutating func step1c() {
            if ends("y") && stemHasVowel() {
                bytes[end] = UInt8(ascii: "i")
            }
        }

        /// Double suffixes to single ones (-ization → -ize), when m > 0.
        mutating func step2() {
            guard end >= 1 else { return }
            switch bytes[end - 1] {
            case UInt8(ascii: "a"):
                if ends("ational") { replace("ate") } else if ends("tional") { replace("tion") }
            case UInt8(ascii: "c"):
                if ends("enci") { replace("ence") } else if ends("anci") { replace("ance") }
            case UInt8(ascii: "e"):
                if ends("izer") { replace("ize") }
            case UInt8(ascii: "l"):
                if ends("bli") { replace("ble") } else if ends("alli") { replace("al") } else if ends("entli") { replace("ent") }
                else if ends("eli") { replace("e") } else if ends("ousli") { replace("ous") }
            case UInt8(ascii: "o"):
                if ends("ization") { replace("ize") } else if ends("ation") { replace("ate") } else if ends("ator") { replace("ate") }
            case UInt8(ascii: "s"):
                if ends("alism") { replace("al") } else if ends("iveness") { replace("ive") } else if ends("fulness") { replace("ful") }
                else if ends("ousness") { replace("ous") }
            case UInt8(ascii: "t"):
                if ends("aliti") { replace("al") } else if ends("iviti") { replace("ive") } else if ends("biliti") { replace("ble") }
            case UInt8(ascii: "g"):
                if ends("logi") { replace("log") }
            default: break
            }
        }

        /// -ic-, -full, -ness etc., when m > 0.
        mutating func step3() {
            switch bytes[end] {
            case UInt8(ascii: "e"):
                if ends("icate") { replace("ic") } else if ends("ative") { replace("") } else if ends("alize") { replace("al") }
            case UInt8(ascii: "i"):
                if ends("iciti") { replace("ic") }
            case UInt8(ascii: "l"):
                if ends("ical") { replace("ic") } else if ends("ful") { replace("") }
            case UInt8(ascii: "s"):
                if ends("ness") { replace("") }
            default: break
            }
        }

        /// Removes -ant, -ence etc. when m > 1.
        mutating func step4() {
            guard end >= 1 else { return }
            let found: Bool
            switch bytes[end - 1] {
            case UInt8(ascii: "a"): found = ends("al")
            case UInt8(ascii: "c"): found = ends("ance") || ends("ence")
            case UInt8(ascii: "e"): found = ends("er")
            case UInt8(ascii: "i"): found = ends("ic")
            case UInt8(ascii: "l"): found = ends("able") || ends("ible")
            case UInt8(ascii: "n"): found = ends("ant") || ends("ement") || ends("ment") || ends("ent")
            case UInt8(ascii: "o"):
                if ends("ion") && stemEnd >= 0 && (bytes[stemEnd] == UInt8(ascii: "s") || bytes[stemEnd] == UInt8(ascii: "t")) {
                    found = true
                } else {
                    found = ends("ou")
                }
            case UInt8(ascii: "s"): found = ends("ism")
            case UInt8(ascii: "t"): found = ends("ate") || ends("iti")
            case UInt8(ascii: "u"): found = ends("ous")
            case UInt8(ascii: "v"): found = ends("ive")
            case UInt8(ascii: "z"): found = ends("ize")
            default: found = false
            }
            if found && measure() > 1 {
                end = stemEnd
                bytes.removeSubrange((end + 1)...)
            }
        }

        /// Removes a final -e when m > 1 (or m = 1 and not *o), and -ll → -l when m > 1.
        mutating func step5() {
            stemEnd = end
            if bytes[end] == UInt8(ascii: "e") {
                stemEnd = end - 1
                let m = measure()
                if m > 1 || (m == 1 && !isCVC(end - 1)) {
                    end -= 1
                    bytes.removeSubrange((end + 1)...)
                }
            }
            stemEnd = end
            if bytes[end] == UInt8(ascii: "l") && isDoubleConsonant(end) && measure() > 1 {
                end -= 1
                bytes.removeSubrange((end + 1)...)
            }
        }
    }
}

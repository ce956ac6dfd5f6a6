/// Whether two statements about one subject give it different values — the cheap, lexical
/// half of conflict detection (`learn` applies it only to facts whose embeddings are already
/// close, see ``MemoryEngine/learn(_:namespace:actor:reason:)``).
///
/// Embeddings place "the refund window is 14 days" and "… 30 days" almost on top of each other:
/// similarity says *same topic*, not *same claim*. What tells a changed fact from a paraphrase
/// is the values that differ, so each text is reduced to:
/// - **values**: numbers (digits, number words and ordinals read as digits, `9:30` as one
///   time), months and weekdays, parts of the day (`7 am` = "seven in the morning"), colours;
/// - **names**: capitalised words, except a sentence's first word when it is a common word
///   (a name matches another it begins: "Postgres" and "PostgreSQL");
/// - **polarity**: the parity of negations (`not`, `n't`, `no`, `never`, `without`, …) and of
///   words on the negative side of an opposing pair (`prohibited` against `allowed`, `closed`
///   against `open`, …), so "not allowed" and "prohibited" agree.
///
/// Two texts differ when each has a value the other lacks (a substitution, not an addition:
/// "14 days" against "14 days, paid to the card" is more detail, not a contradiction), when
/// each has a name the other lacks, or when their polarity differs. Measured on hand-written paraphrases, related facts
/// and changed facts in `Benchmarks/conflicts` (docs/performance.md, "Conflict detection").
///
/// - Complexity: O(length of both texts).
struct ConflictSignals: Equatable {
    var values: Set<String> = []
    var names: Set<String> = []
    /// Negations plus negative-pole words, modulo 2.
    var polarity = 0

    init(_ text: String) {
        let original = Self.words(text)
        let words = Self.compounded(original.map { $0.lowercased() }, original: original)
        for (index, (word, lower)) in words.enumerated() {
            if let digits = Self.numberValue(lower) {
                values.insert(digits)
            } else if let value = Self.valueWords[lower] {
                values.insert(value)
            } else if Self.negationWords.contains(lower) || lower.hasSuffix("n't") {
                polarity ^= 1
            }
            if Self.negativePoles.contains(lower) { polarity ^= 1 }
            if let first = word.unicodeScalars.first, first.properties.isUppercase, Self.valueWords[lower] == nil,
               Self.numberValue(lower) == nil, !(index == 0 && Self.commonWords.contains(lower)), word.count > 1,
               names.count < Self.maxNames {
                names.insert(Self.stem(lower))
            }
        }
    }

    /// Whether `self` and `other` state different values (see the type's documentation).
    func differs(from other: ConflictSignals) -> Bool {
        if !values.subtracting(other.values).isEmpty && !other.values.subtracting(values).isEmpty { return true }
        // Exact matches first (set difference), then the prefix rule on what is left: at most
        // `maxNames`² comparisons, however long the texts.
        let onlyMine = names.subtracting(other.names), onlyTheirs = other.names.subtracting(names)
        let mine = onlyMine.filter { name in !other.names.contains { Self.sameName(name, $0) } }
        let theirs = onlyTheirs.filter { name in !names.contains { Self.sameName(name, $0) } }
        if !mine.isEmpty && !theirs.isEmpty { return true }
        return polarity != other.polarity
    }

    /// Names kept per text: a fact names a few; a 32 KiB text of capitalised words must not
    /// make the pairwise comparison quadratic in its length.
    static let maxNames = 64

    /// One name, or one the other begins ("postgres", "postgresql").
    static func sameName(_ a: String, _ b: String) -> Bool {
        a == b || (min(a.count, b.count) >= 4 && (a.hasPrefix(b) || b.hasPrefix(a)))
    }

    /// The words with number-word compounds joined ("twenty-five" → "25") and `h:mm` times
    /// read as one value with `:00` dropped. Pairs of (word as written, lowercased).
    static func compounded(_ lower: [String], original: [Substring]) -> [(Substring, String)] {
        var result: [(Substring, String)] = []
        var index = 0
        while index < lower.count {
            let word = lower[index]
            if let tens = numberWords[word].flatMap(Int.init), tens >= 20, tens < 100, tens % 10 == 0,
               index + 1 < lower.count, let units = numberWords[lower[index + 1]].flatMap(Int.init), (1...9).contains(units) {
                result.append((original[index], String(tens + units)))
                index += 2
                continue
            }
            result.append((original[index], word))
            index += 1
        }
        return result
    }

    /// Runs of letters, digits and apostrophes (`n't` stays with its verb); a run of digits
    /// followed by letters is split (`8pm` → `8`, `pm`).
    static func words(_ text: String) -> [Substring] {
        var words: [Substring] = []
        var start: String.Index?
        var previousIsDigit = false
        for index in text.indices {
            let character = text[index]
            let isWordCharacter = character.isLetter || character.isNumber || character == "'" || character == "’"
                || ((character == "." || character == ":") && previousIsDigit && text.index(after: index) < text.endIndex
                    && text[text.index(after: index)].isNumber)
            if isWordCharacter {
                if let begun = start, previousIsDigit && character.isLetter {
                    words.append(text[begun..<index])
                    start = index
                } else if start == nil {
                    start = index
                }
                previousIsDigit = character.isNumber || ((character == "." || character == ":") && previousIsDigit)
            } else {
                if let begun = start { words.append(text[begun..<index]) }
                start = nil
                previousIsDigit = false
            }
        }
        if let begun = start { words.append(text[begun...]) }
        return words.compactMap { raw -> Substring? in
            var word = Substring(String(raw.map { $0 == "’" ? "'" : $0 }))
            if word.hasSuffix("'s") { word = word.dropLast(2) }
            while word.first == "'" { word = word.dropFirst() }
            while word.last == "'" { word = word.dropLast() }
            return word.isEmpty ? nil : word
        }
    }

    /// `lower` as digits when it is a number (digits, or a number word), else `nil`.
    static func numberValue(_ lower: String) -> String? {
        if let first = lower.first, first.isNumber {
            var digits = lower.drop { $0 == "0" }
            if digits.hasSuffix(":00") { digits = digits.dropLast(3) }
            if digits.isEmpty || digits.first == "." || digits.first == ":" { digits = "0" + digits }
            return String(digits)
        }
        return numberWords[lower]
    }

    /// A crude plural fold, so "Refunds" and "refund" are one name.
    static func stem(_ lower: String) -> String {
        lower.count > 3 && lower.hasSuffix("s") && !lower.hasSuffix("ss") ? String(lower.dropLast()) : lower
    }


    static let numberWords: [String: String] = [
        "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
        "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
        "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
        "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
        "hundred": "100", "thousand": "1000", "million": "1000000", "noon": "12", "midday": "12", "midnight": "0",
        "once": "1", "twice": "2", "double": "2", "half": "0.5", "dozen": "12",
        "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6", "seventh": "7",
        "eighth": "8", "ninth": "9", "tenth": "10", "eleventh": "11", "twelfth": "12", "fifteenth": "15",
        "twentieth": "20", "thirtieth": "30",
    ]

    /// Words that state a value, mapped to a canonical form: months, weekdays (plural
    /// folded), parts of the day (folded to am/pm), seasons, frequencies, colours.
    static let valueWords: [String: String] = {
        var words: [String: String] = [:]
        let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                      "november", "december"]
        for month in months { words[month] = month }
        for (short, month) in zip(["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
                                  ["january", "february", "march", "april", "june", "july", "august", "september",
                                   "october", "november", "december"]) { words[short] = month }
        for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] {
            words[day] = day
            words[day + "s"] = day
        }
        for (word, value) in [("am", "am"), ("morning", "am"), ("mornings", "am"), ("pm", "pm"), ("afternoon", "pm"),
                              ("afternoons", "pm"), ("evening", "pm"), ("evenings", "pm"), ("night", "pm"),
                              ("weekend", "weekend"), ("weekends", "weekend"), ("weekday", "weekday"),
                              ("weekdays", "weekday"), ("daily", "daily"), ("weekly", "weekly"), ("monthly", "monthly"),
                              ("yearly", "yearly"), ("annually", "yearly"), ("quarterly", "quarterly"),
                              ("spring", "spring"), ("summer", "summer"), ("autumn", "autumn"), ("fall", "autumn"),
                              ("winter", "winter"), ("last", "last")] {
            words[word] = value
        }
        for colour in ["black", "white", "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "grey",
                       "gray", "silver", "gold", "beige", "navy", "teal", "turquoise", "violet"] {
            words[colour] = colour == "gray" ? "grey" : colour
        }
        return words
    }()

    static let negationWords: Set<String> = [
        "not", "no", "never", "without", "cannot", "none", "nobody", "nothing", "neither", "nor", "nowhere",
    ]

    /// Words on the negative side of an opposing pair (`prohibited` against `allowed`,
    /// `closed` against `open`, `dislikes` against `likes`, …): each flips the polarity like
    /// a negation.
    static let negativePoles: Set<String> = [
        "prohibited", "forbidden", "banned", "bans", "ban", "prohibits", "forbids", "disallowed", "disallows",
        "closed", "closes", "shut", "disabled", "off", "inactive", "deactivated",
        "dislike", "dislikes", "hate", "hates", "detest", "detests",
        "optional", "excluded", "excludes", "reject", "rejects", "rejected", "refuses", "declined", "declines",
        "lost", "loses", "lose", "failed", "fails", "private", "false", "dead", "died", "deceased", "divorced",
        "younger", "youngest", "unavailable", "unsupported", "incompatible",
    ]

    /// Sentence-initial words that are not names.
    static let commonWords: Set<String> = [
        "the", "a", "an", "i", "my", "our", "we", "you", "your", "he", "she", "it", "they", "their", "his", "her",
        "this", "that", "these", "those", "there", "in", "on", "at", "for", "from", "by", "with", "to", "of", "all",
        "every", "each", "some", "any", "most", "many", "customers", "users", "employees", "staff", "members",
        "students", "guests", "visitors", "children", "kids", "people", "new", "free", "only", "after", "before",
        "during", "since", "as", "if", "when", "once", "yes", "no", "not", "none", "both", "either", "orders",
    ]
}

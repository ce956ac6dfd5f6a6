import Foundation
import Testing
import EngramModel
@testable import Lexical

@Suite("Porter stemmer")
struct PorterStemmerTests {
    /// Pairs from the algorithm's published vocabulary and the paper's examples.
    @Test(arguments: [
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("caress", "caress"), ("cats", "cat"),
        ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"),
        ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"),
        ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"),
        ("filing", "file"), ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"),
        ("rational", "ration"), ("digitizer", "digit"), ("vietnamization", "vietnam"), ("predication", "predic"),
        ("operator", "oper"), ("feudalism", "feudal"), ("decisiveness", "decis"), ("hopefulness", "hope"),
        ("callousness", "callous"), ("formaliti", "formal"), ("sensitiviti", "sensit"), ("sensibiliti", "sensibl"),
        ("triplicate", "triplic"), ("formative", "form"), ("formalize", "formal"), ("electriciti", "electr"),
        ("electrical", "electr"), ("hopeful", "hope"), ("goodness", "good"), ("revival", "reviv"),
        ("allowance", "allow"), ("inference", "infer"), ("airliner", "airlin"), ("gyroscopic", "gyroscop"),
        ("adjustable", "adjust"), ("defensible", "defens"), ("irritant", "irrit"), ("replacement", "replac"),
        ("adjustment", "adjust"), ("dependent", "depend"), ("adoption", "adopt"), ("communism", "commun"),
        ("activate", "activ"), ("angulariti", "angular"), ("homologous", "homolog"), ("effective", "effect"),
        ("bowdlerize", "bowdler"), ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"),
        ("controll", "control"), ("roll", "roll"), ("generalizations", "gener"), ("oscillators", "oscil"),
        ("connected", "connect"), ("connecting", "connect"), ("connection", "connect"), ("connections", "connect"),
    ])
    func stems(word: String, stem: String) {
        #expect(PorterStemmer.stem(word) == stem)
    }

    @Test func leavesShortAndNonASCIIWordsAlone() {
        #expect(PorterStemmer.stem("is") == "is")
        #expect(PorterStemmer.stem("straße") == "straße")
        #expect(PorterStemmer.stem("2023") == "2023")
        #expect(PorterStemmer.stem("ies") == "i")
        #expect(PorterStemmer.stem("sss") == "sss")
    }
}

@Suite("Lexical tokenizer")
struct LexicalTokenizerTests {
    let plain = LexicalTokenizer(options: LexicalOptions(stemming: .none, stopWords: .none))
    let english = LexicalTokenizer(options: LexicalOptions())

    @Test func foldsCaseAccentsAndPunctuation() {
        #expect(plain.terms(of: "Ångström's CAFÉ, naïve—résumé!") == ["angstrom", "cafe", "naive", "resume"])
        #expect(plain.terms(of: "Don’t stop: it's 3.5 km at 10:30") == ["dont", "stop", "it", "3", "5", "km", "at", "10", "30"])
        #expect(plain.terms(of: "ΣΊΣΥΦΟΣ Straße") == ["σισυφοσ", "straße"] || plain.terms(of: "ΣΊΣΥΦΟΣ Straße") == ["σισυφος", "straße"])
    }

    @Test func splitsIdeographsAndKana() {
        #expect(plain.terms(of: "東京タワー tower") == ["東", "京", "タ", "ワ", "ー", "tower"] || plain.terms(of: "東京タワー tower").last == "tower")
        #expect(plain.terms(of: "東京").count == 2)
    }

    @Test func dropsStopWordsAndStems() {
        #expect(english.terms(of: "Caroline was researching adoption agencies") == ["carolin", "research", "adopt", "agenc"])
        #expect(english.terms(of: "the and of") == [])
    }

    @Test func dropsOverlongTermsAndSurvivesHostileText() {
        let long = String(repeating: "a", count: LexicalTokenizer.maxTermScalars + 1)
        #expect(plain.terms(of: "short \(long) word") == ["short", "word"])
        let marks = "e" + String(repeating: "\u{301}", count: 10_000)
        #expect(plain.terms(of: marks).isEmpty)
        #expect(plain.terms(of: "''' ’’ '").isEmpty)
        #expect(plain.terms(of: "'s rock'n'roll o'") == ["s", "rocknroll", "o"])
        #expect(plain.terms(of: "\u{0}\u{FFFD}\u{202E}abc") == ["abc"])
    }
}

@Suite("Inverted index")
struct InvertedIndexTests {
    func document(_ text: String) -> LexicalDocument {
        LexicalDocument(terms: LexicalTokenizer(options: LexicalOptions(stemming: .none, stopWords: .none)).terms(of: text))
    }

    @Test func documentRoundTripsAndRejectsDamage() throws {
        let original = document("red fish blue fish 2023")
        let decoded = try LexicalDocument(decoding: original.encoded())
        #expect(decoded == original)
        #expect(decoded.length == 5)
        var bytes = original.encoded()
        bytes.append(0)
        #expect(throws: LexicalRecordError.self) { try LexicalDocument(decoding: bytes) }
        #expect(throws: LexicalRecordError.self) { try LexicalDocument(decoding: Array(original.encoded().dropLast())) }
        #expect(throws: LexicalRecordError.self) { try LexicalDocument(decoding: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) }
        // Terms out of order: "b" then "a".
        #expect(throws: LexicalRecordError.self) { try LexicalDocument(decoding: [2, 1, 0x62, 1, 1, 0x61, 1]) }
        // A zero count.
        #expect(throws: LexicalRecordError.self) { try LexicalDocument(decoding: [1, 1, 0x61, 0]) }
    }

    @Test func scoresByBM25() {
        var index = InvertedIndex()
        index.insert(document("the cat sat on the mat"), key: 1)
        index.insert(document("the dog chased the cat"), key: 2)
        index.insert(document("a bird"), key: 3)
        #expect(index.documentCount == 3)
        #expect(index.totalLength == 13)
        let scores = index.scores(for: ["cat", "mat"], k1: 1.2, b: 0.75).scores
        #expect(Set(scores.keys) == [1, 2])
        // Entry 1 has both terms, so it beats entry 2.
        #expect(scores[1]! > scores[2]!)
        // Hand computation for entry 2: idf(cat) with N = 3, df = 2.
        let idf: Double = log(1 + 1.5 / 2.5)
        let norm: Double = 1.2 * (1 - 0.75 + 0.75 * 5 / (13.0 / 3))
        let expected: Double = idf * 2.2 / (1 + norm)
        #expect(abs(scores[2]! - expected) < 1e-9)
    }

    @Test func removalAndReplacementKeepStatisticsTrue() {
        var index = InvertedIndex()
        index.insert(document("alpha beta"), key: 1)
        index.insert(document("beta gamma gamma"), key: 2)
        index.insert(document("beta delta"), key: 1)  // replaces
        #expect(index.documentCount == 2)
        #expect(index.totalLength == 5)
        #expect(index.documentFrequency("alpha") == 0)
        #expect(index.documentFrequency("beta") == 2)
        #expect(index.document(1) == document("beta delta"))
        let removed = index.remove(2)
        let removedAgain = index.remove(2)
        #expect(removed)
        #expect(!removedAgain)
        #expect(index.documentFrequency("gamma") == 0)
        #expect(index.totalLength == 2)
        index.insert(document("gamma"), key: 3)  // reuses the freed slot
        let ranked = index.scores(for: ["gamma", "beta"], k1: 1.2, b: 0.75).ranked(limit: 10) { _ in true }
        #expect(ranked.map(\.key).sorted() == [1, 3])
        #expect(index.scores(for: ["gamma"], k1: 1.2, b: 0.75).ranked(limit: 10) { $0 != 3 }.isEmpty)
    }
}

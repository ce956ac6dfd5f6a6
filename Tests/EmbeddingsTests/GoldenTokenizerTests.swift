import Testing
@testable import Embeddings

@Suite("Golden token ids")
struct GoldenTokenizerTests {
    @Test("all 288 fixture texts tokenise to the reference ids")
    func fixtureIDs() throws {
        let tokenizer = try TestSupport.requireTokenizer()
        let cases = TestSupport.goldenCases
        #expect(cases.count == 288)
        var mismatches = 0
        for (index, golden) in cases.enumerated() {
            let ids = tokenizer.encode(golden.text)
            if ids != golden.ids {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("case \(index) \(String(reflecting: golden.text.prefix(60))): got \(tokenizer.tokens(of: ids).prefix(40)) expected \(tokenizer.tokens(of: golden.ids).prefix(40))")
                }
            }
        }
        #expect(mismatches == 0)
    }
}

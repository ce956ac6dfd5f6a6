import Foundation
import Testing
@testable import PromptAssembly

@Suite struct ComponentTests {
    @Test func tokenEstimateIsCeilOfBytesOverRatio() {
        let four = TokenEstimator()
        #expect(four.estimate("") == 0)
        #expect(four.estimate("abcd") == 1)
        #expect(four.estimate("abcde") == 2)
        #expect(four.estimate("é") == 1)  // 2 UTF-8 bytes
        #expect(TokenEstimator(bytesPerToken: 2).estimate("abcde") == 3)
    }

    @Test func nearDuplicatesKeepTheBetterRanked() {
        let filter = NearDuplicateFilter(threshold: 0.9)
        let texts = ["Refunds take 5 days.", "The VPN needs the 2FA app", "refunds TAKE 5 days", "Refunds take 5 business days"]
        // Words of 1 and 4: {refunds,take,5,days} vs +business: cosine 4/(2·√5) = 0.894 < 0.9.
        #expect(filter.filter(texts) { $0 } == [texts[0], texts[1], texts[3]])
        #expect(NearDuplicateFilter(threshold: 0.85).filter(texts) { $0 } == [texts[0], texts[1]])
        #expect(NearDuplicateFilter(threshold: 1).filter(["a b", "b a", "a b b"]) { $0 } == ["a b", "a b b"])
    }

    @Test func factExtractionAcceptsArraysObjectsAndFences() {
        #expect(FactExtraction.parse(#"["A is B.", " ", "C is D."]"#).facts == ["A is B.", "C is D."])
        #expect(FactExtraction.parse(#"{"facts": ["A is B."]}"#) == .init(facts: ["A is B."], problems: []))
        #expect(FactExtraction.parse("```json\n[\"A is B.\"]\n```").facts == ["A is B."])
        #expect(FactExtraction.parse("[]") == .init(facts: [], problems: []))
    }

    @Test func factExtractionReportsEveryProblem() {
        #expect(FactExtraction.parse("Sure! The facts are: the user likes tea").problems.map(\.reason) == ["malformed_json"])
        #expect(FactExtraction.parse(#"{"fact": "x"}"#).problems.map(\.reason) == ["unexpected_shape"])
        let mixed = FactExtraction.parse(#"["ok", 3, {"a": 1}]"#)
        #expect(mixed.facts == ["ok"])
        #expect(mixed.problems.map(\.reason) == ["invalid_item", "invalid_item"])
    }

    /// Lines split anywhere across chunks still yield the assistant's text.
    @Test func sseAccumulatorReassemblesSplitLines() {
        let bytes = Array(FakeUpstream.streamEvents.joined().utf8)
        for cut in stride(from: 1, to: bytes.count, by: 7) {
            var accumulator = SSETextAccumulator()
            accumulator.feed(bytes[..<cut])
            accumulator.feed(bytes[cut...])
            accumulator.finish()
            #expect(accumulator.text == FakeUpstream.answer)
        }
    }

    @Test func injectionMergesOrPrepends() throws {
        let request = #"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"temperature":0.2}"#
        var merged = try ChatCompletionBody(json: Data(request.utf8))
        merged.inject("KNOWLEDGE", mode: .merge)
        #expect(merged.messages.count == 2)
        #expect(merged.messages[0]["content"] as? String == "KNOWLEDGE\n\nBe brief.")
        var prepended = try ChatCompletionBody(json: Data(request.utf8))
        prepended.inject("KNOWLEDGE", mode: .prepend)
        #expect(prepended.messages.map { $0["content"] as? String } == ["KNOWLEDGE", "Be brief.", "hi"])
        let reencoded = try JSONSerialization.jsonObject(with: Data(try prepended.serialized())) as? [String: Any]
        #expect(reencoded?["temperature"] as? Double == 0.2)  // untouched fields pass through
    }

    @Test func chatBodiesAreChecked() {
        #expect(throws: PromptAPIError.missingField("messages")) { _ = try ChatCompletionBody(json: Data(#"{"model":"m"}"#.utf8)) }
        #expect(throws: PromptAPIError.self) { _ = try ChatCompletionBody(json: Data(#"{"messages":[{"role":"user"}],"stream":1}"#.utf8)) }
        #expect(throws: PromptAPIError.self) { _ = try ChatCompletionBody(json: Data(#"{"messages":[{"content":"x"}]}"#.utf8)) }
        #expect(throws: PromptAPIError.self) { _ = try ChatCompletionBody(json: Data("[1".utf8)) }
    }

    @Test func latestUserTextReadsMultipartContent() throws {
        let body = try ChatCompletionBody(json: Data(#"""
            {"messages":[{"role":"user","content":"old"},{"role":"assistant","content":"a"},
             {"role":"user","content":[{"type":"text","text":"new"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"question"}]}]}
            """#.utf8))
        #expect(body.latestUserText == "new\nquestion")
    }
}

import EngramJSON
@testable import EngramAPI
import Foundation
import Testing

/// The search route reads plain bodies (`k`, `ef`, `text`) without `JSONDecoder`; whatever
/// it takes must mean exactly what `JSONDecoder` makes of it, and everything else must be
/// left to `JSONDecoder` (whose errors the route reports).
@Suite("Search body fast path")
struct SearchRequestReadingTests {
    static func strict(_ text: String) -> SearchRequest? {
        try? RequestJSON.decode(SearchRequest.self, from: Array(text.utf8))
    }

    @Test("plain bodies read as JSONDecoder reads them")
    func taken() throws {
        for body in [#"{}"#, #"{"k":10}"#, #"{"ef":64,"k":10}"#, #" { "k" : 5 , "ef" : null } "#, #"{"text":"tea \"please\" \u00e9","k":3}"#,
                     #"{"k":0}"#, #"{"text":null}"#, #"{"ef":9223372036854775807}"#] {
            let fast = try #require(SearchRequest.readPlain(Array(body.utf8)), "\(body)")
            #expect(fast == Self.strict(body), "\(body)")
        }
    }

    @Test("filters, ranks, unknown keys, odd numbers and broken JSON are left to JSONDecoder")
    func leftToJSONDecoder() {
        for body in [#"{"k":10,"filter":{"source":["user"]}}"#, #"{"rank":{"confidence":0.5}}"#, #"{"kk":1}"#,
                     #"{"k":1,"k":2}"#, #"{"k":-1}"#, #"{"k":1.0}"#, #"{"k":1e1}"#, #"{"k":"10"}"#,
                     #"{"ef":9223372036854775808}"#, #"{"k":10"#, #"{"k":10} x"#, #"[]"#, #"{"text":5}"#] {
            #expect(SearchRequest.readPlain(Array(body.utf8)) == nil, "\(body)")
        }
    }
}

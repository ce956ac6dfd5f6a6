import EngramAPI

/// `POST /v1/feedback`'s body: whether the memories of an answer helped. Unknown fields are
/// rejected.
struct FeedbackRequest: Decodable {
    var namespace: String
    /// 1–100 ids, as `/v1/prompt` or the `x-engram-memories` header reported them.
    var memoryIDs: [UInt64]
    var useful: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case namespace, useful
        case memoryIDs = "memory_ids"
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        namespace = try c.decode(String.self, forKey: .namespace)
        memoryIDs = try c.decode([UInt64].self, forKey: .memoryIDs)
        useful = try c.decode(Bool.self, forKey: .useful)
    }

    func validate() throws(PromptAPIError) {
        try NamespaceName.check(namespace, field: "namespace")
        if memoryIDs.isEmpty || memoryIDs.count > 100 { throw .invalidField("memory_ids", "expected 1–100 ids") }
    }
}

/// `POST /v1/feedback`'s answer: each id's new confidence and evidence, and the ids the daemon
/// refused (with its error), in request order.
struct FeedbackResponse: Encodable {
    struct Updated: Encodable {
        var id: UInt64
        var confidence: Double
        var evidence: Evidence
    }
    struct Failed: Encodable {
        struct Body: Encodable {
            var code: String
            var message: String
        }
        var id: UInt64
        var error: Body
    }
    var namespace: String
    var updated: [Updated]
    var failed: [Failed]
}

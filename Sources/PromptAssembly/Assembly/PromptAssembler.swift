import Foundation
import Logging
import MemoryClient
import EngramAPI

/// Turns a request into a prompt: retrieval through the daemon, near-duplicate suppression,
/// the token budget, and template rendering. Used by `/v1/prompt` and by the chat proxy.
///
/// **Order and budget.** Memories come from the daemon best first (its score, or with
/// `prompt.ranking = blend` its blend of relevance, confidence and recency) and stay in that
/// order; a chat with earlier turns merges two such rankings (``interleave(_:_:k:)``). After
/// near-duplicates are dropped, the longest best-first prefix whose rendering stays within the
/// budget (``TokenEstimator``) is used: memories are taken in order until the
/// next one would take the estimate over it, and that one and everything after it are left
/// out, so a worse memory never displaces a better one. For `/v1/prompt` the budget bounds the whole
/// rendered `prompt` (template text and request included); for a chat completion it bounds
/// the injected knowledge block. When even no memory fits, the prompt is returned without
/// memories rather than refused. Cost: one render when everything fits, else O(log k).
public final class PromptAssembler: Sendable {
    let client: MemoryClient
    let templates: TemplateSet
    let configuration: PromptConfiguration
    let metrics: PromptMetrics
    let estimator: TokenEstimator
    let duplicates: NearDuplicateFilter
    let logger: Logger

    public init(client: MemoryClient, templates: TemplateSet, configuration: PromptConfiguration, metrics: PromptMetrics,
                logger: Logger) {
        self.client = client
        self.templates = templates
        self.configuration = configuration
        self.metrics = metrics
        self.estimator = TokenEstimator(bytesPerToken: configuration.bytesPerToken)
        self.duplicates = NearDuplicateFilter(threshold: configuration.duplicateThreshold)
        self.logger = logger
    }

    /// `/v1/prompt`.
    public func assemble(_ request: PromptRequest) async throws(PromptAPIError) -> PromptResponse {
        try request.validate()
        let templateName = request.template ?? configuration.defaultTemplate
        guard TemplateSet.isValidName(templateName), templates.contains(templateName) else {
            throw .unknownTemplate(templateName, known: templates.names)
        }
        let budget = request.tokenBudget ?? configuration.tokenBudget
        let candidates = try await retrieve(
            namespace: request.namespace, query: request.request, k: request.k ?? configuration.k,
            minConfidence: max(configuration.minConfidence, request.minConfidence ?? 0))
        let (memories, prompt) = try select(candidates, budget: budget) { memories throws(PromptAPIError) in
            try render(templateName, request: request.request, namespace: request.namespace, memories: memories)
        }
        let system = try render(configuration.systemTemplate, request: request.request, namespace: request.namespace,
                                memories: memories)
        var messages: [ChatMessage] = []
        if !system.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            messages.append(ChatMessage(role: "system", content: system))
        }
        messages.append(ChatMessage(role: "user", content: request.request))
        metrics.memoriesInjected.increment(by: Int64(memories.count))
        return PromptResponse(prompt: prompt, messages: messages, memories: memories, estimatedTokens: estimator.estimate(prompt),
                              tokenBudget: budget, template: templateName)
    }

    /// The knowledge block for a chat completion (the system template with the memories that
    /// fit `prompt.token_budget`), or `nil` when no memory is relevant.
    func knowledge(namespace: String, query: SearchText) async throws(PromptAPIError) -> (block: String, memories: [RetrievedMemory])? {
        let candidates = try await retrieve(namespace: namespace, query: query, k: configuration.k,
                                            minConfidence: configuration.minConfidence)
        let (memories, block) = try select(candidates, budget: configuration.tokenBudget) { memories throws(PromptAPIError) in
            try render(configuration.systemTemplate, request: query.latest, namespace: namespace, memories: memories)
        }
        guard !memories.isEmpty else { return nil }
        metrics.memoriesInjected.increment(by: Int64(memories.count))
        return (block, memories)
    }

    /// The best `k` memories for a chat's ``SearchText``: the last message's and the
    /// conversation's rankings, searched concurrently and merged by ``interleave(_:_:k:)``;
    /// near-duplicates removed after the merge.
    func retrieve(namespace: String, query: SearchText, k: Int, minConfidence: Double)
        async throws(PromptAPIError) -> [RetrievedMemory] {
        guard let conversation = query.conversation else {
            return try await retrieve(namespace: namespace, query: query.latest, k: k, minConfidence: minConfidence)
        }
        async let latestHits = ranking(namespace: namespace, query: query.latest, k: k, minConfidence: minConfidence,
                                       countsUnavailable: true)
        async let conversationHits = ranking(namespace: namespace, query: conversation, k: k, minConfidence: minConfidence,
                                             countsUnavailable: false)
        let (latest, context) = await (latestHits, conversationHits)
        let primary = try latest.get()
        let secondary: [RetrievedMemory]
        switch context {
        case .success(let hits): secondary = hits
        case .failure(let error):
            // The message's own search answered: its memories are used alone rather than the
            // request failing for the lesser search.
            logger.warning("the conversation's search failed; using the last message's alone",
                           metadata: ["namespace": "\(namespace)", "code": "\(error.code)", "error": "\(error.message)"])
            secondary = []
        }
        return duplicates.filter(Self.interleave(primary, secondary, k: k), text: \.text)
    }

    /// One text's search as a result, so two searches can run as `async let`s without losing
    /// the error's type.
    private func ranking(namespace: String, query: String, k: Int, minConfidence: Double, countsUnavailable: Bool) async
        -> Result<[RetrievedMemory], PromptAPIError> {
        do {
            return .success(try await retrieve(namespace: namespace, query: query, k: k, minConfidence: minConfidence,
                                               countsUnavailable: countsUnavailable))
        } catch {
            return .failure(error)
        }
    }

    /// Two rankings merged, `primary` leading: two of its memories, then one of `secondary`'s,
    /// and so on, each memory once (at its first place), until `k` or both are used up. The
    /// last message's own matches keep two thirds of the places, so unrelated earlier turns
    /// cannot crowd them out, and the conversation's keep a third, so a follow-up still gets
    /// the subject it refers to. O(k) with a set of ids.
    static func interleave(_ primary: [RetrievedMemory], _ secondary: [RetrievedMemory], k: Int) -> [RetrievedMemory] {
        var merged: [RetrievedMemory] = []
        var seen = Set<UInt64>()
        var first = primary.makeIterator()
        var second = secondary.makeIterator()
        var exhausted = false
        while merged.count < k, !exhausted {
            exhausted = true
            for take in [true, true, false] where merged.count < k {
                guard let next = take ? first.next() : second.next() else { continue }
                exhausted = false
                if seen.insert(next.id).inserted { merged.append(next) }
            }
        }
        return merged
    }

    /// The daemon's best `k` memories for `query` that reach `prompt.min_score`, near-duplicates
    /// removed. Pending facts are left out by the daemon; disputed learned facts too unless
    /// `prompt.include_disputed`. With `prompt.ranking = blend` the daemon orders them by
    /// relevance, confidence and recency (`[engine.ranking]`), so a contradicted or stale
    /// memory yields its place to a sound one of similar relevance. A namespace that does not
    /// exist is refused with `namespace_not_found`, or with `prompt.allow_unknown_namespaces`
    /// has no memories (the first `learn` creates it). `countsUnavailable`: whether an absent
    /// daemon is counted and logged here (the second search of a request leaves it to the first).
    func retrieve(namespace: String, query: String, k: Int, minConfidence: Double, countsUnavailable: Bool = true)
        async throws(PromptAPIError) -> [RetrievedMemory] {
        let filter = SearchFilter(minConfidence: minConfidence > 0 ? minConfidence : nil,
                                  conflicting: configuration.includeDisputed ? nil : false)
        let rank: RankOptions? = configuration.ranking == .blend ? RankOptions() : nil
        let hits: [SearchHit]
        do {
            hits = try await client.search(in: namespace, SearchRequest(text: query, k: k, filter: filter.isEmpty ? nil : filter,
                                                                         rank: rank))
        } catch {
            if error.code == "namespace_not_found" {
                guard configuration.allowUnknownNamespaces else {
                    throw PromptAPIError(status: .notFound, code: "namespace_not_found",
                                         message: "namespace \"\(namespace)\" does not exist in engramd: create it "
                                             + "(engram namespace create \(namespace)), or set prompt.allow_unknown_namespaces "
                                             + "to answer it as empty until a learned fact creates it")
                }
                return []
            }
            throw countsUnavailable ? daemonError(error) : .from(error, socket: configuration.daemonSocket)
        }
        // min_score is a cosine-similarity threshold, whatever the mode ranked by; a lexical
        // search has no similarity to compare.
        let memories = hits.filter { configuration.minScore <= 0 || ($0.similarity ?? 1) >= configuration.minScore }.map {
            RetrievedMemory(id: $0.entry.id, score: $0.score, similarity: $0.similarity, confidence: $0.entry.confidence,
                            createdAt: $0.entry.createdAt, occurredAt: $0.entry.occurredAt, text: $0.entry.text,
                            conflictsWith: $0.entry.conflictsWith)
        }
        return duplicates.filter(memories, text: \.text)
    }

    /// The longest best-first prefix of `candidates` whose rendering fits `budget`, and that
    /// rendering. See the type's documentation.
    ///
    /// A rendering grows with every memory added, so the fitting prefixes are exactly those up
    /// to some length: the whole list is tried first (one render when the budget is ample, the
    /// common case), then the length is found by binary search, O(log k) renders instead of k.
    func select(_ candidates: [RetrievedMemory], budget: Int,
                render: ([RetrievedMemory]) throws(PromptAPIError) -> String) throws(PromptAPIError)
        -> ([RetrievedMemory], String) {
        let all = try render(candidates)
        if estimator.estimate(all) <= budget { return (candidates, all) }
        // Invariant: a prefix of `fits` memories fits (with rendering `best`); one of `tooLong` does not.
        var fits = 0
        var best = try render([])
        var tooLong = candidates.count
        while tooLong - fits > 1 {
            let middle = (fits + tooLong) / 2
            let trial = try render(Array(candidates.prefix(middle)))
            if estimator.estimate(trial) <= budget {
                fits = middle
                best = trial
            } else {
                tooLong = middle
            }
        }
        return (Array(candidates.prefix(fits)), best)
    }

    /// What every prompt template sees:
    /// - `request`, `namespace`, `now` (ISO 8601)
    /// - `has_memories` (Bool), `memory_count`
    /// - `memories`: best first, each `index` (1-based), `id`, `date` (YYYY-MM-DD of
    ///   `created_at`), `created_at` (ISO 8601), `occurred` (when it happened or was said, as
    ///   "8 May 2023"), `occurred_at` (ISO 8601), `confidence` (two decimals), `score` (three
    ///   decimals), `text`, and `conflicts` ("#3, #9": the entries it may contradict; empty
    ///   when none, so `{{#conflicts}}…{{/conflicts}}` shows only for a disputed fact)
    static func templateContext(request: String, namespace: String, memories: [RetrievedMemory]) -> [String: Any] {
        let day = Date.ISO8601FormatStyle().year().month().day()
        let full = Date.ISO8601FormatStyle()
        let spoken = Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: TimeZone(identifier: "UTC")!)
        let items: [[String: Any]] = memories.enumerated().map { index, memory in
            [
                "index": index + 1, "id": String(memory.id), "date": memory.createdAt.formatted(day),
                "created_at": memory.createdAt.formatted(full), "occurred": memory.occurredAt.formatted(spoken),
                "occurred_at": memory.occurredAt.formatted(full), "confidence": String(format: "%.2f", memory.confidence),
                "score": String(format: "%.3f", memory.score), "text": memory.text,
                "conflicts": memory.conflictsWith.map { "#\($0)" }.joined(separator: ", "),
            ]
        }
        return [
            "request": request, "namespace": namespace, "now": Date().formatted(full),
            "has_memories": !memories.isEmpty, "memory_count": memories.count, "memories": items,
        ]
    }

    func render(_ template: String, request: String, namespace: String, memories: [RetrievedMemory])
        throws(PromptAPIError) -> String {
        let context = Self.templateContext(request: request, namespace: namespace, memories: memories)
        guard let text = templates.render(template, context) else { throw .unknownTemplate(template, known: templates.names) }
        // Trailing newlines (the template file's last line) would pile up where the block is
        // merged into a system message; leading ones are the template's business.
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)].isNewline || text[text.index(before: end)] == " " {
            end = text.index(before: end)
        }
        return String(text[..<end])
    }

    /// A client error as the API reports it, counting the daemon's absences.
    func daemonError(_ error: MemoryClientError) -> PromptAPIError {
        if case .unavailable = error {
            metrics.daemonUnavailable.increment()
            logger.warning("engramd unavailable", metadata: ["socket": "\(configuration.daemonSocket)", "error": "\(error)"])
        }
        return .from(error, socket: configuration.daemonSocket)
    }
}

import Foundation
import Logging
import MemoryClient
import EngramAPI
import EngramJSON

/// The learning loop's work for one exchange: ask the upstream model for the durable facts in
/// it, then `learn` each through the daemon, which creates it or reinforces a near-duplicate.
///
/// Each fact is stored with source `extraction:<model>` and confidence
/// `learning.initial_confidence`. Nothing here is fatal and nothing is dropped silently: every
/// failure (upstream down, non-2xx, an answer that is not a chat completion, output that is
/// not the JSON asked for, a fact the daemon refused) is logged with what was received and
/// counted in `engram_prompt_extraction_failures_total{reason}`.
final class Learner: Sendable {
    let upstream: UpstreamClient
    let templates: TemplateSet
    let client: MemoryClient
    let configuration: PromptConfiguration
    let metrics: PromptMetrics
    let logger: Logger

    init(upstream: UpstreamClient, templates: TemplateSet, client: MemoryClient, configuration: PromptConfiguration,
         metrics: PromptMetrics, logger: Logger) {
        self.upstream = upstream
        self.templates = templates
        self.client = client
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    func learn(from job: LearningJob) async {
        let model = configuration.learningModel.isEmpty ? job.model : configuration.learningModel
        var log = logger
        log[metadataKey: "namespace"] = "\(job.namespace)"
        log[metadataKey: "model"] = "\(model)"
        guard let content = await extract(job, model: model, logger: log) else { return }

        let parsed = FactExtraction.parse(content)
        for problem in parsed.problems {
            log.warning("extraction output not usable", metadata: ["reason": "\(problem.reason)", "received": "\(problem.detail)"])
            metrics.extractionFailed(problem.reason)
        }
        var facts = parsed.facts
        if facts.count > configuration.learningMaxFacts {
            let dropped = facts[configuration.learningMaxFacts...]
            log.warning("extraction returned more facts than learning.max_facts; the rest are not stored", metadata: [
                "max_facts": "\(configuration.learningMaxFacts)", "dropped": "\(Array(dropped))",
            ])
            for _ in dropped { metrics.extractionFailed("too_many_facts") }
            facts = Array(facts.prefix(configuration.learningMaxFacts))
        }
        let source = "extraction:" + String((model.isEmpty ? "unknown" : model).prefix(100))
        // Provenance: when the exchange happened, which conversation and end user it came from.
        var metadata: [String: JSONValue] = ["model": .string(String(model.prefix(200)))]
        if let conversation = job.conversationID { metadata["conversation"] = .string(conversation) }
        if let user = job.endUser { metadata["user"] = .string(user) }
        for fact in facts {
            let request = RememberRequest(text: fact, metadata: metadata, source: source,
                                          confidence: configuration.learningInitialConfidence, occurredAt: job.exchangedAt,
                                          thread: job.conversationID)
            do {
                let outcome = try await client.learn(request, in: job.namespace, reason: "extracted from a chat exchange")
                metrics.factLearned(outcome.action.rawValue)
                var details: Logger.Metadata = ["action": "\(outcome.action.rawValue)"]
                if let entry = outcome.entry { details["id"] = "\(entry.id)" }
                if let claim = outcome.rejectedBy {
                    details["rejected_claim"] = "\(claim.sequence)"
                    details["held_by"] = "\(claim.entryID)"
                }
                log.info("learned", metadata: details)
            } catch {
                log.error("storing an extracted fact failed", metadata: ["fact": "\(FactExtraction.excerpt(fact))", "error": "\(error)"])
                metrics.extractionFailed("learn_failed")
            }
        }
    }

    /// The extraction model's answer text, or `nil` after logging and counting why not.
    private func extract(_ job: LearningJob, model: String, logger log: Logger) async -> String? {
        // `conversation` only when there is one: Mustache renders a section for any string.
        var context: [String: Any] = ["user": job.user, "assistant": job.assistant]
        if !job.conversation.isEmpty { context["conversation"] = job.conversation }
        guard let prompt = templates.render(configuration.learningTemplate, context) else {
            log.error("the extraction template is missing", metadata: ["template": "\(configuration.learningTemplate)"])
            metrics.extractionFailed("template_missing")
            return nil
        }
        // Chat completions at temperature 0, or for a model only the Responses API serves, its
        // one-string `input` (no temperature: reasoning models refuse one; `store: false`: the
        // conversation it quotes is not kept upstream as a stored response).
        let responsesAPI = configuration.learningAPI == .responses
        var request: [String: Any] = responsesAPI
            ? ["input": prompt, "stream": false, "store": false]
            : ["messages": [["role": "user", "content": prompt]], "stream": false, "temperature": 0]
        if !model.isEmpty { request["model"] = model }
        let body: [UInt8]
        do {
            body = [UInt8](try JSONSerialization.data(withJSONObject: request))
        } catch {
            log.error("cannot encode the extraction request", metadata: ["error": "\(error)"])
            metrics.extractionFailed("encoding")
            return nil
        }
        let response: (status: Int, body: Data)
        do {
            let answer = try await upstream.postCollecting(body, authorization: job.authorization,
                                                           path: responsesAPI ? "/responses" : "/chat/completions")
            response = (Int(answer.response.status.code), Data(buffer: answer.body))
        } catch {
            log.warning("extraction request failed", metadata: ["error": "\(error)"])
            metrics.upstreamRequest(kind: "extraction", status: "error")
            metrics.extractionFailed("upstream_unavailable")
            return nil
        }
        metrics.upstreamRequest(kind: "extraction", status: String(response.status))
        guard (200..<300).contains(response.status) else {
            log.warning("extraction request refused", metadata: [
                "status": "\(response.status)", "received": "\(FactExtraction.excerpt(String(decoding: response.body, as: UTF8.self)))",
            ])
            metrics.extractionFailed("upstream_status")
            return nil
        }
        guard let content = responsesAPI ? CompletionText.fromResponse(response.body) : CompletionText.fromCompletion(response.body)
        else {
            log.warning("extraction answer is not a \(responsesAPI ? "response" : "chat completion")", metadata: [
                "received": "\(FactExtraction.excerpt(String(decoding: response.body, as: UTF8.self)))",
            ])
            metrics.extractionFailed("malformed_response")
            return nil
        }
        return content
    }
}

import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// What `/v1/chat/completions` and `/v1/responses` do alike around the upstream call: the
/// memory lookup under `chat.on_daemon_unavailable`, the `x-engram-memories*` and
/// `x-engram-learning` headers, and queuing the exchange for learning once the answer
/// (collected or streamed) has been written.
struct ExchangeSupport {
    let assembler: PromptAssembler
    let queue: LearningQueue
    let configuration: PromptConfiguration
    let metrics: PromptMetrics
    let logger: Logger

    /// The knowledge for `query` (`nil` when nothing relevant), and whether engramd answered:
    /// with `answer_without_memories`, an unavailable daemon is no error but `available` false.
    func knowledge(namespace: String, query: SearchText?) async throws(PromptAPIError)
        -> (found: (block: String, memories: [RetrievedMemory])?, available: Bool) {
        guard let query else { return (nil, true) }
        do {
            return (try await assembler.knowledge(namespace: namespace, query: query), true)
        } catch {
            guard error.code == "daemon_unavailable", configuration.chatOnDaemonUnavailable == "answer_without_memories" else {
                throw error
            }
            logger.warning("answering without memories: engramd is unavailable", metadata: ["namespace": "\(namespace)"])
            return (nil, false)
        }
    }

    /// The memory headers, and the learning job for an exchange with a user message (`job`
    /// builds it), or the learning header saying why there is none.
    func plan(memories: [RetrievedMemory], available: Bool, hasUserMessage: Bool, headers: inout HTTPFields,
              job: () -> LearningJob) -> LearningJob? {
        headers[ChatRoutes.memoriesHeader] = memories.map { String($0.id) }.joined(separator: ",")
        headers[ChatRoutes.memoriesStatusHeader] = available ? "ok" : "unavailable"
        if !configuration.learningEnabled {
            headers[ChatRoutes.learningHeader] = "off"
        } else if !available {
            // Its facts could not be stored: no extraction is paid for.
            headers[ChatRoutes.learningHeader] = "skipped:daemon_unavailable"
        } else if hasUserMessage {
            return job()
        } else {
            headers[ChatRoutes.learningHeader] = "skipped:no_user_message"
        }
        return nil
    }

    /// The body of a collected answer; the exchange is queued for learning (with the text
    /// `answerText` reads) after the answer is written, so extraction never competes with it.
    func collectedBody(_ answer: ByteBuffer, status: Int, learn: LearningJob?, headers: inout HTTPFields,
                       answerText: (Data) -> String?) -> ResponseBody {
        var job: LearningJob?
        if var exchange = learn {
            if !(200..<300).contains(status) {
                headers[ChatRoutes.learningHeader] = "skipped:upstream_status"
            } else if let text = answerText(Data(buffer: answer)), !text.isEmpty {
                exchange.assistant = text
                job = exchange
                headers[ChatRoutes.learningHeader] = "queued"
            } else {
                // A tool call, typically: nothing to learn from, not a failure.
                metrics.learningSkipped("no_answer_text")
                headers[ChatRoutes.learningHeader] = "skipped:no_answer_text"
            }
        }
        let queue = self.queue
        let finished = job
        return ResponseBody(contentLength: answer.readableBytes) { writer in
            try await writer.write(answer)
            try await writer.finish(nil)
            if let finished { queue.submit(finished) }
        }
    }

    /// The body of a successful streamed answer, passed on chunk by chunk as it arrives; its
    /// text (``SSETextAccumulator``) is learned from once the stream has ended.
    func streamedBody(_ response: HTTPClientResponse, learn: LearningJob?) -> ResponseBody {
        let (queue, logger, metrics) = (self.queue, self.logger, self.metrics)
        return ResponseBody { writer in
            var accumulator = SSETextAccumulator()
            do {
                for try await chunk in response.body {
                    accumulator.feed(chunk.readableBytesView)
                    try await writer.write(chunk)
                }
            } catch {
                logger.warning("streamed answer ended early", metadata: ["error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
            accumulator.finish()
            guard var job = learn else { return }
            if accumulator.text.isEmpty {
                metrics.learningSkipped("no_answer_text")
            } else {
                job.assistant = accumulator.text
                queue.submit(job)
            }
        }
    }
}

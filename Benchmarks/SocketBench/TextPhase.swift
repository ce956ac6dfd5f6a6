import Foundation
import MemoryClient
import MemoryEngine

/// The text path: embedding and vector search timed separately in-process, text search
/// in-process and over the socket, and optionally engram-prompt's `/v1/prompt`.
enum TextPhase {
    /// Where `/v1/prompt` is measured: an engram-prompt already serving this daemon, or a
    /// binary to start for the phase; `nil` skips it.
    enum Prompt {
        case socket(String)
        case binary(String)
    }

    static func run(_ context: BenchContext, daemon: InProcessDaemon, live: LiveSet, texts: [String],
                    prompt promptTarget: Prompt?) async throws -> BenchResults.TextPath {
        let engine = daemon.engine
        let count = min(context.samples, max(texts.count, 200))
        let warmUp = min(20, texts.count)
        var embedded = [[Float]](repeating: [], count: texts.count)
        let (embed, _) = try measure(count: count, warmUp: warmUp) { i in
            embedded[i % texts.count] = try engine.embedder.embed(texts[i % texts.count])
        }
        for i in texts.indices where embedded[i].isEmpty { embedded[i] = try engine.embedder.embed(texts[i]) }
        progress("text: embed p50 \(fmt(embed.summary().p50_us)) µs")
        let (searchVector, _) = try measure(count: count, warmUp: warmUp) { i in
            _ = try engine.search(namespace: context.namespace,
                                  SearchRequest(vector: embedded[i % texts.count], k: context.k, ef: context.ef))
        }
        func textSearch(_ mode: SearchMode) throws -> LatencySummary {
            try measure(count: count, warmUp: warmUp) { i in
                _ = try engine.search(namespace: context.namespace,
                                      SearchRequest(text: texts[i % texts.count], k: context.k, ef: context.ef, mode: mode))
            }.0.summary()
        }
        let searchText = try textSearch(.vector)
        let searchHybrid = try textSearch(.hybrid)
        let searchLexical = try textSearch(.lexical)
        progress("text: in-process p50 vector \(fmt(searchText.p50_us)) µs, hybrid \(fmt(searchHybrid.p50_us)) µs, "
                 + "lexical \(fmt(searchLexical.p50_us)) µs")
        let client = MemoryClient(socketPath: daemon.socketPath, maxIdleConnections: 1)
        var found = [[UInt64]](repeating: [], count: texts.count)
        let (endToEnd, _) = try await measureAsync(count: count, warmUp: warmUp) { i in
            let hits = try await client.search(in: context.namespace,
                                               SearchRequest(text: texts[i % texts.count], k: context.k, ef: context.ef,
                                                             mode: .vector))
            found[i % texts.count] = hits.map(\.entry.id)
        }
        let truth = Recall.datasetTruth(context.dataset, idOfRow: live.idOfRow, k: 10)
        let measuredRows = texts.indices.filter { !found[$0].isEmpty }
        let recall = Recall.at(10, results: measuredRows.map { found[$0] }, truth: measuredRows.map { truth[$0] })

        var prompt: LatencySummary?
        var note: String?
        if let promptTarget {
            do {
                var service: PromptService?
                let socket: String
                switch promptTarget {
                case .socket(let path):
                    socket = path
                case .binary(let binary):
                    service = try PromptService(binary: binary, daemonSocket: daemon.socketPath, directory: context.directory)
                    socket = service!.socketPath
                }
                defer { service?.stop() }
                prompt = try measurePrompt(socket: socket, namespace: context.namespace, texts: texts, k: context.k,
                                           count: count, warmUp: warmUp)
                note = "POST /v1/prompt {namespace, request, k=\(context.k)} on one keep-alive connection"
            } catch {
                note = "engram-prompt: \(error)"
                progress(note!)
            }
        } else {
            note = "not measured: neither --prompt-binary nor --prompt-socket given"
        }
        return BenchResults.TextPath(
            embed: embed.summary(), search_embedded_vector: searchVector.summary(),
            text_search_in_process: searchText, text_search_end_to_end: endToEnd.summary(),
            text_search_hybrid_in_process: searchHybrid, text_search_lexical_in_process: searchLexical,
            recall10_text_vs_truth: recall, prompt: prompt, prompt_note: note)
    }

    /// `POST /v1/prompt {namespace, request, k}` on engram-prompt's socket (issue 7's request
    /// shape), one keep-alive connection; any non-200 answer stops the measurement with its body.
    private static func measurePrompt(socket: String, namespace: String, texts: [String], k: Int, count: Int,
                                      warmUp: Int) throws -> LatencySummary {
        struct Body: Encodable { var k: Int; var namespace: String; var request: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let requests = try texts.map {
            RawHTTPClient.request(method: "POST", target: "/v1/prompt",
                                  body: Array(try encoder.encode(Body(k: k, namespace: namespace, request: $0))))
        }
        let client = try RawHTTPClient(socketPath: socket)
        let (histogram, _) = try measure(count: count, warmUp: warmUp) { i in
            let exchange = try client.exchange(requests[i % requests.count])
            guard exchange.status == 200 else {
                throw RawSocket.Failure("/v1/prompt answered \(exchange.status): "
                                        + String(decoding: exchange.body.prefix(300), as: UTF8.self), EPROTO)
            }
        }
        return histogram.summary()
    }
}

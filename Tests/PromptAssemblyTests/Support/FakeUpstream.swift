import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A one-shot signal a test opens and a handler waits for.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(waiter)
                return false
            }
            if open { waiter.resume() }
        }
    }
}

/// A real OpenAI-compatible fake: a Hummingbird server on 127.0.0.1 (a port the system
/// chooses) that records every request and answers
/// - extraction requests (the user message, or a response's `input`, asks for "durable
///   facts") with a completion or response whose text is ``extractionReply`` (valid or
///   malformed, as the test sets it),
/// - `stream: true` requests with server-sent events: the role chunk and the first words, then
///   — only once ``streamGate`` is opened, when one is set — the rest and `[DONE]`,
/// - other requests with a canned completion ``answer``.
final class FakeUpstream: Sendable {
    struct Recorded: Sendable {
        var body: Data
        var authorization: String?

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        var messages: [[String: Any]] { json["messages"] as? [[String: Any]] ?? [] }
        /// A chat completion whose last message, or a response whose string `input`, asks for
        /// the durable facts.
        var isExtraction: Bool {
            ((messages.last?["content"] as? String) ?? (json["input"] as? String))?.contains("durable facts") ?? false
        }
    }

    static let answer = "Refunds take five business days."
    static let streamPieces = ["Refunds ", "take five ", "business days."]

    let streamGate: Gate?
    private let running: RunningGroup
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// The SSE bytes the fake sends for a stream, in order.
    static var streamEvents: [String] {
        var events = [#"data: {"id":"c1","object":"chat.completion.chunk","model":"test-model","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#]
        for piece in streamPieces {
            events.append(#"data: {"id":"c1","object":"chat.completion.chunk","model":"test-model","choices":[{"index":0,"delta":{"content":"\#(piece)"}}]}"#)
        }
        events.append("data: [DONE]")
        return events.map { $0 + "\n\n" }
    }

    static func start(streamGate: Gate? = nil) async throws -> FakeUpstream {
        let portBox = PortBox()
        let router = Router()
        let state = SharedState()
        router.get("/v1/models") { request, _ -> Response in
            // Like OpenAI's: the list for a client that presents a key, 401 without one.
            guard request.headers[.authorization] != nil else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"no key"}}"#)))
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(
                string: #"{"object":"list","data":[{"id":"test-model","object":"model","created":1,"owned_by":"fake"}]}"#)))
        }
        router.post("/v1/responses") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 22)
            let record = Recorded(body: Data(buffer: body), authorization: request.headers[.authorization])
            state.record(record)
            var headers = HTTPFields()
            headers[HTTPField.Name("x-request-id")!] = "req-fake-responses"
            if record.json["stream"] as? Bool == true {
                headers[.contentType] = "text/event-stream"
                let events = ["event: response.created\ndata: {\"type\":\"response.created\"}\n\n"]
                    + streamPieces.map { "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"\($0)\"}\n\n" }
                    + ["event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n"]
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: events.joined())))
            }
            headers[.contentType] = "application/json"
            let text = record.isExtraction ? state.currentReply() : answer
            let object: [String: Any] = ["id": "resp_1", "object": "response", "model": "test-model", "output": [
                ["type": "message", "role": "assistant", "content": [["type": "output_text", "text": text]]],
            ]]
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())))
        }
        router.post("/v1/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 22)
            state.record(Recorded(body: Data(buffer: body), authorization: request.headers[.authorization]))
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(
                string: #"{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" world"}]}"#)))
        }
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 22)
            let record = Recorded(body: Data(buffer: body), authorization: request.headers[.authorization])
            state.record(record)
            if record.isExtraction {
                return Self.completion(content: state.currentReply())
            }
            if record.json["stream"] as? Bool == true {
                var headers = HTTPFields()
                headers[.contentType] = "text/event-stream"
                headers[HTTPField.Name("x-request-id")!] = "req-fake-stream"
                let events = Self.streamEvents
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: events[0] + events[1]))
                    if let streamGate { await streamGate.wait() }
                    for event in events.dropFirst(2) { try await writer.write(ByteBuffer(string: event)) }
                    try await writer.finish(nil)
                })
            }
            return Self.completion(content: Self.answer)
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portBox.set(channel.localAddress?.port ?? -1) }, logger: testLogger)
        let running = RunningGroup([application])
        let port = await portBox.wait()
        return FakeUpstream(state: state, streamGate: streamGate, running: running, port: port)
    }

    private init(state: SharedState, streamGate: Gate?, running: RunningGroup, port: Int) {
        self.shared = state
        self.streamGate = streamGate
        self.running = running
        self.port = port
    }

    private let shared: SharedState

    func setExtractionReply(_ text: String) { shared.setReply(text) }
    var all: [Recorded] { shared.all() }
    var chats: [Recorded] { all.filter { !$0.isExtraction } }
    var extractions: [Recorded] { all.filter(\.isExtraction) }

    func stop() async throws { try await running.stop() }

    static func completion(content: String) -> Response {
        let object: [String: Any] = [
            "id": "c1", "object": "chat.completion", "model": "test-model",
            "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("x-request-id")!] = "req-fake-1"
        headers[HTTPField.Name("x-ratelimit-remaining-requests")!] = "99"
        headers[HTTPField.Name("set-cookie")!] = "session=upstream"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// What the fake's handler and the test share; the Mutexes protect it.
final class SharedState: Sendable {
    private let recorded = Mutex<[FakeUpstream.Recorded]>([])
    private let reply = Mutex<String>("[]")

    func record(_ value: FakeUpstream.Recorded) { recorded.withLock { $0.append(value) } }
    func all() -> [FakeUpstream.Recorded] { recorded.withLock { $0 } }
    func currentReply() -> String { reply.withLock { $0 } }
    func setReply(_ text: String) { reply.withLock { $0 = text } }
}

/// The port the fake bound, handed from `onServerRunning` to the starter.
final class PortBox: Sendable {
    private let value = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))

    func set(_ port: Int) {
        let waiters = value.withLock { state -> [CheckedContinuation<Int, Never>] in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    func wait() async -> Int {
        await withCheckedContinuation { (waiter: CheckedContinuation<Int, Never>) in
            let port = value.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(waiter)
                return nil
            }
            if let port { waiter.resume(returning: port) }
        }
    }
}

import Foundation
import MemoryClient
import MemoryEngine

/// Issue 5's target: k-NN search by vector in-process, end to end over the socket (one
/// keep-alive connection), and the raw AF_UNIX floor with the same payload sizes.
enum VectorPhase {
    static func run(_ context: BenchContext, daemon: InProcessDaemon, live: LiveSet)
        async throws -> (BenchResults.VectorSearch, BenchResults.Payload) {
        let engine = daemon.engine
        let truth = Recall.datasetTruth(context.dataset, idOfRow: live.idOfRow, k: 10)

        // Recall, once per query, outside the timed loops.
        let inProcessIds = try (0..<context.queryVectors.count).map { q in
            try engine.search(namespace: context.namespace, context.searchRequest(q)).map(\.entry.id)
        }
        let (inProcess, _) = try measure(count: context.samples, warmUp: context.warmUp) { i in
            _ = try engine.search(namespace: context.namespace, context.searchRequest(i))
        }
        progress("in-process p50 \(fmt(inProcess.summary().p50_us)) µs")

        // Payload sizes from a real exchange, then the raw HTTP end-to-end figure.
        let target = "/v1/namespaces/\(context.namespace)/search"
        let requests = context.queryVectors.map {
            RawHTTPClient.request(method: "POST", target: target, body: WireBody.vectorSearch($0, k: context.k, ef: context.ef))
        }
        let raw = try RawHTTPClient(socketPath: daemon.socketPath)
        let probe = try raw.exchange(requests[0])
        guard probe.status == 200 else {
            throw RawSocket.Failure("raw search answered \(probe.status): \(String(decoding: probe.body.prefix(300), as: UTF8.self))", EPROTO)
        }
        var requestBytes = 0, responseBytes = 0
        for request in requests {
            let exchange = try raw.exchange(request)
            requestBytes += exchange.requestBytes
            responseBytes += exchange.responseBytes
        }
        let payload = BenchResults.Payload(request_bytes: requestBytes / requests.count,
                                           response_bytes: responseBytes / requests.count)
        progress("payload: request \(payload.request_bytes) B, response \(payload.response_bytes) B (means over the queries)")
        let (rawHTTP, _) = try measure(count: context.samples, warmUp: context.warmUp) { i in
            _ = try raw.exchange(requests[i % requests.count])
        }
        // The HTTP stack alone: the daemon's cheapest route on the same connection.
        let health = RawHTTPClient.request(method: "GET", target: "/v1/health", body: nil)
        let (healthRaw, _) = try measure(count: context.samples, warmUp: context.warmUp) { _ in
            let exchange = try raw.exchange(health)
            guard exchange.status == 200 else { throw RawSocket.Failure("GET /v1/health answered \(exchange.status)", EPROTO) }
        }

        // MemoryClient, one keep-alive connection.
        let client = MemoryClient(socketPath: daemon.socketPath, maxIdleConnections: 1)
        var socketIds: [[UInt64]] = []
        for q in 0..<context.queryVectors.count {
            socketIds.append(try await client.search(in: context.namespace, context.searchRequest(q)).map(\.entry.id))
        }
        let (endToEnd, _) = try await measureAsync(count: context.samples, warmUp: context.warmUp) { i in
            _ = try await client.search(in: context.namespace, context.searchRequest(i))
        }

        // The same client's blocking form, on this thread: no hand-off to an I/O thread and back.
        let (blocking, _) = try measure(count: context.samples, warmUp: context.warmUp) { i in
            _ = try client.searchBlocking(in: context.namespace, context.searchRequest(i))
        }

        let floorServer = try FloorServer(directory: context.directory, requestBytes: payload.request_bytes,
                                          responseBytes: payload.response_bytes)
        defer { floorServer.stop() }
        let (floor, _) = try floorServer.run(clients: 1, perClient: context.samples * 4, warmUp: context.warmUp)

        let bound = inProcess.summary().p50_us + 3 * floor.summary().p50_us
        let result = BenchResults.VectorSearch(
            in_process: inProcess.summary(), end_to_end: endToEnd.summary(), end_to_end_blocking: blocking.summary(),
            end_to_end_raw_http: rawHTTP.summary(),
            health_raw_http: healthRaw.summary(),
            floor: floor.summary(), recall10_in_process: Recall.at(10, results: inProcessIds, truth: truth),
            recall10_socket: Recall.at(10, results: socketIds, truth: truth), target_bound_us: bound,
            target_met: endToEnd.summary().p50_us <= bound, target_met_blocking: blocking.summary().p50_us <= bound)
        return (result, payload)
    }
}

func fmt(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

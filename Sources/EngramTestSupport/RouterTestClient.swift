import Embeddings
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
public import MemoryEngine
public import MemoryServer

/// Requests straight to engramd's router through HummingbirdTesting's `.router` mode: no
/// socket, no connection handlers (so no peer credentials: the audit actor is `anonymous`).
/// For route-level tests; the end-to-end suites use a real socket (``withTestDaemon``).
public struct RouterTestClient: HTTPTestClient {
    let client: any TestClientProtocol

    public func perform(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws
        -> TestHTTPResponse {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        let response = try await client.executeRequest(
            uri: path, method: HTTPRequest.Method(method) ?? .get, headers: fields,
            body: body.map { ByteBuffer(bytes: $0) })
        var names: [String: String] = [:]
        for field in response.headers { names[field.name.canonicalName] = field.value }
        return TestHTTPResponse(status: response.status.code, headers: names,
                                body: Array(response.body.readableBytesView))
    }
}

/// Opens engramd's composition over a fresh store, and runs `body` with a client of its router
/// (``RouterTestClient``) and its engine; the engine's maintenance does not run.
@discardableResult
public func withRouterDaemon<R: Sendable>(
    embedder: any Embedder = WordHashEmbedder(),
    engineConfiguration: EngineConfiguration = EngineConfiguration(),
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (RouterTestClient, MemoryEngine) async throws -> R
) async throws -> R {
    let directory = try makeTemporaryDirectory(prefix: "engram-router")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = ServerConfiguration()
    configuration.maxBodyBytes = 64 * 1024
    configuration.dataDirectory = "\(directory)/store"  // hot backups go to \(directory)/backups
    configuration.engine = engineConfiguration
    configure(&configuration)
    let daemon = try Daemon.open(configuration: configuration, embedder: embedder, logger: makeTestLogger("engram.router-test"))
    let engine = daemon.engine
    return try await daemon.withRouter { router in
        try await Application(router: router).test(.router) { client in
            try await body(RouterTestClient(client: client), engine)
        }
    }
}

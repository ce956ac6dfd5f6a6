public import Logging
import EngramAPI
import Foundation
import MCP
import MemoryClient
import Synchronization

/// `engram mcp`: an MCP server over stdio that gives an agent host Engram's memory as tools
/// (``MemoryToolCatalog``) and resources (``MemoryResources``), talking to engramd through
/// ``MemoryClient``.
///
/// Every write is audited with the actor `mcp:<client name>`, the name the host gave in its
/// `initialize` request (control characters dropped, at most 64 bytes kept), so the audit log
/// tells which agent host changed what. stdout carries the protocol alone; logs go to the
/// logger the caller gives (stderr for the CLI).
public struct EngramMCPServer: Sendable {
    public let socketPath: String
    public let defaultNamespace: String?
    public let timeoutSeconds: Int
    public let version: String

    public init(socketPath: String, defaultNamespace: String?, timeoutSeconds: Int = 30, version: String) {
        self.socketPath = socketPath
        self.defaultNamespace = defaultNamespace
        self.timeoutSeconds = timeoutSeconds
        self.version = version
    }

    /// Serves standard input and output until the host closes them.
    public func runOverStandardIO(logger: Logger) async throws {
        let server = try await start(transport: StdioTransport(logger: logger), logger: logger)
        await server.waitUntilCompleted()
    }

    /// A server with every handler registered, serving `transport` (its tool arguments kept as
    /// written: ``ArgumentEscapingTransport``). The server is strict: nothing but `initialize`
    /// is served before the host has introduced itself, so every write is audited with its
    /// name, `mcp:<name>`.
    func start(transport: any Transport, logger: Logger) async throws -> Server {
        let (server, holder) = await makeServer()
        try await server.start(transport: ArgumentEscapingTransport(transport, logger: logger)) { client, _ in
            holder.rename(actor: Self.actor(for: client.name))
        }
        return server
    }

    /// The server with every handler registered, and the holder of its daemon client.
    func makeServer() async -> (Server, ClientHolder) {
        let holder = ClientHolder(MemoryClient(socketPath: socketPath, actor: "mcp", timeoutSeconds: timeoutSeconds))
        let server = Server(
            name: "engram", version: version,
            instructions: """
                Engram is this user's long-term memory. Search it before answering questions \
                that may depend on what was said or learned before; remember durable facts, \
                preferences and corrections in one self-contained sentence each; when a memory \
                turns out wrong, edit or forget it rather than adding a contradicting one.
                """,
            capabilities: .init(resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)),
            configuration: .strict)
        let runner = MemoryToolRunner(client: { holder.client }, defaultNamespace: defaultNamespace)
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: MemoryToolCatalog.tools) }
        await server.withMethodHandler(CallTool.self) { params in
            await runner.call(params.name, arguments: (params.arguments ?? [:]).mapValues(ArgumentEscaping.unescape))
        }
        await server.withMethodHandler(ListResources.self) { _ in
            do {
                return .init(resources: try await MemoryResources.list(holder.client), nextCursor: nil)
            } catch {
                throw MCPError.internalError(ToolFailure(any: error).message)
            }
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in .init(templates: MemoryResources.templates) }
        await server.withMethodHandler(ReadResource.self) { params in
            guard let target = MemoryResources.target(params.uri) else {
                throw MCPError.invalidParams("unknown resource \(params.uri): engram://namespaces/{namespace}/recent "
                                                 + "or engram://namespaces/{namespace}/memories/{id}/history")
            }
            do {
                let data = try await MemoryResources.read(target, client: holder.client)
                return .init(contents: [.text(String(decoding: data, as: UTF8.self), uri: params.uri, mimeType: "application/json")])
            } catch {
                let failure = ToolFailure(any: error)
                throw MCPError.invalidParams("\(failure.code): \(failure.message)")
            }
        }
        return (server, holder)
    }

    /// The audit actor of a host that calls itself `clientName`: `mcp:` and the name without
    /// control characters, at most 64 bytes of it; `mcp` for an empty name.
    static func actor(for clientName: String) -> String {
        let printable = clientName.unicodeScalars.filter { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }
        var name = String(String.UnicodeScalarView(printable)).trimmingCharacters(in: .whitespaces)
        while name.utf8.count > 64 { name.removeLast() }
        return name.isEmpty ? "mcp" : "mcp:\(name)"
    }
}

/// The daemon client of a server, replaced once when the host introduces itself (its name is
/// the audit actor). The `Mutex` protects the reference; the client itself is `Sendable`.
final class ClientHolder: Sendable {
    private let current: Mutex<MemoryClient>

    init(_ client: MemoryClient) {
        current = Mutex(client)
    }

    var client: MemoryClient { current.withLock { $0 } }

    func rename(actor: String) {
        current.withLock { $0 = MemoryClient(socketPath: $0.socketPath, actor: actor, timeoutSeconds: $0.timeoutSeconds) }
    }
}

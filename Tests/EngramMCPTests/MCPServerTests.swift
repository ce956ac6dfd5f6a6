import EngramTestSupport
import Foundation
import MCP
import Testing
@testable import EngramMCP

/// `engram mcp`'s server driven by the official Swift SDK's client over an in-memory
/// transport, against engramd over a real socket: the tools, the resources, the errors and
/// the audit actor.
@Suite struct MCPServerTests {
    /// A connected client (host name "test-host") of a server in front of `daemon`.
    static func connect(_ daemon: TestDaemon, defaultNamespace: String? = "notes") async throws -> Client {
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        let server = EngramMCPServer(socketPath: daemon.socketPath, defaultNamespace: defaultNamespace, version: "test")
        _ = try await server.start(transport: serverSide, logger: makeTestLogger("engram.mcp-test"))
        let client = Client(name: "test-host", version: "1.0")
        _ = try await client.connect(transport: clientSide)
        return client
    }

    /// The JSON document of a tool result, and whether it is an error.
    static func call(_ client: Client, _ name: String, _ arguments: [String: Value]) async throws
        -> (document: [String: Any], isError: Bool) {
        let (content, isError) = try await client.callTool(name: name, arguments: arguments)
        guard case .text(let text, _, _)? = content.first else {
            Issue.record("no text content")
            return ([:], isError ?? false)
        }
        if isError == true { return (["error": text], true) }
        let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return (document ?? [:], false)
    }

    @Test func everyToolIsListedWithAnObjectSchema() async throws {
        try await withTestDaemon { daemon in
            let client = try await Self.connect(daemon)
            let tools = try await client.listTools().tools
            #expect(Set(tools.map(\.name)) == ["remember", "learn", "search", "get", "edit", "forget", "history", "feedback",
                                               "list_namespaces"])
            for tool in tools {
                #expect(tool.description?.isEmpty == false, "\(tool.name)")
                guard case .object(let schema) = tool.inputSchema else {
                    Issue.record("\(tool.name): the schema is not an object")
                    continue
                }
                #expect(schema["type"] == .string("object") && schema["additionalProperties"] == .bool(false), "\(tool.name)")
            }
        }
    }

    /// remember → search → get → edit → feedback → history → forget, each through its tool,
    /// in the server's default namespace; writes audited as `mcp:test-host`.
    @Test func aMemoryThroughEveryTool() async throws {
        try await withTestDaemon { daemon in
            let client = try await Self.connect(daemon)
            let stored = try await Self.call(client, "remember", ["text": "The staging database is called heron", "tags": ["infra"]])
            #expect(!stored.isError)
            let id = try #require((stored.document["entry"] as? [String: Any])?["id"] as? Int)

            let found = try await Self.call(client, "search", ["text": "staging database heron", "k": 3])
            let hits = try #require(found.document["hits"] as? [[String: Any]])
            #expect(hits.compactMap { ($0["entry"] as? [String: Any])?["id"] as? Int }.first == id)

            let read = try await Self.call(client, "get", ["id": .int(id)])
            #expect(read.document["text"] as? String == "The staging database is called heron")

            let edited = try await Self.call(client, "edit", ["id": .double(Double(id)), "text": "The staging database is called egret",
                                                              "reason": "renamed"])
            #expect((edited.document["entry"] as? [String: Any])?["text"] as? String == "The staging database is called egret")

            let rated = try await Self.call(client, "feedback", ["id": .int(id), "signal": "useful"])
            #expect(((rated.document["entry"] as? [String: Any])?["confidence"] as? Double ?? 0) > 0.5)

            let history = try await Self.call(client, "history", ["id": .int(id)])
            let events = try #require(history.document["events"] as? [[String: Any]])
            #expect(events.count == 3)
            #expect(events.allSatisfy { ($0["actor"] as? String)?.hasPrefix("mcp:test-host") == true }, "\(events)")

            #expect(!(try await Self.call(client, "forget", ["id": .int(id), "reason": "wrong"])).isError)
            let after = try await Self.call(client, "search", ["text": "staging database", "k": 3])
            #expect((after.document["hits"] as? [[String: Any]])?.isEmpty == true)
            // A forget (a DELETE, without a body) is audited with the host's name too.
            let forgotten = try #require(try await Self.call(client, "history", ["id": .int(id)]).document["events"] as? [[String: Any]])
            #expect(forgotten.last?["kind"] as? String == "deleted")
            #expect((forgotten.last?["actor"] as? String)?.hasPrefix("mcp:test-host (uid:") == true, "\(forgotten.last ?? [:])")

            let learned = try await Self.call(client, "learn", ["text": "Deploys happen on Tuesdays", "namespace": "team"])
            #expect(learned.document["action"] as? String == "created")
            let namespaces = try await Self.call(client, "list_namespaces", [:])
            let names = (namespaces.document["namespaces"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(Set(names ?? []) == ["notes", "team"])
        }
    }

    /// Errors are tool errors carrying the daemon's code, or the server's for arguments it
    /// refuses itself; nothing reaches the daemon unchecked.
    @Test func errorsCarryTheirCodes() async throws {
        try await withTestDaemon { daemon in
            let client = try await Self.connect(daemon)
            #expect(!(try await Self.call(client, "remember", ["text": "a namespace to err in"])).isError)
            let cases: [(String, [String: Value], String)] = [
                ("get", ["id": 999], "error: not_found: "),
                ("get", ["id": 0], "error: invalid_field: id"),
                ("get", ["id": 1.5], "error: invalid_field: id"),
                ("get", ["id": "7"], "error: invalid_field: id"),
                ("get", ["id": 1, "extra": true], "error: unknown_field: extra"),
                ("remember", ["text": "x", "colour": "red"], "error: unknown_field"),
                ("remember", ["tags": ["no text"]], "error: missing_field"),
                ("remember", ["text": "x", "actor": "someone else"], "error: unknown_field: actor"),
                ("search", ["text": "x", "k": 0], "error: invalid_argument"),
                ("search", ["text": "x", "namespace": "../etc"], "error: invalid_"),
                ("feedback", ["id": 1, "signal": "great"], "error: invalid_field: signal"),
                ("nonexistent", [:], "error: unknown_tool"),
                ("list_namespaces", ["namespace": "notes"], "error: unknown_field: namespace"),
            ]
            for (tool, arguments, prefix) in cases {
                let result = try await Self.call(client, tool, arguments)
                #expect(result.isError, "\(tool) \(arguments)")
                #expect((result.document["error"] as? String)?.hasPrefix(prefix) == true,
                        "\(tool) \(arguments): \(result.document["error"] ?? "")")
            }
            let noDefault = try await Self.connect(daemon, defaultNamespace: nil)
            let missing = try await Self.call(noDefault, "search", ["text": "x"])
            #expect((missing.document["error"] as? String)?.hasPrefix("error: missing_field: namespace") == true)
        }
    }

    /// Strings the SDK would read as data URLs ("data:…,…") and the escape mark itself reach
    /// the store as written, and come back so.
    @Test func argumentsArriveAsWritten() async throws {
        try await withTestDaemon { daemon in
            let client = try await Self.connect(daemon)
            let texts = ["data: kept 30 days, then deleted", "data:text/plain;base64,aGk=", "\u{E000}marked, data:x,y",
                         "data:,", "plain text"]
            for text in texts {
                let stored = try await Self.call(client, "remember", ["text": .string(text), "tags": [.string(text)],
                                                                      "metadata": ["note": .string(text)]])
                let entry = try #require(stored.document["entry"] as? [String: Any], "\(text): \(stored.document)")
                #expect(entry["text"] as? String == text)
                #expect(entry["tags"] as? [String] == [text])
                #expect((entry["metadata"] as? [String: Any])?["note"] as? String == text)
            }
        }
    }

    /// A resource that cannot be read says why with the daemon's code.
    @Test func resourceErrorsKeepTheDaemonsCode() async throws {
        try await withTestDaemon { daemon in
            let client = try await Self.connect(daemon)
            do {
                _ = try await client.readResource(uri: "engram://namespaces/nosuch/recent")
                Issue.record("a missing namespace was read")
            } catch {
                #expect("\(error)".contains("namespace_not_found"), "\(error)")
            }
        }
    }

    @Test func resourcesShowRecentMemoriesAndHistory() async throws {
        try await withTestDaemon { daemon in
            let client = try await Self.connect(daemon)
            let stored = try await Self.call(client, "remember", ["text": "Lunch is at noon"])
            let id = try #require((stored.document["entry"] as? [String: Any])?["id"] as? Int)
            let listed = try await client.listResources().resources.map(\.uri)
            #expect(listed == ["engram://namespaces/notes/recent"])
            #expect(try await client.listResourceTemplates().templates.count == 2)
            let recent = try await client.readResource(uri: "engram://namespaces/notes/recent")
            #expect(recent.first?.text?.contains("Lunch is at noon") == true)
            let history = try await client.readResource(uri: "engram://namespaces/notes/memories/\(id)/history")
            #expect(history.first?.text?.contains("\"created\"") == true)
            for bad in ["engram://namespaces/notes/memories/x/history", "engram://namespaces/../recent", "file:///etc/passwd",
                        "engram://namespaces/notes/recent/extra"] {
                await #expect(throws: (any Error).self, "\(bad)") { _ = try await client.readResource(uri: bad) }
            }
        }
    }

    @Test func theActorIsThePrintableClientName() {
        #expect(EngramMCPServer.actor(for: "Claude Desktop") == "mcp:Claude Desktop")
        #expect(EngramMCPServer.actor(for: "evil\nname\u{7}") == "mcp:evilname")
        #expect(EngramMCPServer.actor(for: "  \n ") == "mcp")
        #expect(EngramMCPServer.actor(for: String(repeating: "é", count: 100)).utf8.count == 4 + 64)
    }
}

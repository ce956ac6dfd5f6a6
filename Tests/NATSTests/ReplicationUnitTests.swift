import Foundation
import MemoryStore
import NATS
@testable import Replication
import Testing

/// The parts of replication that need no server: the log's payloads, the names, the
/// settings, forwarded requests.
@Suite struct ReplicationUnitTests {
    static let time = Date(timeIntervalSince1970: 1_700_000_000.123456)

    @Test func logMessagesRoundTripExactly() throws {
        let context = AuditContext(actor: "bob", reason: nil, time: Self.time)
        var draft = MemoryDraft(text: "ünïcode \u{1F600} and \"quotes\"", tags: ["a", "b"], metadata: ["x": .number(0.1)],
                                confidence: 1.0 / 3.0, createdAt: Self.time, expiresAt: Self.time + 0.5)
        draft.position = -4
        let operations: [StoreOperation] = [
            .createNamespace(NamespaceConfig(name: "a.b-c_d", dimension: 3, createdAt: Self.time)),
            .insert(namespace: "n", items: [DraftWithVector(draft: draft, vector: [0.1, -Float.leastNonzeroMagnitude, 3e38])],
                    context: context),
            .recordUse(namespace: "n", uses: [EntryUseRecord(id: 9, use: EntryUse(count: 2, lastUsedAt: Self.time))]),
            .deleteNamespace(name: "n", context: context),
        ]
        for operation in operations {
            let bytes = try LogCodec.encode(operation)
            #expect(bytes.first == 1)
            #expect(try LogCodec.decode(bytes, sequence: 7) == operation)
            #expect(try LogCodec.encode(LogCodec.decode(bytes, sequence: 7)) == bytes)
        }
    }

    @Test(arguments: [
        [UInt8](), [2, 0x7b, 0x7d], [1], [1, 0x7b, 0x7d], Array("\u{1}{\"insert\":{\"namespace\":1}}".utf8),
        Array("\u{1}{\"delete\":{\"_0\":{\"namespace\":\"n\",\"id\":-1}}}".utf8), [1] + [UInt8](repeating: 0x5b, count: 10_000),
    ])
    func unreadableMessagesAreErrorsNotCrashes(payload: [UInt8]) {
        #expect(throws: ReplicationError.self) { try LogCodec.decode(payload, sequence: 12) }
    }

    @Test func namesAreSafeSubjectTokensAndKeys() throws {
        #expect(LogSubjects.hex("a.b") == "612e62")
        let subject = LogSubjects.writes("..x", stream: "ENGRAM")
        #expect(subject == "engram.log.engram.ns.2e2e78")
        #expect(LogSubjects.uses("..x", stream: "ENGRAM") == "engram.log.engram.use.2e2e78")
        #expect(!LogSubjects.forwarding(to: "node1", stream: "ENGRAM").hasPrefix("engram.log."))
        #expect(LogSubjects.leaseKey("a.b") == "ns-612e62")
    }

    @Test func anOperationIsAppliedOnlyFromItsNamespacesSubject() {
        let context = AuditContext(actor: "a", time: Self.time)
        let delete = StoreOperation.deleteNamespace(name: "kb", context: context)
        let uses = StoreOperation.recordUse(namespace: "kb", uses: [])
        #expect(LogApplier.misplaced(delete, on: LogSubjects.writes("kb", stream: "S"), stream: "S") == nil)
        #expect(LogApplier.misplaced(uses, on: LogSubjects.uses("kb", stream: "S"), stream: "S") == nil)
        // A write on the unfenced use subject, or on another namespace's subject, is refused.
        #expect(LogApplier.misplaced(delete, on: LogSubjects.uses("kb", stream: "S"), stream: "S") != nil)
        #expect(LogApplier.misplaced(delete, on: LogSubjects.writes("other", stream: "S"), stream: "S") != nil)
        #expect(LogApplier.misplaced(uses, on: LogSubjects.writes("kb", stream: "S"), stream: "S") != nil)
    }

    @Test func serversParseAndBadSettingsAreRefused() throws {
        #expect(try ReplicationConfiguration.Server(parsing: "nats://10.0.0.2:4333") == .init(host: "10.0.0.2", port: 4333))
        #expect(try ReplicationConfiguration.Server(parsing: "nats-a") == .init(host: "nats-a", port: 4222))
        for bad in ["", "nats://", "host:0", "host:99999", "host:x", "a b:1", "nats:///x"] {
            #expect(throws: ReplicationError.self, "\(bad)") { try ReplicationConfiguration.Server(parsing: bad) }
        }
        var configuration = ReplicationConfiguration(nodeID: "node-1", servers: [.init(host: "127.0.0.1", port: 4222)])
        try configuration.validate()
        for change: (inout ReplicationConfiguration) -> Void in [
            { $0.nodeID = "" }, { $0.nodeID = "a.b" }, { $0.nodeID = String(repeating: "n", count: 65) },
            { $0.stream = "a b" }, { $0.servers = [] }, { $0.replicas = 0 }, { $0.leaseSeconds = 0.5 },
            { $0.applyTimeoutSeconds = 0 }, { $0.snapshotEvery = -1 },
        ] {
            var bad = configuration
            change(&bad)
            #expect(throws: ReplicationError.self) { try bad.validate() }
        }
        configuration.replicas = 1
        try configuration.validate()
    }

    @Test func forwardedRequestsAndAnswersSurviveTheirNATSForm() throws {
        let request = ForwardedRequest(method: "PATCH", target: "/v1/namespaces/a/memories/3?x=1",
                                       headers: [("Content-Type", "application/json"), ("Engram-Peer-Credentials", "uid=1")],
                                       body: Array("{\"text\":\"t\"}".utf8))
        let message = NATSMessage(subject: "s", headers: request.natsHeaders, payload: request.body)
        #expect(ForwardedRequest(message) == request)
        // A message without a method or with a target that is not a path is refused.
        #expect(ForwardedRequest(NATSMessage(subject: "s", payload: [])) == nil)
        var headers = request.natsHeaders
        headers = NATSHeaders(headers.fields.map { $0.name == ForwardedRequest.targetHeader ? ($0.name, "http://x/") : $0 })
        #expect(ForwardedRequest(NATSMessage(subject: "s", headers: headers, payload: [])) == nil)

        let answer = ForwardedResponse(status: 201, headers: [("Engram-Log-Sequence", "12")], body: [1, 2, 3])
        let decoded = try ForwardedResponse(NATSMessage(subject: "r", headers: answer.natsHeaders, payload: answer.body))
        #expect(decoded.status == 201 && decoded.body == [1, 2, 3] && decoded.headers.first?.value == "12")
        #expect(throws: NATSError.self) { try ForwardedResponse(NATSMessage(subject: "r", payload: [])) }
    }
}

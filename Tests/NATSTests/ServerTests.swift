import Foundation
@testable import NATS
import Testing

/// A `nats-server` of this test's own (JetStream on, store in a temporary directory, a free
/// local port), stopped when the test ends.
final class LocalNATSServer: @unchecked Sendable {
    // @unchecked: set once in init, then only read; `process` is only terminated in deinit.
    static let executable: String? = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether the suites that start servers run: `make test-nats` (part of `make test`) sets
    /// ENGRAM_NATS_TESTS=1 and runs them in a `swift test` of their own. Starting processes from
    /// the test process while other suites open and close stores would let a child, between its
    /// fork and its exec, hold a copy of a store's `flock` descriptor for a moment, and a test
    /// that reopens its store at once would find it locked.
    static let enabled = executable != nil && ProcessInfo.processInfo.environment["ENGRAM_NATS_TESTS"] == "1"

    /// Timeouts in these tests only bound a hang; they are never what a test measures.
    static let patience = Duration.seconds(60)

    let process = Process()
    let directory: String
    let port: Int

    /// - Parameters:
    ///   - port: the client port (a free one when nil).
    ///   - arguments: more `nats-server` options (a cluster's).
    init(port: Int? = nil, arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.path + "/nats-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.port = try port ?? Self.freePort()
        process.executableURL = URL(fileURLWithPath: Self.executable!)
        process.arguments = ["-a", "127.0.0.1", "-p", String(self.port), "-js", "-sd", directory] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Kills the server at once (SIGKILL), as a machine that dies would.
    func kill() {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Connects, retrying while the server starts (up to a minute: a loaded machine is slow).
    func connect() async throws -> NATSConnection {
        var lastError: (any Error)?
        for _ in 0..<600 {
            do {
                return try await NATSConnection.connect(host: "127.0.0.1", port: port, timeout: Self.patience)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw lastError!
    }

    /// A port nobody listens on now (the kernel's choice for a socket bound to port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NATSError.invalidArgument("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw NATSError.invalidArgument("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

@Suite("NATS client against a real nats-server", .enabled(if: LocalNATSServer.enabled))
struct ServerTests {
    @Test("publish and subscribe, with and without headers, in order")
    func publishSubscribe() async throws {
        let server = try LocalNATSServer()
        let connection = try await server.connect()
        #expect(connection.serverInfo?.jetStream == true)
        let subscription = try await connection.subscribe("engram.test.>")
        try await connection.flush(timeout: LocalNATSServer.patience)
        try await connection.publish("engram.test.a", payload: Array("one".utf8))
        try await connection.publish("engram.test.b", payload: Array("two".utf8), headers: NATSHeaders([("X-Kind", "second")]))
        try await connection.publish("engram.test.c", payload: [])
        var received: [NATSMessage] = []
        for try await message in subscription {
            received.append(message)
            if received.count == 3 { break }
        }
        #expect(received.map(\.subject) == ["engram.test.a", "engram.test.b", "engram.test.c"])
        #expect(received.map { String(decoding: $0.payload, as: UTF8.self) } == ["one", "two", ""])
        #expect(received[1].headers["x-kind"] == "second" && received[0].headers.isEmpty)
        await #expect(throws: NATSError.self) { try await connection.publish("bad subject", payload: []) }
        await #expect(throws: NATSError.self) { try await connection.publish("a\r\nPUB b 0", payload: []) }
        await connection.close()
    }

    @Test("request and reply; no responders is an error, not a hang")
    func requestReply() async throws {
        let server = try LocalNATSServer()
        let responder = try await server.connect()
        let client = try await server.connect()
        let requests = try await responder.subscribe("engram.echo")
        try await responder.flush(timeout: LocalNATSServer.patience)
        let serving = Task {
            for try await request in requests {
                guard let replyTo = request.replyTo else { continue }
                try await responder.publish(replyTo, payload: Array("echo: ".utf8) + request.payload)
            }
        }
        for i in 0..<20 {
            let reply = try await client.request("engram.echo", payload: Array("\(i)".utf8), timeout: LocalNATSServer.patience)
            #expect(String(decoding: reply.payload, as: UTF8.self) == "echo: \(i)")
        }
        await #expect(throws: NATSError.noResponders("engram.nobody")) {
            _ = try await client.request("engram.nobody", payload: [])
        }
        serving.cancel()
        await client.close()
        await responder.close()
    }

    @Test("JetStream: acknowledged publishes, de-duplication by id, the expected-sequence fence")
    func jetStream() async throws {
        let server = try LocalNATSServer()
        let connection = try await server.connect()
        let js = JetStream(connection, timeout: LocalNATSServer.patience)
        try await js.createStream(.init(name: "ENGRAM", subjects: ["engram.ns.>"], storage: .file))
        try await js.createStream(.init(name: "ENGRAM", subjects: ["engram.ns.>"], storage: .file))  // idempotent

        let first = try await js.publish("engram.ns.kb", payload: Array("w1".utf8), messageID: "w1", expectedLastSubjectSequence: 0)
        #expect(first.stream == "ENGRAM" && first.sequence == 1 && !first.duplicate)
        let repeated = try await js.publish("engram.ns.kb", payload: Array("w1".utf8), messageID: "w1")
        #expect(repeated.sequence == 1 && repeated.duplicate, "a retried write is stored once")
        let second = try await js.publish("engram.ns.kb", payload: Array("w2".utf8), messageID: "w2", expectedLastSubjectSequence: 1)
        #expect(second.sequence == 2)
        // A writer that has not seen sequence 2 cannot append: the stream refuses it.
        do {
            _ = try await js.publish("engram.ns.kb", payload: Array("stale".utf8), messageID: "w3", expectedLastSubjectSequence: 1)
            Issue.record("a stale writer appended")
        } catch let NATSError.jetStream(_, errorCode, _) {
            #expect(errorCode == 10071)
        }
        // Other subjects have their own sequence fence.
        let other = try await js.publish("engram.ns.other", payload: [], expectedLastSubjectSequence: 0)
        #expect(other.sequence == 3)
        await #expect(throws: NATSError.noResponders("nowhere.kb")) {
            _ = try await js.publish("nowhere.kb", payload: [])
        }
        try await js.deleteStream("ENGRAM")
        await connection.close()
    }

    @Test("a closed connection fails calls and ends subscriptions")
    func closing() async throws {
        let server = try LocalNATSServer()
        let connection = try await server.connect()
        let subscription = try await connection.subscribe("x")
        await connection.close()
        var iterator = subscription.makeAsyncIterator()
        do {
            let next = try await iterator.next()
            #expect(next == nil)
        } catch {
            #expect(error is NATSError)
        }
        await #expect(throws: NATSError.connectionClosed) { try await connection.publish("x", payload: []) }
    }
}

extension ServerTests {
    @Test("a durable pull consumer delivers each message until acknowledged, and resumes after a reconnect")
    func pullConsumer() async throws {
        let server = try LocalNATSServer()
        var connection = try await server.connect()
        var js = JetStream(connection, timeout: LocalNATSServer.patience)
        try await js.createStream(.init(name: "LOG", subjects: ["log.>"]))
        for i in 1...5 { _ = try await js.publish("log.kb", payload: Array("write \(i)".utf8)) }
        _ = try await js.publish("log.other", payload: Array("elsewhere".utf8))
        try await js.createPullConsumer(stream: "LOG", durable: "node1", filterSubject: "log.kb")

        let first = try await js.fetch(stream: "LOG", durable: "node1", batch: 3)
        #expect(first.map(\.streamSequence) == [1, 2, 3])
        #expect(first.map { String(decoding: $0.message.payload, as: UTF8.self) } == ["write 1", "write 2", "write 3"])
        #expect(first.last?.pending == 2)
        for message in first { try await js.acknowledge(message) }

        // A restarted node resumes after what it acknowledged.
        await connection.close()
        connection = try await server.connect()
        js = JetStream(connection, timeout: LocalNATSServer.patience)
        let rest = try await js.fetch(stream: "LOG", durable: "node1", batch: 10, wait: .milliseconds(500))
        #expect(rest.map(\.streamSequence) == [4, 5])
        for message in rest { try await js.acknowledge(message) }
        #expect(try await js.fetch(stream: "LOG", durable: "node1", batch: 10, wait: .milliseconds(200)).isEmpty)
        await #expect(throws: NATSError.self) { _ = try await js.fetch(stream: "LOG", durable: "node1", batch: 0) }
        await connection.close()
    }

    @Test("a key-value bucket: create-if-absent, compare-and-set, delete")
    func keyValue() async throws {
        let server = try LocalNATSServer()
        let connection = try await server.connect()
        let js = JetStream(connection, timeout: LocalNATSServer.patience)
        let leases = try await KeyValueBucket.create("leases", in: js, ttl: .seconds(3600))
        #expect(try await leases.get("kb") == nil)
        let taken = try await leases.update("kb", Array("node1".utf8), expectedRevision: 0)
        // A second node racing for the same lease loses.
        do {
            try await leases.update("kb", Array("node2".utf8), expectedRevision: 0)
            Issue.record("two owners of one lease")
        } catch let NATSError.jetStream(_, errorCode, _) {
            #expect(errorCode == 10071)
        }
        #expect(try await leases.get("kb") == KeyValueBucket.Entry(value: Array("node1".utf8), revision: taken))
        let renewed = try await leases.update("kb", Array("node1".utf8), expectedRevision: taken)
        #expect(renewed > taken)
        try await leases.put("other", [1, 2, 3])
        try await leases.delete("kb")
        #expect(try await leases.get("kb") == nil)
        #expect(try await leases.get("other")?.value == [1, 2, 3])
        await #expect(throws: NATSError.self) { _ = try await leases.get("bad key") }
        await #expect(throws: NATSError.self) { _ = try await KeyValueBucket.create("a.b", in: js) }
        await connection.close()
    }
}

extension ServerTests {
    @Test("an object store keeps a multi-chunk snapshot and replaces it whole")
    func objectStore() async throws {
        let server = try LocalNATSServer()
        let connection = try await server.connect()
        let js = JetStream(connection, timeout: LocalNATSServer.patience)
        let snapshots = try await ObjectStoreBucket.create("snapshots", in: js)
        #expect(try await snapshots.get("kb") == nil)
        // Three and a half chunks of patterned bytes, so a reordered or lost chunk shows.
        let first = (0..<(ObjectStoreBucket.chunkSize * 7 / 2)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let info = try await snapshots.put("kb", first, headers: ["sequence": "41"])
        #expect(info.chunks == 4 && info.size == first.count)
        let read = try #require(try await snapshots.get("kb"))
        #expect(read.data == first && read.info.headers?["sequence"] == "41")

        let second = Array("a small snapshot".utf8)
        try await snapshots.put("kb", second, headers: ["sequence": "99"])
        let replaced = try #require(try await snapshots.get("kb"))
        #expect(replaced.data == second && replaced.info.headers?["sequence"] == "99")
        try await snapshots.put("empty", [])
        #expect(try await snapshots.get("empty")?.data == [])
        await connection.close()
    }
}

extension ServerTests {
    @Test("a request nobody answers times out, and the connection goes on")
    func requestTimeout() async throws {
        let server = try LocalNATSServer()
        let connection = try await server.connect()
        // Subscribed but silent: the server sees a responder, so only the timeout ends the wait.
        let silent = try await connection.subscribe("engram.silent")
        try await connection.flush(timeout: LocalNATSServer.patience)
        await #expect(throws: NATSError.timeout("no reply on engram.silent")) {
            _ = try await connection.request("engram.silent", payload: [], timeout: .milliseconds(200))
        }
        try await connection.flush(timeout: LocalNATSServer.patience)
        await #expect(throws: NATSError.noResponders("engram.nobody")) {
            _ = try await connection.request("engram.nobody", payload: [], timeout: LocalNATSServer.patience)
        }
        try await silent.unsubscribe()
        await connection.close()
    }
}

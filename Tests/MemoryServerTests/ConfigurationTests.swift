import EngramService
import Foundation
import Logging
import MemoryServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shippedFile = repositoryRoot.appendingPathComponent("config/engramd.toml").path

    @Test("config/engramd.toml documents every key with exactly the built-in defaults")
    func shippedFileMatchesDefaults() throws {
        let loaded = try ServerConfiguration.load(file: Self.shippedFile, environment: [:])
        #expect(loaded == ServerConfiguration())
        let text = try String(contentsOfFile: Self.shippedFile, encoding: .utf8)
        for setting in ServerConfiguration.settings {
            #expect(text.contains("\n\(setting.key) = "), "config/engramd.toml lacks \(setting.path)")
            #expect(text.contains(setting.environment), "config/engramd.toml does not document \(setting.environment)")
        }
    }

    @Test("defaults are the documented ones")
    func defaults() {
        let configuration = ServerConfiguration()
        #expect(configuration.socketPath == "./run/engram.sock")
        #expect(configuration.socketMode == 0o660)
        #expect(configuration.allowedUIDs.isEmpty && configuration.allowedGIDs.isEmpty)
        #expect(configuration.tcp == nil)
        #expect(configuration.durability == .sync)
        #expect(configuration.logLevel == .info)
    }

    @Test("a file sets every key")
    func parseFile() throws {
        let configuration = try ServerConfiguration.parse(toml: """
            [server]
            socket = "/tmp/e.sock"
            socket_mode = 0o600
            max_body_bytes = 65536
            log_level = "debug"
            [server.tcp]
            enabled = true
            host = "::1"
            port = 9000
            [storage]
            data_dir = "/var/lib/engram"
            durability = "relaxed"
            [embedding]
            model_dir = "/opt/models/minilm"
            """)
        #expect(configuration.socketPath == "/tmp/e.sock")
        #expect(configuration.socketMode == 0o600)
        #expect(configuration.maxBodyBytes == 65536)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.tcp == .init(host: "::1", port: 9000))
        #expect(configuration.dataDirectory == "/var/lib/engram")
        #expect(configuration.durability == .relaxed)
        #expect(configuration.modelDirectory == "/opt/models/minilm")
    }

    @Test("environment variables override the file")
    func environmentOverrides() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engram-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("engramd.toml").path
        try Data("[server]\nsocket = \"/from/file.sock\"\nlog_level = \"warning\"\n".utf8).write(to: URL(fileURLWithPath: file))
        let configuration = try ServerConfiguration.load(file: file, environment: [
            "ENGRAM_SOCKET": "/from/env.sock",
            "ENGRAM_SOCKET_MODE": "0640",
            "ENGRAM_ALLOWED_UIDS": "1000, 1001",
            "ENGRAM_ALLOWED_GIDS": "50",
            "ENGRAM_DATA_DIR": "/env/data",
            "ENGRAM_MODEL_DIR": "/env/model",
            "ENGRAM_MAX_BODY_BYTES": "8192",
            "ENGRAM_DURABILITY": "relaxed",
            "UNRELATED": "x",
        ])
        #expect(configuration.socketPath == "/from/env.sock")
        #expect(configuration.logLevel == .warning)  // from the file, not overridden
        #expect(configuration.socketMode == 0o640)
        #expect(configuration.allowedUIDs == [1000, 1001])
        #expect(configuration.allowedGIDs == [50])
        #expect(configuration.dataDirectory == "/env/data")
        #expect(configuration.modelDirectory == "/env/model")
        #expect(configuration.maxBodyBytes == 8192)
        #expect(configuration.durability == .relaxed)

        let tcp = try ServerConfiguration.load(file: nil, environment: [
            "ENGRAM_TCP_ENABLED": "true", "ENGRAM_TCP_PORT": "7000", "ENGRAM_LOG_LEVEL": "error",
        ])
        #expect(tcp.tcp == .init(host: "127.0.0.1", port: 7000))
        #expect(tcp.logLevel == .error)
    }

    @Test("--print-config output reads back to the same configuration")
    func renderRoundTrip() throws {
        var configuration = ServerConfiguration()
        configuration.socketPath = "/tmp/with \"quotes\".sock"
        configuration.socketMode = 0o600
        configuration.allowedGIDs = [10, 20]
        configuration.durability = .relaxed
        configuration.logLevel = .trace
        #expect(try ServerConfiguration.parse(toml: configuration.renderTOML()) == configuration)
        var tcp = ServerConfiguration()
        tcp.tcp = .init(host: "127.0.0.2", port: 1234)
        #expect(try ServerConfiguration.parse(toml: tcp.renderTOML()) == tcp)
    }

    @Test("non-loopback TCP addresses are refused", arguments: ["0.0.0.0", "192.168.1.10", "::", "example.com", "10.0.0.1"])
    func nonLoopbackRefused(host: String) throws {
        #expect(!isLoopbackHost(host))
        let error = try #require(throws: ConfigurationError.self) {
            try ServerConfiguration.load(file: nil, environment: ["ENGRAM_TCP_ENABLED": "1", "ENGRAM_TCP_HOST": host])
        }
        #expect(error.description.contains("loopback"))
    }

    @Test("loopback addresses are accepted", arguments: ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
    func loopbackAccepted(host: String) {
        #expect(isLoopbackHost(host))
    }

    @Test("validation errors name the key and say what is wrong")
    func validationErrors() throws {
        func failure(_ toml: String) throws -> String {
            try #require(throws: ConfigurationError.self) { try ServerConfiguration.parse(toml: toml) }.description
        }
        #expect(try failure("[server]\nsockt = \"x\"").contains("unknown configuration key 'server.sockt'"))
        #expect(try failure("[serverr]\nsocket = \"x\"").contains("'serverr'"))
        #expect(try failure("[server]\nsocket_mode = 0o400").contains("owner read and write"))
        #expect(try failure("[server]\nsocket_mode = 0o1777").contains("between 0o000 and 0o777"))
        #expect(try failure("[server]\nsocket = 5").contains("expected a string"))
        #expect(try failure("[server]\nlog_level = \"loud\"").contains("'loud' is not one of"))
        #expect(try failure("[storage]\ndurability = \"maybe\"").contains("sync, relaxed"))
        #expect(try failure("[server]\nmax_body_bytes = 10").contains("outside"))
        #expect(try failure("[server]\nsocket = \"\(String(repeating: "a", count: 120))\"").contains("at most 107"))
        #expect(try failure("[server]\nallowed_uids = [-1]").contains("allowed_uids"))
        #expect(try failure("[server.tcp]\nport = 0\nenabled = true").contains("not a TCP port"))
        #expect(try failure("[server]\nallowed_uids = [1000]\n[server.tcp]\nenabled = true").contains("cannot be combined"))
        #expect(try failure("[server\nsocket = 1").contains("not valid TOML"))

        // Every problem is reported, not just the first.
        let many = try failure("[server]\nsocket_mode = 0o400\nlog_level = \"loud\"\nbogus = 1")
        #expect(many.contains("owner read and write") && many.contains("loud") && many.contains("bogus"))

        let environment = try #require(throws: ConfigurationError.self) {
            try ServerConfiguration.load(file: nil, environment: ["ENGRAM_SOCKET_MODE": "rw", "ENGRAM_MAX_BODY_BYTES": "lots"])
        }.description
        #expect(environment.contains("ENGRAM_SOCKET_MODE") && environment.contains("ENGRAM_MAX_BODY_BYTES"))

        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.load(file: "/nonexistent/engramd.toml", environment: [:])
        }
    }
}

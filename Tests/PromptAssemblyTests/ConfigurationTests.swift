import EngramService
import Foundation
import Testing
@testable import PromptAssembly

@Suite struct ConfigurationTests {
    /// The shipped, documented file states exactly the built-in defaults.
    @Test func shippedFileEqualsDefaults() throws {
        let configuration = try PromptConfiguration.load(file: "\(packageRoot)/config/engram-prompt.toml", environment: [:])
        #expect(configuration == PromptConfiguration())
    }

    /// Every key of the table appears in the shipped file with its environment variable.
    @Test func everyKeyIsDocumented() throws {
        let text = try String(contentsOfFile: "\(packageRoot)/config/engram-prompt.toml", encoding: .utf8)
        for setting in PromptConfiguration.settings {
            #expect(text.contains("\n\(setting.key) = "), "\(setting.path) missing")
            #expect(text.contains(setting.environment), "\(setting.environment) missing")
        }
    }

    @Test func environmentOverridesFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/c.toml"
        try """
            [prompt]
            k = 3
            token_budget = 50
            [learning]
            enabled = true
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try PromptConfiguration.load(file: file, environment: [
            "ENGRAM_PROMPT_K": "5", "ENGRAM_PROMPT_SOCKET_MODE": "0640", "ENGRAM_PROMPT_CHAT_INJECTION": "prepend",
            "ENGRAM_PROMPT_UPSTREAM_API_KEY": "sk-test", "ENGRAM_PROMPT_BYTES_PER_TOKEN": "3.5",
        ])
        #expect(configuration.k == 5)
        #expect(configuration.tokenBudget == 50)
        #expect(configuration.learningEnabled)
        #expect(configuration.socketMode == 0o640)
        #expect(configuration.chatInjection == .prepend)
        #expect(configuration.upstreamAPIKey == "sk-test")
        #expect(configuration.bytesPerToken == 3.5)
    }

    @Test func problemsAreAllReported() {
        #expect {
            _ = try PromptConfiguration.parse(toml: """
                [prompt]
                k = 0
                tokn_budget = 5
                [server.tcp]
                enabled = true
                host = "0.0.0.0"
                [upstream]
                base_url = "ftp://x"
                """)
        } throws: { error in
            guard case .multiple(let problems) = error as? ConfigurationError else { return false }
            let text = problems.map(\.description).joined(separator: "\n")
            return problems.count == 4 && text.contains("prompt.k") && text.contains("prompt.tokn_budget")
                && text.contains("server.tcp.host") && text.contains("upstream.base_url")
        }
        #expect(throws: ConfigurationError.invalidValue(key: "ENGRAM_PROMPT_LEARNING_ENABLED",
                                                                message: "expected true or false, got 'maybe'")) {
            _ = try PromptConfiguration.load(file: nil, environment: ["ENGRAM_PROMPT_LEARNING_ENABLED": "maybe"])
        }
    }

    /// `--print-config` output reads back to the same configuration; the API key is redacted.
    @Test func printedConfigurationRoundTrips() throws {
        var configuration = PromptConfiguration()
        configuration.k = 11
        configuration.socketMode = 0o600
        configuration.chatInjectionName = "prepend"
        configuration.upstreamBaseURL = "http://localhost:11434/v1"
        configuration.duplicateThreshold = 0.75
        #expect(try PromptConfiguration.parse(toml: configuration.renderTOML()) == configuration)
        configuration.upstreamAPIKey = "sk-secret"
        #expect(!configuration.renderTOML().contains("sk-secret"))
    }
}

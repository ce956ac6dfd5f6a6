import EngramAPI
import EngramService
import Foundation

extension PromptConfiguration {
    /// Checks that need more than one key or more than a range: socket paths, the loopback
    /// rule, the upstream URL, template names.
    public func validationProblems() -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        func invalid(_ key: String, _ message: String) { problems.append(.invalidValue(key: key, message: message)) }
        for (key, path) in [("server.socket", socketPath), ("daemon.socket", daemonSocket)] {
            if path.isEmpty || path.utf8.count > 107 || path.contains("\0") {
                invalid(key, "a socket path must be 1–107 bytes without NUL, got '\(path)'")
            }
        }
        if socketPath == daemonSocket { invalid("server.socket", "must differ from daemon.socket") }
        if socketMode & 0o600 != 0o600 { invalid("server.socket_mode", "must include owner read/write (0o600)") }
        if tcpEnabled, !isLoopbackHost(tcpHost) {
            invalid("server.tcp.host", "only loopback addresses (127.0.0.0/8, ::1, localhost) are accepted, got '\(tcpHost)'")
        }
        if let url = URL(string: upstreamBaseURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
           url.host != nil {
            // usable
        } else {
            invalid("upstream.base_url", "expected an http(s) URL such as http://127.0.0.1:8080/v1, got '\(upstreamBaseURL)'")
        }
        for (key, name) in [("prompt.template", defaultTemplate), ("prompt.system_template", systemTemplate),
                            ("learning.template", learningTemplate)] where !TemplateSet.isValidName(name) {
            invalid(key, "a template name is 1–64 of [A-Za-z0-9_-], got '\(name)'")
        }
        if daemonActor.isEmpty || daemonActor.utf8.count > 128 { invalid("daemon.actor", "must be 1–128 bytes") }
        if !chatNamespaceTemplate.isEmpty {
            let sample = chatNamespaceTemplate.replacingOccurrences(of: "{user}", with: "u")
            if !chatNamespaceTemplate.contains("{user}") || !PlainName.isValid(sample) {
                invalid("chat.namespace_template", "expected a namespace name with {user} in it, such as user-{user}, got '\(chatNamespaceTemplate)'")
            }
        }
        if !PlainName.isValid(chatDefaultNamespace) {
            invalid("chat.default_namespace", "a namespace name is 1–128 of [A-Za-z0-9._-], got '\(chatDefaultNamespace)'")
        }
        return problems
    }
}

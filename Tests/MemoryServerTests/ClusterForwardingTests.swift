@testable import MemoryServer
import Testing

/// What a cluster node answers when another node forwards it a request: writes of namespaces
/// only (the middleware forwards nothing else; anything else on the subject is refused).
@Suite struct ClusterForwardingTests {
    @Test(arguments: [
        ("POST", "/v1/namespaces/kb/memories", true), ("PATCH", "/v1/namespaces/kb/memories/3?x=1", true),
        ("DELETE", "/v1/namespaces/kb", true), ("PUT", "/v1/namespaces/kb", true), ("POST", "/v1/admin/import", true),
        ("GET", "/v1/namespaces/kb/memories", false), ("POST", "/v1/admin/rebuild", false), ("POST", "/v1/admin/backup", false),
        ("POST", "/v1/cluster/snapshot", false), ("POST", "/v1/namespaces/../admin/backup", false), ("HEAD", "/v1/namespaces/kb", false),
    ])
    func onlyWritesOfNamespacesAreAnswered(method: String, target: String, answered: Bool) {
        #expect(ForwardedRequestResponder.isWrite(method: method, target: target) == answered)
    }

    @Test func onlyNamespaceNamesAreRouted() {
        #expect(ClusterMiddleware.validName("kb.notes_1-a") == "kb.notes_1-a")
        for bad in ["", String(repeating: "n", count: 129), "a b", "a/b", "é", "a\u{0}"] {
            #expect(ClusterMiddleware.validName(bad) == nil, "\(bad)")
        }
    }
}

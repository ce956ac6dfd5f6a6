#if canImport(Glibc)
import Glibc
#endif
import EngramTestSupport
import Foundation
import MemoryEngine

/// Runs engramd in process over a fresh store (``withTestDaemon``), runs `body` with a raw
/// client of its socket and its engine, then shuts down gracefully.
/// - Returns: the engine, for checks after shutdown (its store stays open until released).
@discardableResult
func withMemoryServer(engineConfiguration: EngineConfiguration = EngineConfiguration(),
                      _ body: (UnixHTTPClient, MemoryEngine) async throws -> Void) async throws -> MemoryEngine {
    try await withTestDaemon(engineConfiguration: engineConfiguration) { daemon in
        try await body(UnixHTTPClient(socketPath: daemon.socketPath), daemon.engine)
        return daemon.engine
    }
}

extension HTTPTestClient {
    /// Sends `json` (text) as the body.
    func sendJSON(_ method: String, _ path: String, json: String) async throws -> UnixHTTPClient.Response {
        try await request(method, path, body: Array(json.utf8), headers: [("Content-Type", "application/json")])
    }

    /// Creates namespace `name` with the test embedder's dimension; fails the test otherwise.
    func createNamespace(_ name: String) async throws {
        let response = try await sendJSON("PUT", "/v1/namespaces/\(name)", json: #"{"dimension": 32}"#)
        guard response.status == 201 else {
            throw UnixHTTPClient.ClientError(description: "creating \(name): \(response.status) \(response.text)")
        }
    }

    /// Remembers `text` in `namespace`; returns the new entry's id and the write's sequence.
    func remember(_ text: String, in namespace: String) async throws -> (id: Int, sequence: Int) {
        let response = try await sendJSON("POST", "/v1/namespaces/\(namespace)/memories", json: #"{"text": "\#(text)"}"#)
        guard response.status == 201, let json = response.json, let sequence = json["sequence"] as? Int,
              let id = (json["entry"] as? [String: Any])?["id"] as? Int else {
            throw UnixHTTPClient.ClientError(description: "remember: \(response.status) \(response.text)")
        }
        return (id, sequence)
    }
}

extension UnixHTTPClient.Response {
    /// `entry` of a write outcome.
    var entry: [String: Any]? { json?["entry"] as? [String: Any] }
    /// Entry ids of a search response's `hits`, in order.
    var hitIDs: [Int] {
        ((json?["hits"] as? [[String: Any]]) ?? []).compactMap { ($0["entry"] as? [String: Any])?["id"] as? Int }
    }
}

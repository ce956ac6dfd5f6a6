import EngramAPI
import Foundation
import MCP
import MemoryClient

/// The resources `engram mcp` offers, read-only views a host can attach to a conversation:
/// - `engram://namespaces/{namespace}/recent`: the namespace's most recently updated entries
///   (a page of ``recentCount``), one listed per namespace;
/// - `engram://namespaces/{namespace}/memories/{id}/history`: one entry's audit events.
///
/// Contents are the API's JSON documents. A URI is parsed strictly (the namespace checked as
/// the API names them, the id a whole number), so a made-up URI is an invalid-params error,
/// never a request built from it.
enum MemoryResources {
    static let recentCount = 20
    static let scheme = "engram://namespaces/"

    static let templates: [Resource.Template] = [
        Resource.Template(uriTemplate: "engram://namespaces/{namespace}/recent", name: "recent memories",
                          description: "The \(recentCount) most recently updated memories of a namespace.",
                          mimeType: "application/json"),
        Resource.Template(uriTemplate: "engram://namespaces/{namespace}/memories/{id}/history", name: "memory history",
                          description: "Who created, edited, reinforced or forgot a memory, when and why.",
                          mimeType: "application/json"),
    ]

    /// One `recent` resource per namespace.
    static func list(_ client: MemoryClient) async throws(MemoryClientError) -> [Resource] {
        try await client.namespaces().map { namespace in
            Resource(name: "recent memories of \(namespace.name)", uri: "\(scheme)\(namespace.name)/recent",
                     description: "The \(recentCount) most recently updated of its \(namespace.entryCount) memories.",
                     mimeType: "application/json")
        }
    }

    /// What a resource URI names.
    enum Target: Equatable {
        case recent(namespace: String)
        case history(namespace: String, id: UInt64)
    }

    /// Parses `uri`; `nil` for anything that is not one of the two forms.
    static func target(_ uri: String) -> Target? {
        guard uri.hasPrefix(scheme) else { return nil }
        let parts = uri.dropFirst(scheme.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let namespace = parts.first, PlainName.isValid(namespace) else { return nil }
        if parts.count == 2, parts[1] == "recent" { return .recent(namespace: namespace) }
        if parts.count == 4, parts[1] == "memories", parts[3] == "history",
           parts[2].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let id = UInt64(parts[2]), id > 0 {
            return .history(namespace: namespace, id: id)
        }
        return nil
    }

    /// The JSON document `target` names.
    static func read(_ target: Target, client: MemoryClient) async throws(MemoryClientError) -> Data {
        let document: any Encodable
        switch target {
        case .recent(let namespace): document = try await client.list(in: namespace, limit: recentCount, order: .updated)
        case .history(let namespace, let id): document = try await client.history(id, in: namespace)
        }
        do {
            return try WireJSON.encoder().encode(document)
        } catch {
            throw .invalidResponse("cannot encode the document: \(error)")
        }
    }
}

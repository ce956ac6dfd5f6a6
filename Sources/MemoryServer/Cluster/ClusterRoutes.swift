import EngramAPI
import Foundation
import Hummingbird
import MemoryEngine
import Replication

/// `GET /v1/cluster`: this node's view of the deployment; `POST /v1/cluster/snapshot`: store
/// a snapshot now (a new node starts from the latest).
enum ClusterRoutes {
    struct Status: Encodable {
        var nodeID: String
        var connected: Bool
        var appliedSequence: UInt64
        var stream: String
        var ownedNamespaces: [String]
        var applyHalted: String?

        enum CodingKeys: String, CodingKey {
            case nodeID = "node_id", connected, appliedSequence = "applied_sequence", stream
            case ownedNamespaces = "owned_namespaces", applyHalted = "apply_halted"
        }
    }

    struct Snapshot: Encodable {
        var sequence: UInt64
    }

    static func install(on router: Router<EngramRequestContext>, environment: ServerEnvironment, node: ReplicationNode) {
        router.get("/v1/cluster") { _, _ -> Response in
            try RouteSupport.json(Status(nodeID: node.configuration.nodeID, connected: node.isConnected,
                                         appliedSequence: node.applier.appliedSequence, stream: node.configuration.stream,
                                         ownedNamespaces: node.ownedNamespaces.sorted(), applyHalted: node.applier.haltReason))
        }
        router.post("/v1/cluster/snapshot") { _, _ -> Response in
            do {
                return try RouteSupport.json(Snapshot(sequence: try await node.takeSnapshot()))
            } catch let error as EngineError {
                throw RouteSupport.apiError(for: error)
            } catch {
                throw RouteSupport.apiError(for: .unavailable("cannot store a snapshot: \(error)"))
            }
        }
    }
}

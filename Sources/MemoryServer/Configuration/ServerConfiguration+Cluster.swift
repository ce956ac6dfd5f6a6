public import Replication

extension ServerConfiguration {
    /// The replication settings, or `nil` when the daemon runs on one machine (no
    /// `cluster.node_id`).
    /// - Throws: ``ReplicationError/invalidConfiguration(_:)`` for a bad value.
    public func replication() throws -> ReplicationConfiguration? {
        guard !clusterNodeID.isEmpty else { return nil }
        var configuration = ReplicationConfiguration(nodeID: clusterNodeID,
                                                     servers: try clusterServers.map(ReplicationConfiguration.Server.init(parsing:)))
        configuration.stream = clusterStream
        configuration.replicas = clusterReplicas
        configuration.leaseSeconds = clusterLeaseSeconds
        configuration.applyTimeoutSeconds = clusterApplyTimeoutSeconds
        configuration.snapshotEvery = clusterSnapshotEvery
        try configuration.validate()
        return configuration
    }
}

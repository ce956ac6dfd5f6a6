import HNSW
import MemoryStore

/// Namespaces: each owns its entries, its HNSW graph, a fixed dimension and metric.
extension MemoryEngine {
    /// Creates a namespace, or returns the existing one when its configuration is the same
    /// (idempotent, like `PUT /v1/namespaces/{ns}`). Vectors of a namespace whose dimension
    /// is the embedder's are taken to come from the embedder (text requests are accepted);
    /// other namespaces need vectors from the caller.
    /// - Throws: `invalid_argument` (name, dimension 1…65536, HNSW parameters, lexical and
    ///   search settings), `conflict`
    ///   (exists with another configuration).
    @discardableResult
    public func createNamespace(_ name: String, _ request: NamespaceRequest = NamespaceRequest()) throws(EngineError) -> NamespaceStats {
        try Self.validateNamespaceName(name)
        let dimension = request.dimension ?? embedder.dimension
        guard (1...65_536).contains(dimension) else { throw .invalidArgument("dimension must be in 1…65536, got \(dimension)") }
        do {
            try request.parameters.validate()
        } catch {
            throw .invalidArgument(error.description)
        }
        if let problem = request.lexical.problem ?? request.search.problem ?? request.learning.problem { throw .invalidArgument(problem) }
        var parameters = request.parameters
        if !request.quantizationGiven, let existing = store.namespaceConfig(name) {
            parameters.quantization = existing.parameters.quantization
        }
        let config = NamespaceConfig(name: name, dimension: dimension, metric: request.metric, parameters: parameters,
                                     embedderID: dimension == embedder.dimension ? embedder.identifier : nil,
                                     createdAt: clock(), lexical: request.lexical, search: request.search,
                                     learning: request.learning)
        return try exclusive {
            if store.namespaceConfig(name) == nil {
                try ensureNamespace(config)
            } else {
                _ = try write(.createNamespace(config))  // idempotent, or `namespaceConflict`
            }
            guard let info = store.namespace(name) else { throw EngineError.namespaceNotFound("namespace \"\(name)\" vanished") }
            return NamespaceStats(info)
        }
    }

    /// Every namespace with its figures, by name. O(namespaces).
    public func namespaces() -> [NamespaceStats] {
        store.namespaces().map(NamespaceStats.init)
    }

    /// One namespace's figures. - Throws: `namespace_not_found`. O(1).
    public func namespace(_ name: String) throws(EngineError) -> NamespaceStats {
        try Self.validateNamespaceName(name)
        guard let info = store.namespace(name) else { throw .namespaceNotFound("namespace \"\(name)\" does not exist") }
        return NamespaceStats(info)
    }

    /// Deletes a namespace with all its entries (each gets a `deleted` event). Destructive, so
    /// it requires `confirm: true`.
    /// - Returns: the sequence of the last event written, `nil` if the namespace was empty.
    /// - Throws: `invalid_argument` without confirmation, `namespace_not_found`,
    ///   `payload_too_large` when the namespace is too large for one transaction.
    @discardableResult
    public func deleteNamespace(_ name: String, confirm: Bool, actor: String = "user",
                                reason: String? = nil) throws(EngineError) -> UInt64? {
        guard confirm else { throw .invalidArgument("deleting namespace \"\(name)\" needs confirmation (confirm=true)") }
        _ = try existingNamespace(name)
        let context = context(actor: actor, reason: reason)
        return try exclusive {
            guard case .namespaceDeleted(let sequence) = try write(.deleteNamespace(name: name, context: context)) else {
                throw EngineError.internalError("deleting namespace \"\(name)\" returned another outcome")
            }
            return sequence
        }
    }
}

extension MemoryEngine {
    /// The dimension of `name`'s vectors, without the index figures ``namespace(_:)`` gathers
    /// (which take the index's lock). O(1).
    /// - Throws: `invalid_argument` (bad name), `namespace_not_found`.
    public func dimension(of name: String) throws(EngineError) -> Int {
        try existingNamespace(name).dimension
    }
}

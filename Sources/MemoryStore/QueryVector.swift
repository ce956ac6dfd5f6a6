/// Why a vector cannot be stored in, or searched for in, a namespace.
public enum VectorProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not the namespace's dimension.
    case dimension(namespace: String, expected: Int, actual: Int)
    /// A component is NaN or infinite.
    case nonFinite(component: Int)
    /// All zeros under cosine: no direction to compare.
    case zeroUnderCosine

    /// Checks `vector` against `config`. O(dimension).
    public static func check(_ vector: [Float], for config: NamespaceConfig) throws(VectorProblem) {
        guard vector.count == config.dimension else {
            throw .dimension(namespace: config.name, expected: config.dimension, actual: vector.count)
        }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(component: bad) }
        if config.metric == .cosine && vector.allSatisfy({ $0 == 0 }) { throw .zeroUnderCosine }
    }

    public var description: String {
        switch self {
        case .dimension(let namespace, let expected, let actual):
            "namespace \"\(namespace)\" has dimension \(expected), the vector has \(actual)"
        case .nonFinite(let component): "component \(component) is NaN or infinite"
        case .zeroUnderCosine: "a zero vector has no direction under the cosine metric"
        }
    }
}

/// A query vector checked against one namespace (``VectorProblem/check(_:for:)``).
///
/// ``MemoryStore/search(_:k:ef:filter:)`` takes only these, so a query is checked once, where
/// it enters (the engine), rather than again by every layer it passes through; the index keeps
/// only its O(1) dimension guard and the squared norm it computes for the search anyway.
public struct QueryVector: Sendable {
    public let values: [Float]
    /// The namespace it was checked for.
    public let namespace: String

    /// - Throws: the ``VectorProblem`` that makes `values` unusable in `config`'s namespace.
    public init(_ values: [Float], for config: NamespaceConfig) throws(VectorProblem) {
        try VectorProblem.check(values, for: config)
        self.values = values
        namespace = config.name
    }
}

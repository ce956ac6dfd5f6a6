import Synchronization

/// A thread-safe least-recently-used map from text to embedding, for query texts that repeat
/// (the same search sent again, a prompt template's fixed parts). O(1) lookup, insertion and
/// eviction: a hash map into a doubly linked list kept in one array (no per-entry objects).
///
/// All state sits behind one `Mutex`; the critical sections are a hash lookup and a few
/// index updates, far shorter than an embedding, so contention is negligible.
public final class EmbeddingCache: Sendable {
    /// Hit and miss counts since creation.
    public struct Statistics: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
    }

    private struct Node {
        var key: String
        var value: [Float]
        var previous: Int
        var next: Int
    }

    private struct State {
        var index: [String: Int] = [:]
        var nodes: [Node] = []
        /// Most recently used node, or -1.
        var head = -1
        /// Least recently used node, or -1.
        var tail = -1
        var statistics = Statistics()

        /// Reads only the two links: copying the whole `Node` would retain its key and value
        /// for nothing on every hit.
        mutating func unlink(_ slot: Int) {
            let previous = nodes[slot].previous, next = nodes[slot].next
            if previous >= 0 { nodes[previous].next = next } else { head = next }
            if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        }

        mutating func pushFront(_ slot: Int) {
            nodes[slot].previous = -1
            nodes[slot].next = head
            if head >= 0 { nodes[head].previous = slot }
            head = slot
            if tail < 0 { tail = slot }
        }
    }

    /// Most entries kept.
    public let capacity: Int
    /// Texts longer than this (UTF-8 bytes) are never cached: long documents rarely repeat
    /// and would crowd out queries.
    public let maximumKeyLength: Int
    private let state: Mutex<State>

    /// - Precondition: `capacity > 0`.
    public init(capacity: Int, maximumKeyLength: Int = 2048) {
        precondition(capacity > 0, "cache capacity must be positive")
        self.capacity = capacity
        self.maximumKeyLength = maximumKeyLength
        state = Mutex(State())
    }

    /// The cached vector for `text`, marking it most recently used; counts a hit or a miss.
    /// Texts over `maximumKeyLength` bytes are never stored, so they miss without taking the
    /// lock or hashing a possibly huge key.
    public func value(for text: String) -> [Float]? {
        guard text.utf8.count <= maximumKeyLength else {
            state.withLock { $0.statistics.misses += 1 }
            return nil
        }
        return state.withLock { state in
            guard let slot = state.index[text] else {
                state.statistics.misses += 1
                return nil
            }
            state.statistics.hits += 1
            if slot != state.head {
                state.unlink(slot)
                state.pushFront(slot)
            }
            return state.nodes[slot].value
        }
    }

    /// Stores `vector` for `text` as most recently used, evicting the least recently used
    /// entry when full. Texts over `maximumKeyLength` bytes are ignored.
    public func insert(_ vector: [Float], for text: String) {
        guard text.utf8.count <= maximumKeyLength else { return }
        state.withLock { state in
            if let slot = state.index[text] {
                state.nodes[slot].value = vector
                if slot != state.head {
                    state.unlink(slot)
                    state.pushFront(slot)
                }
                return
            }
            let slot: Int
            if state.nodes.count < capacity {
                slot = state.nodes.count
                state.nodes.append(Node(key: text, value: vector, previous: -1, next: -1))
            } else {
                slot = state.tail
                state.unlink(slot)
                state.index[state.nodes[slot].key] = nil
                state.nodes[slot].key = text
                state.nodes[slot].value = vector
            }
            state.index[text] = slot
            state.pushFront(slot)
        }
    }

    /// Number of cached entries.
    public var count: Int { state.withLock { $0.index.count } }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Drops every entry (statistics are kept).
    public func removeAll() {
        state.withLock { state in
            state.index.removeAll()
            state.nodes.removeAll()
            state.head = -1
            state.tail = -1
        }
    }
}

/// An ``Embedder`` that answers repeated texts from an ``EmbeddingCache`` and sends only the
/// others, deduplicated, to `base` in one call. Same vectors, same identifier as `base`.
public struct CachingEmbedder<Base: Embedder>: Embedder, TokenCounting {
    /// The base embedder's count.
    public func tokenCount(_ text: String) -> Int? { base.tokens(of: text) }

    public let base: Base
    public let cache: EmbeddingCache

    public init(_ base: Base, capacity: Int = 10_000) {
        self.base = base
        cache = EmbeddingCache(capacity: capacity)
    }

    public init(_ base: Base, cache: EmbeddingCache) {
        self.base = base
        self.cache = cache
    }

    public var dimension: Int { base.dimension }
    public var identifier: String { base.identifier }

    /// - Throws: what `base` throws, or ``EmbeddingError/invalidOutput(_:)`` when `base`
    ///   returns the wrong number of vectors or a vector of the wrong length.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try embed(texts, caching: true)
    }

    /// The cached vectors of the texts that have one, `base`'s for the others, none of them
    /// added to the cache (see ``Embedder/embedBulk(_:)``). Throws as ``embed(_:)``.
    public func embedBulk(_ texts: [String]) throws -> [[Float]] {
        try embed(texts, caching: false)
    }

    private func embed(_ texts: [String], caching: Bool) throws -> [[Float]] {
        var results = [[Float]?](repeating: nil, count: texts.count)
        var missing: [String] = []
        var missingSlot: [String: Int] = [:]
        for (index, text) in texts.enumerated() {
            if let vector = cache.value(for: text) {
                results[index] = vector
            } else if missingSlot[text] == nil {
                missingSlot[text] = missing.count
                missing.append(text)
            }
        }
        if !missing.isEmpty {
            let computed = try caching ? base.embed(missing) : base.embedBulk(missing)
            // Checked before anything is cached: a short answer would otherwise crash below,
            // and a long one would be truncated silently by `zip`, caching wrong vectors.
            guard computed.count == missing.count else {
                throw EmbeddingError.invalidOutput("\(base.identifier) returned \(computed.count) vectors for \(missing.count) texts")
            }
            if let bad = computed.firstIndex(where: { $0.count != base.dimension }) {
                throw EmbeddingError.invalidOutput("\(base.identifier) returned a vector of \(computed[bad].count) components, its dimension is \(base.dimension)")
            }
            if caching {
                for (text, vector) in zip(missing, computed) { cache.insert(vector, for: text) }
            }
            for index in texts.indices where results[index] == nil {
                results[index] = computed[missingSlot[texts[index]]!]
            }
        }
        return results.map { $0! }
    }
}

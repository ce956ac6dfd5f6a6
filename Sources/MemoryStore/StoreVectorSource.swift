import HNSW
import LMDB

/// The float vectors of one namespace, read from the store's `vectors` database (LMDB's
/// memory map) for an index that keeps only links and codes in memory
/// (`MemoryStoreOptions.vectorsInMemory == false`).
///
/// Meets `HNSWVectorSource`'s contract: every write commits its vectors (the batch's delta)
/// before the index publishes it, and a slot's vector stays until the consolidation that frees
/// the slot has committed; each reader is a read transaction begun when the index asks.
///
/// It holds the environment weakly: an index outliving its store (a caller kept it) must not
/// keep the data file open; its searches then fail with `vectorSourceUnavailable`.
struct StoreVectorSource: HNSWVectorSource {
    weak var env: Environment?
    let vectors: Database
    let namespace: UInt32
    let dimension: Int

    func withReader<R>(_ body: (any HNSWVectorReader) throws(HNSWError) -> R) throws(HNSWError) -> R {
        guard let env else { throw .vectorSourceUnavailable("the store is closed") }
        do {
            return try env.read { txn in
                try body(Reader(txn: txn, vectors: vectors, namespace: namespace, dimension: dimension))
            }
        } catch let error as HNSWError {
            throw error
        } catch {
            throw .vectorSourceUnavailable("\(error)")
        }
    }

    /// Reads within one transaction; valid only inside `withReader`'s body.
    struct Reader: HNSWVectorReader {
        let txn: Transaction
        let vectors: Database
        let namespace: UInt32
        let dimension: Int

        /// One B-tree lookup and a copy of `dimension` floats out of the map (values are only
        /// 2-byte aligned, so the bytes are copied, not loaded in place). The length is checked
        /// here; the checksum is left to `verify` (`engram verify`) to keep re-ranking cheap,
        /// and the index treats a non-finite distance as an unreadable vector. O(log n + dimension).
        func copyVector(slot: UInt32, into destination: UnsafeMutablePointer<Float>) -> Bool {
            let key = UInt64Key(UInt64(namespace) << 32 | UInt64(slot))  // = Keys.slot(namespace, slot)
            let copied = try? txn.withValue(forKey: key, in: vectors) { raw -> Bool in
                guard raw.count == dimension * 4 + 4 else { return false }
                for i in 0..<dimension {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
                    destination[i] = Float(bitPattern: bits)
                }
                return true
            }
            return copied == true
        }
    }
}

extension MemoryStore {
    /// Where `namespace`'s index reads its vectors: `nil` (they stay in its memory) unless the
    /// store was opened with `vectorsInMemory == false` and the namespace traverses codes.
    /// A float-traversal namespace scores floats at every step, so it always keeps them.
    static func vectorSource(_ env: Environment, _ dbs: Databases, namespace: UInt32, config: NamespaceConfig,
                             options: MemoryStoreOptions) -> (any HNSWVectorSource)? {
        guard !options.vectorsInMemory, config.parameters.quantization != .none else { return nil }
        return StoreVectorSource(env: env, vectors: dbs.vectors, namespace: namespace, dimension: config.dimension)
    }

    func vectorSource(namespace: UInt32, config: NamespaceConfig) -> (any HNSWVectorSource)? {
        Self.vectorSource(env, dbs, namespace: namespace, config: config, options: options)
    }
}

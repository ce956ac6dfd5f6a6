#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MemoryEngine
import Prometheus

/// The engine's state as Prometheus gauges, read at scrape time (see ``ScrapeMetrics``):
///
/// | metric | labels | meaning |
/// | --- | --- | --- |
/// | `engram_namespaces` | | namespaces in the store |
/// | `engram_namespace_entries` | `namespace` | live entries (expired ones not yet purged included) |
/// | `engram_namespace_deleted_nodes` | `namespace` | deleted graph nodes awaiting consolidation |
/// | `engram_namespace_index_bytes` | `namespace` | bytes the HNSW index holds in memory |
/// | `engram_store_data_file_bytes` | | size of `data.mdb` on disk |
/// | `engram_store_map_size_bytes` | | LMDB map size (grows on demand) |
/// | `engram_store_used_bytes` | | bytes of the map in use (free pages included) |
/// | `engram_store_readers_active` | | live LMDB read transactions |
/// | `engram_store_database_bytes` | `database` | bytes of pages each record kind takes (e.g. `lexical_documents`) |
/// | `engram_namespace_lexical_bytes` | `namespace` | bytes the lexical index holds in memory |
///
/// A namespace deleted since the last scrape has no series at all.
/// Cost: O(namespaces) shared-lock reads of index statistics, one `mdb_env_info`, one
/// `mdb_stat` per database, one `stat(2)`. The store figures are omitted from a scrape if `mdb_env_info` fails.
enum EngineGauges {
    static func collector(for engine: MemoryEngine) -> ScrapeMetrics.Collector {
        { registry in collect(engine, into: registry) }
    }

    static func collect(_ engine: MemoryEngine, into registry: PrometheusCollectorRegistry) {
        let namespaces = engine.namespaces()
        registry.makeGauge(descriptor: descriptor("namespaces", "Namespaces in the store."))
            .set(Int64(namespaces.count))
        let entries = descriptor("namespace_entries", "Live entries per namespace (expired entries not yet purged included).")
        let deleted = descriptor("namespace_deleted_nodes", "Deleted HNSW nodes awaiting consolidation, per namespace.")
        let indexBytes = descriptor("namespace_index_bytes", "Bytes the namespace's HNSW index holds in memory.")
        let lexicalBytes = descriptor("namespace_lexical_bytes", "Bytes the namespace's lexical index holds in memory.")
        for namespace in namespaces {
            let labels = [("namespace", namespace.name)]
            registry.makeGauge(descriptor: entries, labels: labels).set(Int64(namespace.entryCount))
            registry.makeGauge(descriptor: deleted, labels: labels).set(Int64(namespace.deletedNodes))
            registry.makeGauge(descriptor: indexBytes, labels: labels).set(Int64(namespace.indexBytes))
            registry.makeGauge(descriptor: lexicalBytes, labels: labels).set(Int64(namespace.lexicalBytes))
        }
        if let sizes = try? engine.store.databaseBytes() {
            let database = descriptor("store_database_bytes", "Bytes of pages each of the store's databases holds.")
            for (name, bytes) in sizes.sorted(by: { $0.key < $1.key }) {
                registry.makeGauge(descriptor: database, labels: [("database", name)]).set(Int64(bytes))
            }
        }

        if let info = try? engine.store.storageInfo() {
            registry.makeGauge(descriptor: descriptor("store_map_size_bytes", "LMDB map size in bytes (grows on demand)."))
                .set(Int64(info.mapSize))
            registry.makeGauge(descriptor: descriptor("store_used_bytes", "Bytes of the LMDB map in use, free pages included."))
                .set(Int64(info.usedBytes))
            registry.makeGauge(descriptor: descriptor("store_readers_active", "Live LMDB read transactions, all processes."))
                .set(Int64(info.activeReaders))
        }
        if let size = fileSize("\(engine.store.path)/data.mdb") {
            registry.makeGauge(descriptor: descriptor("store_data_file_bytes", "Size of the store's data file (data.mdb) on disk."))
                .set(size)
        }
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "engram", metricName: name, unitName: "", helpText: help)
    }

    /// `st_size` of `path`, or nil if it cannot be stat'ed.
    private static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }
}

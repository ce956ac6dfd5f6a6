#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MemoryServer
import Testing
import EngramTestSupport

/// `/metrics` gauges are read from the engine at scrape time: they follow every write, agree
/// with the namespace stats route and the store on disk, and a deleted namespace's series
/// disappear.
@Suite("End to end: store and namespace gauges on /metrics")
struct MetricsGaugesTests {
    @Test("per-namespace entries, deleted nodes and index bytes, and store size, as of the scrape")
    func gauges() async throws {
        let harness = try DaemonHarness()
        defer { harness.cleanUp() }
        try await harness.run { daemon in
            let client = daemon.client
            try await client.createNamespace("gauge-a")
            try await client.createNamespace("gauge-b")
            var ids: [Int] = []
            for index in 0..<4 { ids.append(try await client.remember("alpha fact \(index)", in: "gauge-a").id) }
            _ = try await client.remember("beta fact", in: "gauge-b")
            #expect(try await client.request("DELETE", "/v1/namespaces/gauge-a/memories/\(ids[0])").status == 200)

            var metrics = try await scrape(client)
            #expect(metrics[#"engram_namespace_entries{namespace="gauge-a"}"#] == 3)
            #expect(metrics[#"engram_namespace_entries{namespace="gauge-b"}"#] == 1)
            #expect(metrics["engram_namespaces"] == 2)
            for name in ["gauge-a", "gauge-b"] {
                let stats = try #require(try await client.request("GET", "/v1/namespaces/\(name)").json)
                let label = #"{namespace="\#(name)"}"#
                #expect(metrics["engram_namespace_entries\(label)"] == (stats["entry_count"] as? Int).map(Double.init))
                #expect(metrics["engram_namespace_deleted_nodes\(label)"] == (stats["deleted_nodes"] as? Int).map(Double.init))
                #expect(metrics["engram_namespace_index_bytes\(label)"] == (stats["index_bytes"] as? Int).map(Double.init))
                #expect((metrics["engram_namespace_index_bytes\(label)"] ?? 0) > 0)
            }
            let mapSize = try #require(metrics["engram_store_map_size_bytes"])
            let used = try #require(metrics["engram_store_used_bytes"])
            #expect(used > 0 && used <= mapSize)
            #expect(metrics["engram_store_data_file_bytes"] == fileSize("\(harness.storePath)/data.mdb").map(Double.init))
            #expect((metrics["engram_store_data_file_bytes"] ?? 0) > 0)

            // Not stale: a write shows in the next scrape; a deleted namespace has no series.
            _ = try await client.remember("alpha fact 9", in: "gauge-a")
            #expect(try await client.request("DELETE", "/v1/namespaces/gauge-b?confirm=true").status == 200)
            metrics = try await scrape(client)
            #expect(metrics[#"engram_namespace_entries{namespace="gauge-a"}"#] == 4)
            #expect(metrics["engram_namespaces"] == 1)
            #expect(!metrics.keys.contains { $0.contains(#"namespace="gauge-b""#) }, "\(metrics.keys.sorted())")

            // The request metrics are still there beside them.
            let text = try await client.request("GET", "/metrics").text
            #expect(text.contains("# TYPE engram_namespace_entries gauge"))
            #expect(text.contains("# TYPE engram_http_requests_total counter"))
        }
    }

    @Test("two daemons in one process each report only their own namespaces")
    func gaugesPerServer() async throws {
        let first = try DaemonHarness()
        let second = try DaemonHarness()
        defer { first.cleanUp(); second.cleanUp() }
        try await first.run { one in
            try await one.client.createNamespace("only-in-first")
            try await second.run { two in
                try await two.client.createNamespace("only-in-second")
                let metrics = try await scrape(two.client)
                #expect(metrics[#"engram_namespace_entries{namespace="only-in-second"}"#] == 0)
                #expect(!metrics.keys.contains { $0.contains("only-in-first") })
            }
            let metrics = try await scrape(one.client)
            #expect(metrics[#"engram_namespace_entries{namespace="only-in-first"}"#] == 0)
            #expect(!metrics.keys.contains { $0.contains("only-in-second") })
        }
    }

    /// `GET /metrics` as `series → value` (`name{labels}` exactly as exposed).
    private func scrape(_ client: UnixHTTPClient) async throws -> [String: Double] {
        let response = try await client.request("GET", "/metrics")
        #expect(response.status == 200)
        var values: [String: Double] = [:]
        for line in response.text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }

    private func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}

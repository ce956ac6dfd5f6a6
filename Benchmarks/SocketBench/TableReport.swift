import Foundation

/// The human-readable table (stderr): one line per measurement, microseconds.
enum TableReport {
    static func render(_ r: BenchResults) -> String {
        var out: [String] = []
        let p = r.parameters
        out.append("engram-socket-bench — \(p.entries) entries × \(p.dimension)-d, \(p.query_count) queries, k=\(p.k), ef=\(p.ef), "
                   + "M=\(p.m), efC=\(p.ef_construction); BLAS: \(r.blas); \(r.cpus) CPUs")
        if let load = r.load {
            out.append("load: \(load.entries) entries in \(fmt(load.seconds, 2)) s (\(fmt(load.entries_per_s, 0))/s, batches through the engine)")
        }
        if let payload = r.payload {
            out.append("search payload: request \(payload.request_bytes) B, response \(payload.response_bytes) B")
        }
        out.append(row("measurement", "count", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "ops/s"))
        func line(_ name: String, _ s: LatencySummary?) {
            guard let s else { return }
            out.append(row(name, "\(s.count)", fmt(s.p50_us), fmt(s.p99_us), fmt(s.p999_us), fmt(s.max_us),
                           s.throughput_per_s.map { fmt($0, 0) } ?? "-"))
        }
        if let v = r.vector_search {
            line("vector search, in-process", v.in_process)
            line("vector search, socket (MemoryClient)", v.end_to_end)
            line("vector search, socket (searchBlocking)", v.end_to_end_blocking)
            line("vector search, socket (raw HTTP)", v.end_to_end_raw_http)
            line("GET /v1/health, socket (raw HTTP)", v.health_raw_http)
            line("floor: AF_UNIX round trip", v.floor)
        }
        for level in r.concurrency {
            line("\(level.clients) clients, socket", level.end_to_end)
            line("\(level.clients) clients, floor", level.floor)
        }
        if let t = r.text {
            line("text: embed (in-process)", t.embed)
            line("text: search embedded vector", t.search_embedded_vector)
            line("text: search by text, in-process", t.text_search_in_process)
            line("text: search by text, socket", t.text_search_end_to_end)
            line("text: engram-prompt /v1/prompt", t.prompt)
        }
        line("rebuild: searches meanwhile", r.rebuild?.reads_during)
        if let m = r.mixed {
            line("mixed: searches during churn", m.reads)
            line("mixed: writes (add/edit/delete)", m.writes)
        }
        if let v = r.vector_search {
            out.append("recall@10: in-process \(fmt(v.recall10_in_process, 4)), socket \(fmt(v.recall10_socket, 4))")
            out.append("issue-5 target: socket p50 ≤ in-process p50 + 3 × floor p50 = \(fmt(v.target_bound_us)) µs: "
                       + "async client \(fmt(v.end_to_end.p50_us)) µs \(v.target_met ? "MET" : "NOT MET"), "
                       + "blocking client \(fmt(v.end_to_end_blocking.p50_us)) µs \(v.target_met_blocking ? "MET" : "NOT MET")")
        }
        if let t = r.text {
            out.append("text: recall@10 of native-embedded queries vs the dataset's truth \(fmt(t.recall10_text_vs_truth, 4))"
                       + (t.prompt_note.map { "; prompt: \($0)" } ?? ""))
        } else if let reason = r.text_skipped {
            out.append("text path skipped: \(reason)")
        }
        if let m = r.mixed {
            out.append("mixed: \(m.readers) reader(s), writes \(fmt(m.write_rate_achieved)) /s achieved of \(fmt(m.write_rate_target)) "
                       + "(\(m.adds) adds, \(m.edits) edits, \(m.deletes) deletes, \(m.write_errors) refused); "
                       + "recall@10 after churn \(fmt(m.recall10_after, 4)) in-process, \(fmt(m.recall10_after_socket, 4)) socket, "
                       + "\(m.live_entries) live")
        }
        if let c = r.cold_start {
            out.append("cold start: open store \(fmt(c.open_store_ms)) ms, warm-up \(fmt(c.warm_up_ms)) ms, first query "
                       + "\(fmt(c.first_query_ms, 2)) ms (open→answer \(fmt(c.open_to_first_answer_ms)) ms); socket ready "
                       + "+\(fmt(c.server_ready_ms)) ms, first socket answer \(fmt(c.first_socket_answer_ms)) ms after open; "
                       + "store \(fmt(Double(c.store_bytes) / 1_048_576)) MiB")
        }
        if let rb = r.rebuild {
            out.append("rebuild: " + (rb.measured ? "\(fmt(rb.seconds ?? 0, 2)) s for \(rb.nodes ?? 0) nodes (\(rb.caught_up ?? 0) caught up), "
                       + "recall@10 after \(fmt(rb.recall10_after ?? 0, 4)); " : "") + rb.note)
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func row(_ name: String, _ cells: String...) -> String {
        name.padding(toLength: 38, withPad: " ", startingAt: 0)
            + cells.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined(separator: " ")
    }
}

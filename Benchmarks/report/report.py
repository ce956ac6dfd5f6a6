#!/usr/bin/env python3
"""Writes report.md (and the PNG plots) for one scripts/bench-report.sh run.

Inputs, all in the run's folder: ann.csv (engram-ann and ann_peers.py rows, one header),
socket.json (engram-socket-bench --json) and machine.json (facts the script gathered).
Missing inputs leave their section out with a note, so a partial run still reports.

    python3 Benchmarks/report/report.py RESULTS_DIR
"""

import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

NUMERIC = ("M", "efC", "ef", "recall10", "qps_single", "p50_us", "p99_us", "build_s", "mem_mb",
           "recall1", "recall100", "p999_us")


def read_ann(path):
    """Rows of ann.csv as dicts with numbers parsed (an empty cell becomes None)."""
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if not row.get("engine") or row["engine"] == "engine":
                continue
            for key in NUMERIC:
                value = row.get(key)
                if value in (None, ""):
                    row[key] = None
                else:
                    row[key] = int(value) if key in ("M", "efC", "ef") else float(value)
            rows.append(row)
    return rows


def cell(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def latency_row(name, s, with_rate=False):
    if not s:
        return None
    row = [name, str(s["count"]), cell(s["p50_us"]), cell(s["p99_us"]), cell(s["p999_us"]), cell(s["max_us"])]
    if with_rate:
        row.append(cell(s.get("throughput_per_s"), 0))
    return row


def ann_section(rows, out):
    """The side-by-side ANN table, and where Engram leads or trails each peer at matched ef."""
    out.append("## ANN sweep (in-process, one thread, one query at a time)\n")
    header = ["engine", "ef", "recall@1", "recall@10", "recall@100", "QPS", "p50 µs", "p99 µs", "p99.9 µs",
              "build s", "memory MiB"]
    body = [[r["engine"], cell(r["ef"]), cell(r["recall1"], 4), cell(r["recall10"], 4), cell(r["recall100"], 4),
             cell(r["qps_single"], 0), cell(r["p50_us"]), cell(r["p99_us"]), cell(r["p999_us"]), cell(r["build_s"], 2),
             cell(r["mem_mb"])] for r in rows]
    out.append(table(header, body))
    out.append("\nrecall@100 comes from a separate untimed pass with k=100 and ef=max(ef, 100), so it is the "
               "same for every ef ≤ 100. Memory is the growth of resident memory across the build.\n")
    # Engram's rows are "engram" (float traversal) and "engram-<quantization>" (e.g. engram-int8).
    variants = sorted({r["engine"] for r in rows if is_engram(r["engine"])})
    peers = sorted({r["engine"] for r in rows if not is_engram(r["engine"])})
    if variants and peers:
        out.append("### Engram against each peer at the same ef\n")
        header = ["Engram", "peer", "ef", "recall@10 Engram / peer", "QPS Engram / peer", "QPS ratio",
                  "p99 µs Engram / peer"]
        body = []
        for variant in variants:
            engram = {r["ef"]: r for r in rows if r["engine"] == variant}
            for peer in peers:
                for r in sorted((r for r in rows if r["engine"] == peer), key=lambda r: r["ef"]):
                    e = engram.get(r["ef"])
                    if not e:
                        continue
                    ratio = e["qps_single"] / r["qps_single"] if r["qps_single"] else None
                    body.append([variant, peer, cell(r["ef"]), f"{e['recall10']:.4f} / {r['recall10']:.4f}",
                                 f"{e['qps_single']:.0f} / {r['qps_single']:.0f}", cell(ratio, 2) + "×",
                                 f"{cell(e['p99_us'])} / {cell(r['p99_us'])}"])
        out.append(table(header, body))
        out.append("\nA QPS ratio above 1 means Engram answers more queries per second at that ef.\n")


def is_engram(engine):
    """Whether a CSV row is Engram's: `engram`, or `engram-int8` and other traversal modes."""
    return engine == "engram" or engine.startswith("engram-")


def socket_sections(s, out):
    p = s["parameters"]
    out.append("## Through the daemon's socket (engram-socket-bench)\n")
    out.append(f"{p['entries']} entries of {p['dimension']} dimensions, {p['query_count']} queries, k={p['k']}, "
               f"ef={p['ef']}, M={p['m']}, efConstruction={p['ef_construction']}, durability {p['durability']}; "
               f"{p['samples']} timed requests per measurement. In-process engramd (engine + server), "
               "MemoryClient with one keep-alive connection per client.\n")
    if s.get("load"):
        ld = s["load"]
        out.append(f"Load: {ld['entries']} entries in {ld['seconds']:.2f} s ({ld['entries_per_s']:.0f}/s, batches "
                   f"through the engine); model load {ld['embedder_load_ms']:.0f} ms.\n")
    header = ["measurement", "count", "p50 µs", "p99 µs", "p99.9 µs", "max µs"]
    v = s.get("vector_search")
    if v:
        pay = s.get("payload", {})
        out.append("### Vector search, k=10, one client\n")
        rows = [latency_row("in-process `engine.search`", v["in_process"]),
                latency_row("socket, MemoryClient (async `search`)", v["end_to_end"]),
                latency_row("socket, MemoryClient (`searchBlocking`, no I/O-thread hand-off)", v.get("end_to_end_blocking")),
                latency_row("socket, raw HTTP (same bytes, no client decoding)", v["end_to_end_raw_http"]),
                latency_row("`GET /v1/health`, raw HTTP (the HTTP stack alone)", v.get("health_raw_http")),
                latency_row(f"floor: AF_UNIX round trip ({pay.get('request_bytes')} B → {pay.get('response_bytes')} B)",
                            v["floor"])]
        out.append(table(header, [r for r in rows if r]))
        h = v.get("health_raw_http")
        if h:
            route = v["end_to_end_raw_http"]["p50_us"] - h["p50_us"] - v["in_process"]["p50_us"]
            client = v["end_to_end"]["p50_us"] - v["end_to_end_raw_http"]["p50_us"]
            out.append(f"\nWhere the socket p50 goes (differences of p50s, so approximate): engine "
                       f"{v['in_process']['p50_us']:.0f} µs, HTTP stack {h['p50_us']:.0f} µs (of which the bare "
                       f"round trip {v['floor']['p50_us']:.0f} µs), the search route's own work beyond both (request "
                       f"decoding, response encoding) {route:.0f} µs, MemoryClient's own cost (I/O-thread "
                       f"hand-offs, response decoding) {client:.0f} µs.")
        def verdict(met):
            return "met" if met else "**not met**"
        clients = f"async client p50 {v['end_to_end']['p50_us']:.1f} µs: {verdict(v['target_met'])}"
        if v.get("end_to_end_blocking"):
            clients += (f"; blocking client p50 {v['end_to_end_blocking']['p50_us']:.1f} µs: "
                        f"{verdict(v.get('target_met_blocking'))}")
        out.append(f"\nIssue-5 target (socket p50 ≤ in-process p50 + 3 × floor p50 = {v['target_bound_us']:.1f} µs): "
                   f"{clients}. Recall@10: in-process "
                   f"{v['recall10_in_process']:.4f}, socket {v['recall10_socket']:.4f}.\n")
    if s.get("concurrency"):
        out.append("### Concurrency (each client its own connection)\n")
        rows = []
        for lv in s["concurrency"]:
            e, f = lv["end_to_end"], lv["floor"]
            rows.append([str(lv["clients"]), cell(e["p50_us"]), cell(e["p99_us"]), cell(e["p999_us"]),
                         cell(e.get("throughput_per_s"), 0), cell(f["p50_us"]), cell(f["p99_us"]), cell(f["p999_us"]),
                         cell(f.get("throughput_per_s"), 0)])
        out.append(table(["clients", "p50 µs", "p99 µs", "p99.9 µs", "searches/s", "floor p50", "floor p99",
                          "floor p99.9", "floor round trips/s"], rows))
        out.append("\n![latency by concurrency](latency_concurrency.png)\n")
    t = s.get("text")
    if t:
        out.append("### Text path\n")
        rows = [latency_row("embed one query (native MiniLM, uncached)", t["embed"]),
                latency_row("search with the embedded vector (in-process)", t["search_embedded_vector"]),
                latency_row("search by text, in-process (embed + search)", t["text_search_in_process"]),
                *([latency_row("the same, hybrid mode (embed + search + BM25, fused)", t["text_search_hybrid_in_process"])]
                  if t.get("text_search_hybrid_in_process") else []),
                *([latency_row("the same, lexical mode (BM25, no embedding)", t["text_search_lexical_in_process"])]
                  if t.get("text_search_lexical_in_process") else []),
                latency_row("search by text over the socket", t["text_search_end_to_end"]),
                latency_row("engram-prompt `POST /v1/prompt`", t.get("prompt"))]
        out.append(table(header, [r for r in rows if r]))
        out.append(f"\nRecall@10 of text searches against the dataset's truth: {t['recall10_text_vs_truth']:.4f}"
                   + (f". Prompt: {t['prompt_note']}" if t.get("prompt_note") else "") + ".\n")
    elif s.get("text_skipped"):
        out.append(f"Text path skipped: {s['text_skipped']}.\n")
    m = s.get("mixed")
    if m:
        out.append("### Mixed load (searches while one writer adds, edits and deletes)\n")
        rows = [latency_row(f"searches ({m['readers']} client(s))", m["reads"], True),
                latency_row("writes (add / edit / delete in turn, durable commits)", m["writes"], True)]
        out.append(table(header + ["ops/s"], [r for r in rows if r]))
        out.append(f"\nWrites: {m['write_rate_achieved']:.1f}/s achieved of {m['write_rate_target']:.1f}/s asked "
                   f"({m['adds']} adds, {m['edits']} edits, {m['deletes']} deletes, {m['write_errors']} refused). "
                   f"Recall@10 after the churn against exact truth of the {m['live_entries']} live entries: "
                   f"{m['recall10_after']:.4f} in-process, {m['recall10_after_socket']:.4f} over the socket.\n")
    c = s.get("cold_start")
    if c:
        out.append("### Cold start (a consistent copy of the store, opened fresh; page cache warm)\n")
        out.append(table(["step", "ms"], [
            ["open the store (loads the graphs)", cell(c["open_store_ms"])],
            ["engine warm-up (filter facts)", cell(c["warm_up_ms"])],
            ["first in-process answer", cell(c["first_query_ms"], 2)],
            ["open → first answer", cell(c["open_to_first_answer_ms"])],
            ["socket up after that", cell(c["server_ready_ms"])],
            ["open → first answer over the socket", cell(c["first_socket_answer_ms"])]]))
        out.append(f"\nStore on disk: {c['store_bytes'] / 1048576:.1f} MiB.\n")
    rb = s.get("rebuild")
    if rb:
        out.append("### Online index rebuild\n")
        if rb.get("measured"):
            phases = ", ".join(f"{k} at {v:.2f} s" for k, v in sorted((rb.get("phase_start_s") or {}).items(),
                                                                       key=lambda kv: kv[1]))
            out.append(f"{rb['nodes']} nodes rebuilt in {rb['seconds']:.2f} s ({rb.get('caught_up', 0)} writes caught up; "
                       f"phases: {phases}); recall@10 after: {rb.get('recall10_after', 0):.4f}. {rb['note']}.\n")
            row = latency_row("socket searches during the rebuild", rb.get("reads_during"), True)
            if row:
                out.append(table(header + ["ops/s"], [row]) + "\n")
        else:
            out.append(rb["note"] + "\n")


def machine_section(machine, socket, out):
    out.append("## Machine and versions\n")
    facts = dict(machine)
    if socket:
        facts.setdefault("blas", socket.get("blas"))
        facts.setdefault("cpus_seen_by_swift", socket.get("cpus"))
    out.append(table(["fact", "value"], [[k, str(v).replace("|", "\\|")] for k, v in facts.items()]) + "\n")


def retrieval_section(r, out):
    """LoCoMo retrieval (Benchmarks/retrieval/locomo.py --json): recall and hit@k by mode and
    conversation, latency cold and warm, the neighbourhood figure and the store's size."""
    ks = [str(k) for k in r["k"]]
    total = sum(c["questions"] for c in r["conversations"].values())
    out.append(f"## Retrieval quality (LoCoMo, {len(r['conversations'])} conversations, {total} questions)\n")
    out.append("![recall by mode](retrieval_recall.png)\n")
    rows = []
    for mode, m in r["modes"].items():
        overall = m["overall"]
        rows.append([mode, "all"] + [cell(overall["recall"][k], 3) for k in ks] + [cell(overall["hit"][k], 3) for k in ks])
        for name, c in m["conversations"].items():
            rows.append([mode, name] + [cell(c["recall"][k], 3) for k in ks] + [cell(c["hit"][k], 3) for k in ks])
    out.append(table(["mode", "scope"] + [f"R@{k}" for k in ks] + [f"hit@{k}" for k in ks], rows) + "\n")
    latency = []
    for mode, m in r["modes"].items():
        for kind, figures in m.get("latency_us", {}).items():
            latency.append([mode, kind, cell(figures["p50"] / 1000, 2), cell(figures["p99"] / 1000, 2), str(figures["n"])])
    out.append("Latency seen by the client, ms (cold: the query was embedded in the call; warm: its embedding was cached):\n")
    out.append(table(["mode", "kind", "p50", "p99", "searches"], latency) + "\n")
    hood = r.get("neighbourhood")
    if hood:
        parts = "; ".join(f"{k}: {v:.3f}" for k, v in hood["recall"].items())
        out.append(f"Recall at a budget of {hood['budget']} entries, hybrid hits then their thread neighbours: {parts}.\n")
    sizes = r.get("database_bytes") or {}
    if sizes:
        used = sum(sizes.values())
        lexical = sizes.get("lexical_documents", 0) + sizes.get("lexical_stats", 0)
        out.append(f"Store: {used / 1e6:.2f} MB of pages in use, of which the lexical index {lexical / 1e6:.2f} MB "
                   f"({100 * lexical / max(used, 1):.1f}%); data file {r['store_bytes'] / 1e6:.2f} MB.\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results_dir")
    args = ap.parse_args(argv)
    d = args.results_dir
    machine = json.load(open(os.path.join(d, "machine.json"))) if os.path.exists(os.path.join(d, "machine.json")) else {}
    socket = json.load(open(os.path.join(d, "socket.json"))) if os.path.exists(os.path.join(d, "socket.json")) else None
    ann = read_ann(os.path.join(d, "ann.csv")) if os.path.exists(os.path.join(d, "ann.csv")) else []

    import plots  # after argument parsing: --help works without matplotlib

    out = [f"# Engram benchmark report — {machine.get('started_at', os.path.basename(os.path.normpath(d)))}\n"]
    if machine.get("dataset"):
        out.append(f"Dataset: `{machine['dataset']}`. Reproduce: `{machine.get('command', 'scripts/bench-report.sh')}`.\n")
    if ann:
        plots.recall_qps(ann, os.path.join(d, "recall_qps.png"),
                         f"recall@10 vs QPS (M={ann[0]['M']}, efC={ann[0]['efC']})")
        out.append("![recall vs QPS](recall_qps.png)\n")
        ann_section(ann, out)
    else:
        out.append("No ANN results (ann.csv missing).\n")
    if socket:
        if socket.get("concurrency"):
            plots.latency_by_concurrency(socket["concurrency"], os.path.join(d, "latency_concurrency.png"),
                                         "socket search latency by concurrency, with the AF_UNIX floor")
        socket_sections(socket, out)
    else:
        out.append("No socket results (socket.json missing).\n")
    retrieval_path = os.path.join(d, "retrieval.json")
    if os.path.exists(retrieval_path):
        retrieval = json.load(open(retrieval_path))
        plots.retrieval_recall(retrieval, os.path.join(d, "retrieval_recall.png"), "LoCoMo recall@k by search mode")
        retrieval_section(retrieval, out)
    machine_section(machine, socket, out)
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(out))
    print(os.path.join(d, "report.md"))


if __name__ == "__main__":
    main()

"""PNG plots of a bench-report run (matplotlib, Agg backend: no display needed)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

ENGINE_STYLE = {
    "engram": {"color": "#ff7f0e", "marker": "o", "linewidth": 1.6},
    "engram-int8": {"color": "#d62728", "marker": "o", "linewidth": 2.2},
    "hnswlib": {"color": "#1f77b4", "marker": "s"},
    "faiss": {"color": "#2ca02c", "marker": "^"},
    "usearch": {"color": "#9467bd", "marker": "D"},
}


def recall_qps(rows, path, title):
    """Recall@10 (x) against single-thread queries per second (y, log), one curve per engine,
    points in ef order and labelled with their ef."""
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    engines = sorted({r["engine"] for r in rows}, key=lambda e: (not e.startswith("engram"), e))
    for engine in engines:
        points = sorted((r for r in rows if r["engine"] == engine), key=lambda r: r["ef"])
        style = ENGINE_STYLE.get(engine, {"marker": "x"})
        ax.plot([p["recall10"] for p in points], [p["qps_single"] for p in points], label=engine, **style)
        if engine == "engram-int8":
            for p in points:
                ax.annotate(f"ef={p['ef']}", (p["recall10"], p["qps_single"]), textcoords="offset points",
                            xytext=(4, 4), fontsize=7, color=style.get("color"))
    ax.set_yscale("log")
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries per second, one thread (log)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def latency_by_concurrency(levels, path, title):
    """p50/p99/p99.9 of socket searches (solid) and of the raw AF_UNIX floor (dashed) by number
    of concurrent clients, log latency axis."""
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    clients = [lv["clients"] for lv in levels]
    colours = {"p50_us": "#1f77b4", "p99_us": "#ff7f0e", "p999_us": "#d62728"}
    names = {"p50_us": "p50", "p99_us": "p99", "p999_us": "p99.9"}
    for key, colour in colours.items():
        ax.plot(clients, [lv["end_to_end"][key] for lv in levels], marker="o", color=colour,
                label=f"socket {names[key]}")
        ax.plot(clients, [lv["floor"][key] for lv in levels], marker="x", linestyle="--", color=colour,
                alpha=0.7, label=f"floor {names[key]}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(clients)
    ax.set_xticklabels([str(c) for c in clients])
    ax.set_yscale("log")
    ax.set_xlabel("concurrent clients (one connection each)")
    ax.set_ylabel("latency, µs (log)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(ncol=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


MODE_COLOURS = {"vector": "#4c72b0", "lexical": "#dd8452", "hybrid": "#55a868"}


def retrieval_recall(results, path, title):
    """Grouped bars: overall recall@k (groups) for each search mode (bars)."""
    ks = [int(k) for k in results["k"]]
    modes = list(results["modes"])
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    width = 0.8 / max(1, len(modes))
    for index, mode in enumerate(modes):
        recall = results["modes"][mode]["overall"]["recall"]
        values = [recall[str(k)] if str(k) in recall else recall[k] for k in ks]
        xs = [g + index * width for g in range(len(ks))]
        bars = ax.bar(xs, values, width * 0.95, label=mode, color=MODE_COLOURS.get(mode))
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([g + width * (len(modes) - 1) / 2 for g in range(len(ks))], [f"recall@{k}" for k in ks])
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction of evidence turns retrieved")
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

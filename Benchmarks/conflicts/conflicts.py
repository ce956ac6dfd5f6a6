#!/usr/bin/env python3
"""Conflict detection of `learn`, measured on hand-written pairs (Benchmarks/conflicts/*.jsonl).

Each pair is an existing fact and an incoming one, labelled `conflict` (a changed number, date,
name or a negation), `paraphrase` or `related` (same subject, another compatible fact). For
every pair the script starts from an empty namespace in one engramd, `remember`s the existing
fact, `learn`s the incoming one, and reads what learn did and the similarity it saw.

The namespaces are created with `conflict_policy: pending` and `conflict_similarity: 0`, so the
daemon's lexical check (ConflictSignals) answers for every pair whatever its similarity; the
conflict band's lower end is then applied here, for a sweep of thresholds, which gives the
precision/recall of the shipped rule (band ∩ differing values) at each threshold and of the
rule before it (band only: similarity in [t, reinforce) is a conflict, above is reinforced).

A detected conflict is `pending`; positives are the `conflict` pairs. Precision = detected
conflicts that are conflicts; recall = conflicts detected. A false alarm costs a review, a
miss lets a wrong fact in.

With --claims N, it also measures what rejected claims cost learn: two namespaces of N
entries each, the second with every entry's text corrected once (N rejected claims), then
learns of fresh facts alternating between them (embedding included; different texts, so the
daemon's embedding cache helps neither), p50/p99 of each and their ratio.

Standard library only. Usage:
  conflicts.py --engramd .build/release/engramd --model DIR [--data dev.jsonl] [--threshold 0.55]
               [--claims 1000] [--json out.json]
"""
import argparse
import importlib.util
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("locomo", os.path.join(HERE, "..", "retrieval", "locomo.py"))
locomo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(locomo)


def measure(daemon, pairs):
    """(pair, action, similarity) for every pair."""
    results = []
    for pair in pairs:
        ns = "c-" + pair["id"]
        daemon.call("PUT", f"/v1/namespaces/{ns}", {"learning": {"conflict_policy": "pending", "conflict_similarity": 0}})
        daemon.call("POST", f"/v1/namespaces/{ns}/memories", {"text": pair["existing"]})
        outcome = daemon.call("POST", f"/v1/namespaces/{ns}/learn", {"text": pair["incoming"], "source": "extraction:bench"})
        results.append((pair, outcome["action"], outcome.get("similarity") or 0.0))
    return results


def scores(results, predict):
    tp = sum(1 for pair, action, sim in results if predict(action, sim) and pair["label"] == "conflict")
    fp = sum(1 for pair, action, sim in results if predict(action, sim) and pair["label"] != "conflict")
    fn = sum(1 for pair, action, sim in results if not predict(action, sim) and pair["label"] == "conflict")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def claim_cost(daemon, count, learns=300):
    """p50/p99 (ms) of learn in a namespace without claims and in one with `count` claims."""
    rng = random.Random(7)
    words = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
             "quebec romeo sierra tango").split()

    def sentence(number):
        return f"fact {number}: " + " ".join(rng.choice(words) for _ in range(8)) + f" number {number}"

    for ns in ("plain", "claims"):
        ids = [daemon.call("POST", f"/v1/namespaces/cost-{ns}/memories", {"text": sentence(i)})["entry"]["id"]
               for i in range(count)]
        if ns == "claims":
            for offset, entry in enumerate(ids):
                daemon.call("PATCH", f"/v1/namespaces/cost-{ns}/memories/{entry}", {"text": sentence(count + offset)})
    facts = {ns: [sentence(base + i) for i in range(learns)] for ns, base in (("plain", 10**6), ("claims", 2 * 10**6))}
    times = {"plain": [], "claims": []}
    for index in range(learns):
        for ns in (("plain", "claims") if index % 2 == 0 else ("claims", "plain")):
            start = time.perf_counter()
            daemon.call("POST", f"/v1/namespaces/cost-{ns}/learn", {"text": facts[ns][index]})
            times[ns].append((time.perf_counter() - start) * 1000)
    result = {}
    for ns, values in times.items():
        values.sort()
        result[ns] = {"p50_ms": statistics.median(values), "p99_ms": values[max(0, int(len(values) * 0.99) - 1)]}
    result["ratio_p50"] = result["claims"]["p50_ms"] / result["plain"]["p50_ms"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engramd", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", action="append", help="pairs (JSON Lines); repeatable; default: dev and heldout")
    parser.add_argument("--threshold", type=float, default=0.55, help="the band's lower end to report in detail")
    parser.add_argument("--reinforce", type=float, default=0.9, help="the reinforce threshold (the daemon's default)")
    parser.add_argument("--claims", type=int, default=0, help="also measure learn with this many rejected claims")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    files = args.data or [os.path.join(HERE, "dev.jsonl"), os.path.join(HERE, "heldout.jsonl")]

    work = tempfile.mkdtemp(prefix="engram-conflicts-")
    daemon = locomo.Daemon(args.engramd, args.model, work)
    report = {"threshold": args.threshold, "reinforce": args.reinforce, "sets": {}}
    try:
        for path in files:
            with open(path) as handle:
                pairs = [json.loads(line) for line in handle if line.strip()]
            results = measure(daemon, pairs)
            name = os.path.splitext(os.path.basename(path))[0]
            sweep = []
            for step in range(30, 100, 5):
                t = step / 100
                shipped = scores(results, lambda action, sim, t=t: action == "pending" and sim >= t)
                band = scores(results, lambda action, sim, t=t: t <= sim < args.reinforce)
                sweep.append({"threshold": t, "shipped": shipped, "band_only": band})
            detail = {}
            for kind in sorted({pair["change"] for pair in pairs}):
                subset = [r for r in results if r[0]["change"] == kind]
                flagged = sum(1 for pair, action, sim in subset if action == "pending" and sim >= args.threshold)
                detail[kind] = {"pairs": len(subset), "flagged": flagged,
                                "above_reinforce": sum(1 for r in subset if r[2] >= args.reinforce)}
            report["sets"][name] = {
                "pairs": len(pairs),
                "shipped": scores(results, lambda action, sim: action == "pending" and sim >= args.threshold),
                "band_only": scores(results, lambda action, sim: args.threshold <= sim < args.reinforce),
                "by_change": detail, "sweep": sweep,
                "outcomes": [{"id": pair["id"], "label": pair["label"], "change": pair["change"], "action": action,
                              "similarity": round(sim, 4)} for pair, action, sim in results],
            }
            s, b = report["sets"][name]["shipped"], report["sets"][name]["band_only"]
            print(f"{name}: {len(pairs)} pairs, band ≥ {args.threshold}")
            print(f"  values differ (shipped): precision {s['precision']:.3f} recall {s['recall']:.3f} F1 {s['f1']:.3f} "
                  f"(tp {s['tp']} fp {s['fp']} fn {s['fn']})")
            print(f"  band only (before):      precision {b['precision']:.3f} recall {b['recall']:.3f} F1 {b['f1']:.3f} "
                  f"(tp {b['tp']} fp {b['fp']} fn {b['fn']})")
            for kind, row in detail.items():
                print(f"  {kind:10} {row['flagged']:3}/{row['pairs']:3} flagged, {row['above_reinforce']:3} at or above "
                      f"the reinforce threshold")
            print("  sweep: t  shipped P/R/F1      band-only P/R/F1")
            for row in sweep:
                s, b = row["shipped"], row["band_only"]
                print(f"   {row['threshold']:.2f}  {s['precision']:.3f}/{s['recall']:.3f}/{s['f1']:.3f}   "
                      f"{b['precision']:.3f}/{b['recall']:.3f}/{b['f1']:.3f}")
        if args.claims > 0:
            cost = claim_cost(daemon, args.claims)
            report["claim_cost"] = cost
            print(f"learn with {args.claims} rejected claims: p50 {cost['claims']['p50_ms']:.1f} ms, p99 "
                  f"{cost['claims']['p99_ms']:.1f} ms; without: p50 {cost['plain']['p50_ms']:.1f} ms, p99 "
                  f"{cost['plain']['p99_ms']:.1f} ms; p50 ratio {cost['ratio_p50']:.2f}")
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main())

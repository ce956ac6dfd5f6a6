#!/usr/bin/env python3
"""Hostile request fuzzer for engramd: malformed HTTP, malformed JSON and UTF-8, values out of
range, bad vectors, filters and names, oversized inputs, concurrent deletes, slow and
half-open connections, and counters at 2^64-1, all over the daemon's Unix socket only.

Every response is judged (see judge.py): no 5xx, every 4xx is the JSON error document, no
silent close except where the HTTP parser has to give up; the daemon is checked for life
after every batch. Deterministic for a given --seed (apart from thread interleavings in the
race category). Standard library only.

    fuzz.py --socket run/engram.sock --pid 1234 --seed 1 --requests 3000
    fuzz.py --socket run/engram.sock --categories json,names --report-only
    fuzz.py --socket run/engram.sock --health        # exit 0 once GET /v1/health is 200
"""

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterable

import cases_http
import cases_json
import cases_stateful
import cases_values
import mutants
import rawhttp
import wire
from context import Context
from judge import Probe, render_dropped, render_table, render_violations
from runner import DaemonDied, Runner, StopFuzzing

# Requests and seconds kept back for the last category (overflow), which must run even when
# the mutants have used up everything else.
OVERFLOW_REQUESTS = 60
OVERFLOW_SECONDS = 20.0


def send_all(probes: Callable[[Context], Iterable[Probe]]) -> Callable[[Context, Runner], None]:
    """A category made of a fixed list of probes."""
    def run(ctx: Context, runner: Runner) -> None:
        for probe in probes(ctx):
            runner.send(probe)
    return run


def run_mutants(ctx: Context, runner: Runner) -> None:
    """Mutants fill what is left of the request budget and of the time."""
    for probe in mutants.mutants(ctx, max(0, runner.remaining())):
        runner.send(probe)


# In order. Overflow is last because a counter overflow may kill the daemon, and nothing
# after a crash would mean anything.
CATEGORIES: list[tuple[str, Callable[[Context, Runner], None]]] = [
    ("setup", cases_stateful.setup),
    ("http", send_all(cases_http.malformed_http)),
    ("json", send_all(cases_json.malformed_json)),
    ("numbers", send_all(cases_json.numbers)),
    ("vectors", send_all(cases_values.vectors)),
    ("filters", send_all(cases_values.filters)),
    ("names", send_all(cases_values.names)),
    ("sizes", send_all(cases_values.sizes)),
    ("reviews", send_all(cases_values.reviews)),
    ("text", send_all(cases_values.texts)),
    ("race", cases_stateful.race),
    ("slow", cases_http.slow_connections),
    ("mutants", run_mutants),
    ("overflow", cases_stateful.overflow),
]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True, help="engramd's Unix socket")
    parser.add_argument("--pid", type=int, help="engramd's process id, checked after every batch")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=3000, help="request budget (default 3000)")
    parser.add_argument("--time-limit", type=float, default=150.0, help="seconds for the whole run (default 150)")
    parser.add_argument("--max-body", type=int, default=4194304, help="the daemon's server.max_body_bytes")
    parser.add_argument("--workdir", help="a directory the daemon may write backups under (the driver's temp dir)")
    parser.add_argument("--categories", help="comma-separated subset of: " + ", ".join(n for n, _ in CATEGORIES[1:]))
    parser.add_argument("--report-only", action="store_true", help="print the report and exit 0")
    parser.add_argument("--examples", type=int, default=12, help="distinct violations shown with their bytes")
    parser.add_argument("--summary-json", help="write {checks, passed, failed, report_only, daemon_died} here as JSON")
    parser.add_argument("--health", action="store_true", help="only check GET /v1/health; exit 0 if it is 200")
    args = parser.parse_args(argv)
    if not args.health and not args.workdir:
        parser.error("--workdir is required (backup probes write under it)")
    known = {name for name, _ in CATEGORIES}
    args.selected = set(args.categories.split(",")) if args.categories else known
    if unknown := args.selected - known:
        parser.error(f"unknown categories: {', '.join(sorted(unknown))}")
    return args


def healthy(socket_path: str) -> bool:
    reply = rawhttp.exchange(socket_path, wire.request("GET", "/v1/health"), timeout=5.0)
    return reply.outcome == rawhttp.RESPONSE and reply.status == 200


def run_categories(args: argparse.Namespace, runner: Runner) -> None:
    """Runs the selected categories (setup always), each with its own seeded random source
    so a category's inputs do not depend on which others ran."""
    if "overflow" in args.selected:
        runner.reserve(OVERFLOW_REQUESTS, OVERFLOW_SECONDS)
    entry_ids: list[int] = []  # filled by the setup, shared by every category's context
    spent = False  # budget or time used up: only the reserved last category still runs
    for name, run in CATEGORIES:
        if name != "setup" and name not in args.selected or spent and name != "overflow":
            continue
        if name == "overflow":
            runner.release()
        ctx = Context(random.Random(f"{args.seed}:{name}"), args.max_body, args.workdir, entry_ids)
        started, before = time.monotonic(), len(runner.violations)
        try:
            run(ctx, runner)
            runner.checkpoint(name)
        except DaemonDied:
            print(f"[{name}] the daemon died; stopping", flush=True)
            return
        except StopFuzzing:
            print(f"[{name}] budget or time spent; skipping to the last category", flush=True)
            spent = True
        finally:
            sent = runner.tallies.get(name).counts["sent"] if name in runner.tallies else 0
            print(f"[{name}] {sent} requests in {time.monotonic() - started:.1f}s, "
                  f"{len(runner.violations) - before} violations", flush=True)


def report(args: argparse.Namespace, runner: Runner) -> int:
    print()
    print(render_table(runner.tallies))
    print()
    if runner.dropped:
        print(render_dropped(runner.dropped))
        print()
    if runner.violations:
        print(render_violations(runner.violations, args.examples))
    else:
        print("no violations")
    failed = len(runner.violations)
    if args.summary_json:
        with open(args.summary_json, "w") as out:
            json.dump({"checks": runner.checks, "passed": runner.checks - failed, "failed": failed,
                       "report_only": args.report_only, "daemon_died": runner.dead}, out)
    print(f"\nfuzzer: {runner.checks} checks, {failed} violations, seed {args.seed}, "
          f"{time.monotonic() - runner.started:.1f}s")
    return 0 if args.report_only or not failed else 1


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    if args.health:
        return 0 if healthy(args.socket) else 1
    if not healthy(args.socket):
        print(f"fuzz.py: GET /v1/health on {args.socket} did not answer 200", file=sys.stderr)
        return 2
    runner = Runner(args.socket, args.pid, args.requests, args.time_limit)
    run_categories(args, runner)
    return report(args, runner)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

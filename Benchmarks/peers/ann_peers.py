#!/usr/bin/env python3
"""ANN peers benchmark: hnswlib, faiss-cpu (IndexHNSWFlat) and usearch on TEXMEX files.

Builds each engine's HNSW index single-threaded with the given M and efConstruction,
then for every ef runs the queries one at a time and prints one CSV row per (engine, ef)
with the same columns as Engram's ANN runner (Benchmarks/ANNRunner):

    engine,M,efC,ef,recall10,qps_single,p50_us,p99_us,build_s,mem_mb,recall1,recall100,p999_us

The first ten columns are the original ones (old commands and scripts keep working);
recall1 comes from the timed pass, recall100 from an untimed pass with k=100 and
ef=max(ef, 100) (empty when the truth file has fewer than 100 ids per query).

CSV goes to stdout, progress and versions to stderr. An engine whose package is missing is
reported and skipped. See README.md next to this file.
"""

import os

# One thread everywhere; must happen before numpy or any engine is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import ctypes
import gc
import importlib
import importlib.metadata
import sys
import time

import numpy as np

HEADER = "engine,M,efC,ef,recall10,qps_single,p50_us,p99_us,build_s,mem_mb,recall1,recall100,p999_us"
WARMUP_QUERIES = 50


def log(msg):
    """Progress message on stderr (stdout is reserved for CSV)."""
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- I/O

def read_vecs(path, dtype):
    """Read a TEXMEX .fvecs (dtype float32) or .ivecs (dtype int32) file.

    Each record is an int32 dimension followed by that many 4-byte values. Returns a
    C-contiguous (n, dim) array; the raw buffer is read once and dropped.
    """
    try:
        raw = np.fromfile(path, dtype=np.int32)
    except OSError as e:
        sys.exit(f"error: cannot read {path}: {e}")
    if raw.size == 0:
        sys.exit(f"error: {path} is empty")
    if os.path.getsize(path) % 4:
        sys.exit(f"error: {path} is not a valid vecs file (size not a multiple of 4 bytes)")
    dim = int(raw[0])
    if dim <= 0 or raw.size % (dim + 1) != 0:
        sys.exit(f"error: {path} is not a valid vecs file (first dim {dim}, "
                 f"{raw.size * 4} bytes is not a multiple of {(dim + 1) * 4})")
    rows = raw.reshape(-1, dim + 1)
    bad = np.flatnonzero(rows[:, 0] != dim)
    if bad.size:
        sys.exit(f"error: {path}: record {bad[0]} has dim {rows[bad[0], 0]}, expected {dim}")
    out = np.ascontiguousarray(rows[:, 1:]).view(dtype)
    del raw, rows
    return out


def rss_mb(field="VmRSS"):
    """A memory field of /proc/self/status in MiB: VmRSS (resident set size, the
    reported figure) or RssAnon (its anonymous part, without touched library code)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not found in /proc/self/status")


_libc = None


def release_memory():
    """Collect garbage and hand freed heap pages back to the OS, so the next engine's
    RSS delta is not hidden by memory the previous one left in malloc's free lists."""
    global _libc
    gc.collect()
    try:
        if _libc is None:
            _libc = ctypes.CDLL("libc.so.6")
        _libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------- engines
#
# Every engine exposes the same small interface:
#   Engine(dim, metric)           imports the package (ImportError if missing)
#   version() -> str              package version and relevant build info
#   build(base, M, efc)           build the index single-threaded (keys = row numbers)
#   set_ef(ef)                    search-time beam width
#   search(q, k) -> int array     ids of the k best for one (1, dim) float32 query

class HnswlibEngine:
    name = "hnswlib"

    def __init__(self, dim, metric):
        self.lib = importlib.import_module("hnswlib")
        self.dim, self.space = dim, metric  # hnswlib spaces: 'ip' (1 - dot), 'l2' (squared)
        self.index = None

    def version(self):
        return importlib.metadata.version("hnswlib")

    def build(self, base, M, efc):
        self.index = self.lib.Index(space=self.space, dim=self.dim)
        self.index.init_index(max_elements=base.shape[0], M=M, ef_construction=efc)
        self.index.set_num_threads(1)
        self.index.add_items(base, np.arange(base.shape[0]), num_threads=1)

    def set_ef(self, ef):
        self.index.set_ef(ef)

    def search(self, q, k):
        labels, _ = self.index.knn_query(q, k=k, num_threads=1)
        return labels[0]


class FaissEngine:
    name = "faiss"

    def __init__(self, dim, metric):
        self.faiss = importlib.import_module("faiss")
        self.faiss.omp_set_num_threads(1)
        self.dim = dim
        self.metric = (self.faiss.METRIC_INNER_PRODUCT if metric == "ip"
                       else self.faiss.METRIC_L2)
        self.index = None

    def version(self):
        opts = self.faiss.get_compile_options().strip()
        return f"{importlib.metadata.version('faiss-cpu')} (compile options: {opts})"

    def build(self, base, M, efc):
        self.index = self.faiss.IndexHNSWFlat(self.dim, M, self.metric)
        self.index.hnsw.efConstruction = efc
        self.index.add(base)

    def set_ef(self, ef):
        self.index.hnsw.efSearch = ef

    def search(self, q, k):
        _, ids = self.index.search(q, k)
        return ids[0]


class UsearchEngine:
    name = "usearch"

    def __init__(self, dim, metric):
        self.mod = importlib.import_module("usearch.index")
        self.dim = dim
        self.metric = "ip" if metric == "ip" else "l2sq"
        self.index = None

    def version(self):
        accel = self.index.hardware_acceleration if self.index is not None else "?"
        return f"{importlib.metadata.version('usearch')} (hardware_acceleration: {accel})"

    def build(self, base, M, efc):
        # dtype f32 explicitly: no quantisation. Keys are the row numbers.
        self.index = self.mod.Index(ndim=self.dim, metric=self.metric, dtype="f32",
                                    connectivity=M, expansion_add=efc)
        self.index.add(np.arange(base.shape[0], dtype=np.uint64), base, threads=1)

    def set_ef(self, ef):
        self.index.expansion_search = ef

    def search(self, q, k):
        # A (1, dim) query returns a single Matches object trimmed to the hits found.
        return self.index.search(q, k, threads=1).keys


ENGINES = {e.name: e for e in (HnswlibEngine, FaissEngine, UsearchEngine)}


# ---------------------------------------------------------------------------- benchmark

def run_queries(engine, queries, k):
    """Run every query alone; return (ids (nq, k) padded with -1, per-query ns, total ns)."""
    nq = queries.shape[0]
    rows = [queries[i:i + 1] for i in range(nq)]  # (1, d) views, made before timing
    for q in rows[:WARMUP_QUERIES]:
        engine.search(q, k)
    found = [None] * nq
    lat = np.empty(nq, dtype=np.int64)
    clock = time.perf_counter_ns
    start = clock()
    for i, q in enumerate(rows):
        t0 = clock()
        found[i] = engine.search(q, k)
        lat[i] = clock() - t0
    total = clock() - start
    ids = np.full((nq, k), -1, dtype=np.int64)
    for i, r in enumerate(found):
        r = np.asarray(r, dtype=np.int64)[:k]
        ids[i, :r.size] = r
    return ids, lat, total


def recall_at(k, ids, truth):
    """Mean over queries of |first k result ids ∩ first k truth ids| / k (padding -1 never
    matches: truth ids are >= 0)."""
    hits = sum(np.intersect1d(ids[i, :k], truth[i, :k]).size for i in range(ids.shape[0]))
    return hits / (float(k) * ids.shape[0])


def recall_at_10(ids, truth):
    """Mean over queries of |first 10 result ids ∩ first 10 truth ids| / 10."""
    return recall_at(10, ids, truth)


def recall_at_100(engine, queries, truth, ef):
    """Untimed pass with k=100 and beam max(ef, 100); None when truth has < 100 ids."""
    if truth.shape[1] < 100:
        return None
    engine.set_ef(max(ef, 100))
    found = np.full((queries.shape[0], 100), -1, dtype=np.int64)
    for i in range(queries.shape[0]):
        r = np.asarray(engine.search(queries[i:i + 1], 100), dtype=np.int64)[:100]
        found[i, :r.size] = r
    engine.set_ef(ef)
    return recall_at(100, found, truth)


def bench_engine(cls, args, base, queries, truth, efs):
    """Build one engine's index, run all ef values, print CSV rows; free the index."""
    try:
        engine = cls(base.shape[1], args.metric)
    except ImportError as e:
        log(f"[{cls.name}] not installed ({e}); skipped")
        return
    release_memory()
    before, anon_before = rss_mb(), rss_mb("RssAnon")
    log(f"[{cls.name}] building: n={base.shape[0]} d={base.shape[1]} M={args.M} "
        f"efC={args.efc} metric={args.metric}")
    t0 = time.perf_counter()
    engine.build(base, args.M, args.efc)
    build_s = time.perf_counter() - t0
    mem_mb = rss_mb() - before
    anon_mb = rss_mb("RssAnon") - anon_before
    log(f"[{cls.name}] version {engine.version()}")
    log(f"[{cls.name}] built in {build_s:.2f} s, +{mem_mb:.1f} MiB resident "
        f"(+{anon_mb:.1f} MiB anonymous)")
    for ef in efs:
        engine.set_ef(ef)
        ids, lat, total = run_queries(engine, queries, args.k)
        rec = recall_at_10(ids, truth)
        rec1 = recall_at(1, ids, truth)
        qps = queries.shape[0] / (total / 1e9)
        p50, p99, p999 = np.percentile(lat / 1e3, [50, 99, 99.9], method="inverted_cdf")
        rec100 = recall_at_100(engine, queries, truth, ef)
        rec100_text = "" if rec100 is None else f"{rec100:.4f}"
        print(f"{cls.name},{args.M},{args.efc},{ef},{rec:.4f},{qps:.1f},{p50:.1f},"
              f"{p99:.1f},{build_s:.2f},{mem_mb:.1f},{rec1:.4f},{rec100_text},{p999:.1f}", flush=True)
        log(f"[{cls.name}] ef={ef}: recall10={rec:.4f} qps={qps:.1f}")
    del engine
    release_memory()


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="base vectors (.fvecs)")
    p.add_argument("--queries", required=True, help="query vectors (.fvecs)")
    p.add_argument("--truth", required=True, help="ground-truth ids (.ivecs)")
    p.add_argument("--M", type=int, default=16)
    p.add_argument("--efc", type=int, default=200, help="efConstruction")
    p.add_argument("--ef", default="10,16,32,64,128,256", help="comma-separated ef list")
    p.add_argument("--metric", choices=("ip", "l2"), default="ip")
    p.add_argument("--engines", default="hnswlib,faiss,usearch")
    p.add_argument("--k", type=int, default=10, help="neighbours requested per query (>= 10)")
    p.add_argument("--no-header", action="store_true", help="omit the CSV header")
    args = p.parse_args(argv)
    try:
        args.ef_list = [int(x) for x in args.ef.split(",") if x.strip()]
    except ValueError:
        p.error(f"--ef must be comma-separated integers, got {args.ef!r}")
    args.engine_list = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engine_list if e not in ENGINES]
    if unknown:
        p.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    if args.k < 10:
        p.error("--k must be at least 10 (recall@10 is reported)")
    if not args.ef_list or min(args.ef_list) <= 0 or args.M <= 1 or args.efc <= 0:
        p.error("M must be > 1, efc and every ef > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    base = read_vecs(args.base, np.float32)
    queries = read_vecs(args.queries, np.float32)
    truth = read_vecs(args.truth, np.int32)
    if queries.shape[1] != base.shape[1]:
        sys.exit(f"error: queries have dim {queries.shape[1]}, base has {base.shape[1]}")
    if truth.shape[0] != queries.shape[0] or truth.shape[1] < 10:
        sys.exit(f"error: truth is {truth.shape}, need {queries.shape[0]} rows of >= 10 ids")
    if truth[:, :10].min() < 0 or truth[:, :10].max() >= base.shape[0]:
        sys.exit(f"error: truth ids outside [0, {base.shape[0]}): wrong truth file for this base?")
    log(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    log(f"base {base.shape}, queries {queries.shape}, truth {truth.shape}")
    if not args.no_header:
        print(HEADER, flush=True)
    for name in args.engine_list:
        bench_engine(ENGINES[name], args, base, queries, truth, args.ef_list)


if __name__ == "__main__":
    main()

# Engram — set-up, tests and benchmarks. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian packages the build and the daemon need. libopenblas0-pthread makes libblas.so.3 the
# optimised OpenBLAS (the reference BLAS behind libblas-dev alone is 12-20x slower).
DEB_PACKAGES := libblas-dev liblmdb-dev libopenblas0-pthread pkg-config nats-server
PYTHON ?= python3
SWIFT_RELEASE := swift build -c release

# ANN benchmark inputs (any TEXMEX dataset); the defaults are the development dataset.
DATASET ?= ../shared/datasets/pypi-20k
BASE ?= $(DATASET)/base.fvecs
QUERIES ?= $(DATASET)/queries.fvecs
TRUTH ?= $(DATASET)/gt.ivecs
M ?= 16
EFC ?= 200
EF ?= 10,16,32,64,128,256
METRIC ?= cosine
# What Engram's traversal scores: int8 (the default of new namespaces) or none (floats).
QUANT ?= int8
# Candidates re-scored on floats under QUANT=int8 (empty: all ef of them).
RERANK ?=
PEER_METRIC := $(if $(filter l2,$(METRIC)),l2,ip)

.PHONY: help deps model build run run-prompt cli test test-nats test-cluster cluster cluster-stop bench-cluster test-python test-tsan test-e2e test-hostile test-crash-daemon bench-prompt bench-search-overhead bench-retrieval bench-injection bench-conflicts bench-import bench-bulk dataset-large crash-test ann peers peers-deps bench bench-micro bench-embed embed-bench-deps bench-report bench-rebuild clean

help: ## this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

deps: ## install the Debian packages that are missing (libblas-dev, liblmdb-dev, OpenBLAS, nats-server for the NATS tests)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing" >&2; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >&2; \
	fi
	@blas=$$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true); \
	case "$$blas" in *openblas*) ;; *) echo "WARNING: libblas.so.3 is $$blas, not OpenBLAS: searches will be 12-20x slower" >&2;; esac

model: ## fetch the MiniLM embedding model into .cache/models (once)
	@scripts/fetch-model.sh

build: deps ## release build of every product
	@$(SWIFT_RELEASE) >&2

run: deps model ## build in release mode and start engramd (socket ./run/engram.sock, store ./data)
	@$(SWIFT_RELEASE) --product engramd >&2
	@echo "engramd starting; try: curl --unix-socket run/engram.sock http://engram/v1/health" >&2
	OPENBLAS_NUM_THREADS=1 .build/release/engramd --config config/engramd.toml

run-prompt: deps ## build in release mode and start engram-prompt (socket ./run/engram-prompt.sock; needs engramd: make run)
	@$(SWIFT_RELEASE) --product engram-prompt >&2
	@echo "engram-prompt starting; try: curl --unix-socket run/engram-prompt.sock http://engram/v1/health" >&2
	.build/release/engram-prompt --config config/engram-prompt.toml

cli: deps ## build the engram CLI in release mode (.build/release/engram)
	@$(SWIFT_RELEASE) --product engram >&2
	@echo "built .build/release/engram; try: .build/release/engram --help" >&2

test: deps model ## install what is missing and run every test (then the openai SDK suite, TSan, the hostile suite and daemon crashes)
	swift build --build-tests
	swift test --skip-build
	$(MAKE) test-nats
	$(MAKE) test-python
	$(MAKE) test-tsan
	scripts/test-hostile.sh
	scripts/crash-test-daemon.sh $(CRASH_DAEMON_TRIALS_CI)

test-nats: deps ## the NATS client and replication against real nats-servers and engramd nodes (3-node JetStream clusters), in a swift test of its own
	swift build --build-tests
	ENGRAM_NATS_TESTS=1 swift test --skip-build --filter NATSTests

test-cluster: test-nats ## the replicated-deployment tests (part of test-nats)

cluster: deps model ## a local replicated deployment: 3 nats-servers (JetStream) and 3 engramd nodes, sockets run/node{1,2,3}.sock
	@$(SWIFT_RELEASE) --product engramd >&2
	scripts/cluster.sh start

cluster-stop: ## stop what make cluster started (data kept in run/cluster)
	scripts/cluster.sh stop

bench-cluster: deps model ## a 3-node cluster against a single engramd: write p50/p99, replica lag, failover, reads on 1-3 nodes
	@$(SWIFT_RELEASE) --product engramd >&2
	python3 scripts/bench-cluster.py

test-python: model ## the official openai Python SDK against engram-prompt and a fake upstream (pytest, pinned, in .cache/python-tests-venv)
	scripts/test-python.sh

test-hostile: deps model ## a real engramd under hostile requests (HTTP, JSON, numbers, names, sizes, races, slow peers)
	swift build --product engramd
	swift build --product engram
	scripts/test-hostile.sh

CRASH_DAEMON_TRIALS ?= 50
CRASH_DAEMON_TRIALS_CI ?= 8
test-crash-daemon: deps ## kill -9 engramd under concurrent writers (CRASH_DAEMON_TRIALS=50): no acknowledged write lost
	swift build --product engramd
	swift build --product engram
	scripts/crash-test-daemon.sh $(CRASH_DAEMON_TRIALS)

test-tsan: ## the concurrency tests (HNSW, LMDB, store) under ThreadSanitizer; a report fails the run
	TSAN_OPTIONS=halt_on_error=1 swift test --sanitize=thread --scratch-path .build-tsan \
		--filter 'HNSWTests.ConcurrencyTests|LMDBTests.ConcurrencyTests|MemoryStoreTests.ConcurrencyTests'

test-e2e: deps ## engramd end to end over a real socket: isolation, concurrency, restart, shutdown, access, gauges, blocking pool
	swift test --filter 'NamespaceIsolationTests|ConcurrentReadWriteTests|RestartTests|GracefulShutdownTests|SocketAccessTests|MetricsGaugesTests|BlockingPoolTests'

TRIALS ?= 200
crash-test: deps ## kill -9 crash test of the memory store (TRIALS=200): every acknowledged write survives
	scripts/crash-test.sh $(TRIALS)

ann: deps ## Engram's ANN sweep: CSV on stdout (BASE= QUERIES= TRUTH= M= EFC= EF= METRIC= QUANT=int8|none RERANK=)
	@$(SWIFT_RELEASE) --product engram-ann >&2
	@.build/release/engram-ann --base $(BASE) --queries $(QUERIES) --truth $(TRUTH) \
		--M $(M) --efc $(EFC) --ef $(EF) --metric $(METRIC) --quant $(QUANT) $(if $(RERANK),--rerank $(RERANK))

peers-deps:
	@$(PYTHON) -c 'import hnswlib, faiss, usearch' 2>/dev/null || $(PYTHON) -m pip install -q -r Benchmarks/peers/requirements.txt >&2

peers: peers-deps ## hnswlib, faiss-cpu and usearch on the same inputs, same CSV columns
	@$(PYTHON) Benchmarks/peers/ann_peers.py --base $(BASE) --queries $(QUERIES) --truth $(TRUTH) \
		--M $(M) --efc $(EFC) --ef $(EF) --metric $(PEER_METRIC) $(PEERS_FLAGS)

bench: ## Engram and the peers side by side on the dev dataset: one CSV table
	@$(MAKE) --no-print-directory ann
	@$(MAKE) --no-print-directory peers PEERS_FLAGS=--no-header

bench-micro: deps ## package-benchmark suites: kernel ns/dot, HNSW search with malloc/ARC counts
	swift package --disable-sandbox benchmark --target HNSWBenchmarks

# The PyTorch side of the embedding benchmark: Debian's torch for Debian's python3, in a venv.
EMBED_VENV ?= $(HOME)/.cache/engram-embed-bench-venv
embed-bench-deps:
	@[ -x $(EMBED_VENV)/bin/python ] && $(EMBED_VENV)/bin/python -c 'import sentence_transformers' 2>/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-torch python3-venv >&2 && \
		/usr/bin/python3 -m venv --system-site-packages $(EMBED_VENV) && \
		$(EMBED_VENV)/bin/pip install -q 'sentence-transformers==2.7.0' 'transformers==4.40.2' 'numpy<2' 'huggingface_hub<0.26' >&2; }

bench-embed: deps model embed-bench-deps ## native MiniLM against sentence-transformers/PyTorch, one thread each
	@$(SWIFT_RELEASE) --product engram-embed-bench >&2
	@.build/release/engram-embed-bench --pytorch $(EMBED_VENV)/bin/python $(EMBED_FLAGS)

SIZES ?= 200000,all
dataset-large: deps model ## a development dataset at scale from a file of real texts: TEXTS=<file> OUT=<folder> [SIZES=200000,all]
	@if [ -z "$(TEXTS)" ] || [ -z "$(OUT)" ]; then \
		echo "usage: make dataset-large TEXTS=<JSON Lines or plain text, a text a line> OUT=<folder outside the repository> [SIZES=200000,all]" >&2; exit 2; fi
	$(SWIFT_RELEASE) --product engram-socket-bench >&2
	$(PYTHON) Benchmarks/datasets/make_large.py --texts $(TEXTS) --out $(OUT) --sizes $(SIZES) \
		--bench .build/release/engram-socket-bench $(if $(ENGRAM_MODEL_DIR),--model $(ENGRAM_MODEL_DIR))

bench-report: deps model ## the whole suite (ANN + peers, socket, concurrency, mixed load, text, cold start, rebuild) as results/<UTC>/report.md (DATASET= or CORPUS=)
	scripts/bench-report.sh $(if $(CORPUS),--corpus $(CORPUS),--dataset $(DATASET)) --M $(M) --efc $(EFC) --ef $(EF) $(BENCH_REPORT_FLAGS)

bench-prompt: deps model ## latency engram-prompt adds to a direct daemon text search (/v1/prompt), p50/p99 side by side
	ENGRAM_PROMPT_BENCH=1 OPENBLAS_NUM_THREADS=1 swift test -c release --scratch-path .build-release-tests --filter LatencyBenchmark

bench-search-overhead: deps ## vector search p50/p99: in-process vs MemoryClient vs raw HTTP vs AF_UNIX floor (DATASET=)
	@$(SWIFT_RELEASE) --product engram-socket-bench >&2
	@.build/release/engram-socket-bench measure --base $(BASE) --queries $(QUERIES) --truth $(TRUTH) \
		--samples 3000 --warm-up 300 --concurrency 1 --mixed-seconds 0 --no-text --no-cold-start --no-rebuild

# Conversational retrieval (LoCoMo protocol): a folder of conv-*.json files; skipped when absent.
LOCOMO ?= ../shared/datasets/locomo-dev
MODES ?= vector,lexical,hybrid
bench-retrieval: deps model ## LoCoMo retrieval over the socket: recall@k per mode, context, latency, store size (LOCOMO=, MODES=, STUDY=1)
	@if [ ! -d "$(LOCOMO)" ]; then echo "bench-retrieval: $(LOCOMO) is absent: skipped" >&2; exit 0; fi; \
	$(SWIFT_RELEASE) --product engramd >&2 && \
	$(PYTHON) Benchmarks/retrieval/locomo.py --engramd .build/release/engramd \
		--model $${ENGRAM_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2} --data $(LOCOMO) --modes $(MODES) \
		$(if $(STUDY),--study)

bench-injection: deps model ## what engram-prompt injects into chats on LoCoMo: evidence recall and precision, before/now (LOCOMO=, SWEEP=1, BASELINE=an earlier engram-prompt)
	@if [ ! -d "$(LOCOMO)" ]; then echo "bench-injection: $(LOCOMO) is absent: skipped" >&2; exit 0; fi; \
	$(SWIFT_RELEASE) --product engramd >&2 && $(SWIFT_RELEASE) --product engram-prompt >&2 && \
	$(PYTHON) Benchmarks/retrieval/injection.py --engramd .build/release/engramd --engram-prompt .build/release/engram-prompt \
		--model $${ENGRAM_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2} --data $(LOCOMO) \
		$(if $(SWEEP),--sweep) $(if $(BASELINE),--baseline $(BASELINE))

bench-conflicts: deps model ## conflict detection of learn on the hand-written pairs (dev and heldout): precision/recall, threshold sweep
	$(SWIFT_RELEASE) --product engramd >&2 && \
	$(PYTHON) Benchmarks/conflicts/conflicts.py --engramd .build/release/engramd \
		--model $${ENGRAM_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2} --claims 1000

bench-import: deps model ## import throughput and the lexical index's share of the store (DATASET=, BASELINE=another engramd)
	@if [ ! -f "$(DATASET)/base.jsonl" ]; then echo "bench-import: no $(DATASET)/base.jsonl: skipped" >&2; exit 0; fi; \
	$(SWIFT_RELEASE) --product engramd >&2 && \
	$(PYTHON) Benchmarks/retrieval/import_throughput.py --engramd .build/release/engramd --data $(DATASET) \
		$(if $(BASELINE),--baseline $(BASELINE))

bench-bulk: deps model ## bulk ingestion (import-texts) vs the embedder and one remember per request, search p99 under load (DATASET=, LOCOMO=, BULK_FLAGS=)
	$(SWIFT_RELEASE) --product engramd >&2 && $(SWIFT_RELEASE) --product engram >&2 && \
	$(SWIFT_RELEASE) --product engram-embed-bench >&2 && \
	$(PYTHON) Benchmarks/retrieval/bulk_ingest.py --engramd .build/release/engramd --engram .build/release/engram \
		--embed-bench .build/release/engram-embed-bench --model $${ENGRAM_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2} \
		--pypi $(DATASET) --locomo $(LOCOMO) $(BULK_FLAGS)

REBUILD_ENTRIES ?= 20000
bench-rebuild: deps ## online index rebuild: search p50/p99 before vs during, online vs offline time (REBUILD_ENTRIES=, DATASET=)
	ENGRAM_REBUILD_BENCH=$(REBUILD_ENTRIES) ENGRAM_REBUILD_BENCH_BASE=$(BASE) ENGRAM_REBUILD_BENCH_QUERIES=$(QUERIES) \
		swift test -c release -Xswiftc -enable-testing --scratch-path .build-release-tests \
		--filter MemoryStoreTests.RebuildBenchmarkTests

clean:
	rm -rf .build .build-tsan .build-release-tests

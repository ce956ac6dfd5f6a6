#!/usr/bin/env python3
"""Benchmarks a replicated engramd deployment against a single-machine engramd, side by side.

    python3 scripts/bench-cluster.py [--bin .build/release] [--writes 300] [--entries 2000]
                                     [--seconds 10] [--clients 4] [--dimension 384]

It starts, in a fresh directory under /tmp, one single-machine engramd and a three-node cluster
(scripts/cluster.sh with CLUSTER_DIR there, NATS_PORT=14222, LEASE_SECONDS=3), and measures:

  a. write latency and throughput: sequential writes by one client to the single daemon, to
     the cluster through the namespace's owner, and through a node that forwards to the owner;
  b. replica lag: for each write through the owner, the time from its response until each
     other node has applied its log sequence (a GET /v1/cluster with Engram-Min-Sequence sent
     to each replica as soon as the response arrives, timed to its answer);
  c. failover: with a writer writing continuously through a non-owner node, kill -9 of the
     owner's engramd, timed to the first acknowledged write after it (3 rounds);
  d. search QPS with 1, 2 and 3 nodes serving the reads.

Everything it started is stopped at the end (scripts/cluster.sh stop, SIGTERM to the single
daemon). Python 3 standard library only; HTTP/1.1 over the Unix sockets, one kept-alive
connection per client thread.
"""

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODES = (1, 2, 3)
NATS_PORT = 14222
LEASE_SECONDS = 3
FAILOVER_ROUNDS = 3
FAILOVER_GIVE_UP_SECONDS = 60
RETRY_PAUSE_SECONDS = 0.005
FRESH_WRITER_DELAY_SECONDS = 0.2  # after the killed process is gone, so NATS has dropped its subscriptions
SEARCH_WARMUP_SECONDS = 1.0
LOAD_BATCH = 100
LOAD_THREADS = 2
WRITE_NAMESPACE = "bench-writes"
SEARCH_NAMESPACE = "bench-search"
SEED = 20240607
MODEL_DIR = os.path.join(REPO, ".cache", "models", "all-MiniLM-L6-v2")


# --- HTTP over a Unix socket ---------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("engram", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class Client:
    """One kept-alive HTTP/1.1 connection to one socket (use from one thread)."""

    IDLE_RECONNECT_SECONDS = 20  # the daemon closes idle connections after 30 s

    def __init__(self, path, timeout=60.0):
        self.path = path
        self.timeout = timeout
        self.conn = None
        self.last_used = 0.0

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def request(self, method, target, body=None, headers=None):
        """Returns (status, {lower-case header: value}, body bytes). Raises OSError /
        http.client.HTTPException on a transport failure (the connection is then dropped)."""
        now = time.monotonic()
        if self.conn is not None and now - self.last_used > self.IDLE_RECONNECT_SECONDS:
            self.close()
        if self.conn is None:
            self.conn = UnixHTTPConnection(self.path, self.timeout)
        all_headers = {"Host": "engram"}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        try:
            self.conn.request(method, target, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        self.last_used = time.monotonic()
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def json(self, method, target, payload=None, headers=None):
        body = None if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        status, hdrs, data = self.request(method, target, body, headers)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return status, hdrs, parsed


# --- helpers -------------------------------------------------------------------------------

def unit_vectors(count, dimension, seed):
    rng = random.Random(seed)
    vectors = []
    for _ in range(count):
        v = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        vectors.append([round(x / norm, 6) for x in v])
    return vectors


def percentile(values, p):
    """Nearest-rank percentile of `values` (seconds) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1] * 1000.0


def fmt(x, digits=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


ROOT = REPO  # where cluster.sh runs: the sockets are ROOT/run/node{1,2,3}.sock


def node_socket(n):
    return os.path.join(ROOT, "run", f"node{n}.sock")


def socket_answers(path):
    if not os.path.exists(path):
        return False
    try:
        status, _, _ = Client(path, timeout=2).request("GET", "/v1/health")
        return True
    except (OSError, http.client.HTTPException):
        return False


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Deployment:
    """The single daemon and the cluster, and their teardown."""

    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.bin = os.path.join(workdir, "bin")
        self.cluster_dir = os.path.join(workdir, "cluster")
        self.single_socket = os.path.join(workdir, "single.sock")
        self.single_dir = os.path.join(workdir, "single")
        self.single_process = None
        self.single_log = None
        self.cluster_started = False

    def cluster_env(self):
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("ENGRAM_"):
                del env[key]
        env.update(BIN=self.bin, CLUSTER_DIR=self.cluster_dir, NATS_PORT=str(NATS_PORT),
                   LEASE_SECONDS=str(LEASE_SECONDS), ENGRAM_MODEL_DIR=MODEL_DIR)
        return env

    def cluster(self, action):
        out = subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), action], cwd=ROOT,
                             env=self.cluster_env(), capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError(f"scripts/cluster.sh {action} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
        return out

    def start_single(self):
        os.makedirs(self.single_dir, exist_ok=True)
        cwd = os.path.join(self.workdir, "single-cwd")
        os.makedirs(cwd, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENGRAM_")}
        env.update(ENGRAM_SOCKET=self.single_socket, ENGRAM_DATA_DIR=os.path.join(self.single_dir, "data"),
                   ENGRAM_MODEL_DIR=MODEL_DIR,
                   OPENBLAS_NUM_THREADS="1")
        self.single_log = open(os.path.join(self.workdir, "single.log"), "w")
        self.single_process = subprocess.Popen([os.path.join(self.bin, "engramd")], cwd=cwd, env=env,
                                               stdout=self.single_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.single_process.poll() is not None:
                raise RuntimeError(f"the single engramd exited ({self.single_process.returncode}); "
                                   f"log: {self.workdir}/single.log")
            if socket_answers(self.single_socket):
                return
            time.sleep(0.1)
        raise RuntimeError("the single engramd did not answer within 120 s")

    def stop_single(self):
        if self.single_process is not None and self.single_process.poll() is None:
            self.single_process.send_signal(signal.SIGTERM)
            try:
                self.single_process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.single_process.kill()
                self.single_process.wait()
        if self.single_log is not None:
            self.single_log.close()
            self.single_log = None

    def start_cluster(self):
        self.cluster_started = True
        self.cluster("start")

    def stop_all(self):
        try:
            self.stop_single()
        finally:
            if self.cluster_started:
                try:
                    self.cluster("stop")
                except Exception as error:  # noqa: BLE001 - report and go on
                    log(f"cluster stop: {error}")

    def node_pid(self, n):
        with open(os.path.join(self.cluster_dir, f"node{n}.pid")) as f:
            return int(f.read().strip())


def cluster_status(n, headers=None, timeout=10):
    status, _, body = Client(node_socket(n), timeout=timeout).json("GET", "/v1/cluster", headers=headers)
    if status != 200:
        raise RuntimeError(f"GET /v1/cluster on node{n}: {status} {body}")
    return body


def find_owner(namespace, nodes=NODES, wait_seconds=20):
    deadline = time.monotonic() + wait_seconds
    while True:
        owners = []
        for n in nodes:
            try:
                if namespace in cluster_status(n)["owned_namespaces"]:
                    owners.append(n)
            except (OSError, http.client.HTTPException, RuntimeError):
                pass
        if len(owners) == 1:
            return owners[0]
        if time.monotonic() > deadline:
            raise RuntimeError(f"namespace {namespace}: owners {owners} (expected exactly one)")
        time.sleep(0.1)


def wait_applied(nodes, sequence, wait_seconds=120):
    """Waits until every node in `nodes` has applied `sequence`."""
    deadline = time.monotonic() + wait_seconds
    for n in nodes:
        while True:
            try:
                if cluster_status(n)["applied_sequence"] >= sequence:
                    break
            except (OSError, http.client.HTTPException, RuntimeError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"node{n} did not apply sequence {sequence} within {wait_seconds} s")
            time.sleep(0.05)


def wait_connected(n, wait_seconds=120):
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if cluster_status(n, timeout=2).get("connected"):
                return
        except (OSError, http.client.HTTPException, RuntimeError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"node{n} did not answer GET /v1/cluster with connected true in {wait_seconds} s")


def memory_body(i, vector, tag):
    return json.dumps({"text": f"{tag} memory {i}: fact number {i} of the benchmark", "vector": vector}).encode()


def create_namespace(client, namespace, dimension):
    status, _, body = client.json("PUT", f"/v1/namespaces/{namespace}", {"dimension": dimension})
    if status not in (200, 201):
        raise RuntimeError(f"PUT /v1/namespaces/{namespace}: {status} {body}")


# --- a and b: writes and replica lag -------------------------------------------------------

class LagProbe:
    """A thread that, when armed with a sequence, asks its replica for GET /v1/cluster with
    Engram-Min-Sequence and records the time from the write's response to the answer."""

    def __init__(self, n):
        self.n = n
        self.client = Client(node_socket(n), timeout=30)
        self.go = threading.Event()
        self.done = threading.Event()
        self.sequence = None
        self.started = None
        self.samples = []
        self.failures = []
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def arm(self, sequence, started):
        self.sequence, self.started = sequence, started
        self.done.clear()
        self.go.set()

    def run(self):
        while True:
            self.go.wait()
            self.go.clear()
            if self.stopping:
                return
            try:
                status, headers, body = self.client.json("GET", "/v1/cluster",
                                                         headers={"Engram-Min-Sequence": str(self.sequence)})
                elapsed = time.perf_counter() - self.started
                if status == 200 and body["applied_sequence"] >= self.sequence:
                    self.samples.append(elapsed)
                else:
                    self.failures.append(f"{status} {str(body)[:200]}")
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
            self.done.set()

    def stop(self):
        self.stopping = True
        self.go.set()
        self.thread.join(timeout=5)
        self.client.close()


def timed_writes(socket_path, namespace, bodies, probes=()):
    """Writes `bodies` one after the other; returns (latencies, errors, sequences). With
    probes, after each response every probe measures its replica's lag before the next write
    (so the probes never overlap a timed write)."""
    client = Client(socket_path, timeout=60)
    latencies, errors, sequences = [], [], []
    target = f"/v1/namespaces/{namespace}/memories"
    for body in bodies:
        started = time.perf_counter()
        try:
            status, headers, data = client.request("POST", target, body)
        except (OSError, http.client.HTTPException) as error:
            errors.append(repr(error))
            continue
        ended = time.perf_counter()
        if status != 201:
            errors.append(f"{status} {data[:200]!r}")
            continue
        latencies.append(ended - started)
        sequence = headers.get("engram-log-sequence")
        sequences.append(int(sequence) if sequence else None)
        if probes:
            if sequence is None:
                errors.append("no Engram-Log-Sequence on a cluster write")
                continue
            for probe in probes:
                probe.arm(int(sequence), ended)
            for probe in probes:
                if not probe.done.wait(60):
                    raise RuntimeError(f"lag probe of node{probe.n} did not answer in 60 s")
    client.close()
    return latencies, errors, sequences


def rtt_baseline(n, count=200):
    client = Client(node_socket(n), timeout=10)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status, _, _ = client.request("GET", "/v1/cluster")
        samples.append(time.perf_counter() - started)
    client.close()
    return samples


# --- c: failover ---------------------------------------------------------------------------

class Writer:
    """Writes continuously through one socket, retrying a failed write (the same text) after a
    short pause, and records every attempt as (sent, answered, status or error, detail,
    Engram-Log-Sequence, text). With `once`, stops after its first acknowledged write."""

    def __init__(self, socket_path, namespace, vectors, tag, once=False):
        self.socket_path = socket_path
        self.namespace = namespace
        self.vectors = vectors
        self.tag = tag
        self.once = once
        self.attempts = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        client = Client(self.socket_path, timeout=30)
        target = f"/v1/namespaces/{self.namespace}/memories"
        i = 0
        while not self.stopping.is_set():
            text = f"{self.tag} memory {i}: fact number {i} of the benchmark"
            body = json.dumps({"text": text, "vector": self.vectors[i % len(self.vectors)]}).encode()
            sent = time.perf_counter()
            try:
                status, headers, data = client.request("POST", target, body)
                outcome = status
                detail = "" if status == 201 else data[:300].decode(errors="replace")
                sequence = headers.get("engram-log-sequence")
            except (OSError, http.client.HTTPException) as error:
                outcome, detail, sequence = "transport", repr(error), None
            self.attempts.append((sent, time.perf_counter(), outcome, detail, sequence, text))
            if outcome == 201:
                i += 1
                if self.once:
                    break
            else:
                time.sleep(RETRY_PAUSE_SECONDS)
        client.close()


def process_alive(pid):
    """Whether `pid` runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def list_texts(n, namespace):
    """Every entry's text in `namespace` on node n, with its count."""
    client = Client(node_socket(n), timeout=60)
    counts = {}
    after = None
    while True:
        target = f"/v1/namespaces/{namespace}/memories?limit=500" + (f"&after={after}" if after is not None else "")
        status, _, body = client.json("GET", target)
        if status != 200:
            raise RuntimeError(f"GET {target}: {status} {str(body)[:300]}")
        for entry in body.get("entries", []):
            text = entry.get("text", (entry.get("entry") or {}).get("text"))
            counts[text] = counts.get(text, 0) + 1
        after = body.get("next_cursor")
        if after is None or not body.get("entries"):
            break
    client.close()
    return counts


def failover_round(deployment, namespace, vectors, round_number):
    owner = find_owner(namespace)
    writer_node = next(n for n in NODES if n != owner)
    writer = Writer(node_socket(writer_node), namespace, vectors, f"failover{round_number}")
    # A second writer that starts only at the kill (its own connection to the same node): when
    # the deployment takes writes again, whatever the continuous writer's in-flight write does.
    probe = Writer(node_socket(writer_node), namespace, vectors, f"failover{round_number}-probe", once=True)
    writer.thread.start()
    time.sleep(1.5)  # steady writing first
    acked_before = sum(1 for a in writer.attempts if a[2] == 201)
    pid = deployment.node_pid(owner)
    killed = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    # The fresh writer starts 200 ms after the process is gone (a request that reaches it while
    # it is being torn down is an in-flight request, which the continuous writer measures).
    while process_alive(pid) and time.perf_counter() - killed < 5:
        time.sleep(0.001)
    gone = time.perf_counter() - killed
    time.sleep(FRESH_WRITER_DELAY_SECONDS)
    probe.thread.start()
    first_ack = None
    deadline = killed + FAILOVER_GIVE_UP_SECONDS
    while time.perf_counter() < deadline:
        for attempt in list(writer.attempts):
            if attempt[2] == 201 and attempt[0] >= killed:
                first_ack = attempt
                break
        if first_ack:
            break
        time.sleep(0.01)
    time.sleep(0.5)
    writer.stopping.set()
    probe.stopping.set()
    writer.thread.join(timeout=60)
    probe.thread.join(timeout=60)
    probe_ack = next((a for a in probe.attempts if a[2] == 201), None)
    after = [a for a in writer.attempts if a[1] >= killed and (first_ack is None or a[1] <= first_ack[1])]
    failures = {}
    for who, attempts in (("writer", after), ("fresh writer", probe.attempts)):
        for a in attempts:
            if a[2] != 201:
                key = f"{who}: {a[2]} {a[3][:200]}"
                failures[key] = failures.get(key, 0) + 1
    in_flight = [a for a in writer.attempts if a[0] < killed <= a[1]]
    new_owner = None
    try:
        new_owner = find_owner(namespace, nodes=[n for n in NODES if n != owner], wait_seconds=10)
    except RuntimeError:
        pass
    result = {
        "round": round_number, "killed": f"node{owner}", "killed_n": owner, "pid": pid,
        "writer": f"node{writer_node}", "writer_n": writer_node,
        "acked_before_kill": acked_before,
        "seconds": None if first_ack is None else first_ack[1] - killed,
        "first_ack_sequence": None if first_ack is None else first_ack[4],
        "probe_seconds": None if probe_ack is None else probe_ack[1] - killed,
        "probe_failed": sum(1 for a in probe.attempts if a[2] != 201), "gone": gone,
        "failed_attempts": sum(1 for a in after if a[2] != 201), "failures": failures,
        "in_flight_at_kill": [(round(a[1] - killed, 3), a[2], a[3][:200], a[5]) for a in in_flight],
        "new_owner": None if new_owner is None else f"node{new_owner}",
    }
    # cluster.sh truncates a node's log when it starts it: keep the killed node's log.
    log_path = os.path.join(deployment.cluster_dir, f"node{owner}.log")
    if os.path.exists(log_path):
        shutil.copyfile(log_path, os.path.join(deployment.cluster_dir, f"node{owner}.before-restart-{round_number}.log"))
    # Bring the killed node back (cluster.sh starts only what is down) and let it catch up.
    restart_started = time.perf_counter()
    deployment.cluster("start")
    wait_connected(owner)
    last = max(cluster_status(n)["applied_sequence"] for n in NODES if n != owner)
    wait_applied([owner], last)
    result["restart_seconds"] = time.perf_counter() - restart_started
    return result


# --- d: search -----------------------------------------------------------------------------

def load_entries(namespace, owner, count, dimension):
    vectors = unit_vectors(count, dimension, SEED + 1)
    batches = [list(range(i, min(i + LOAD_BATCH, count))) for i in range(0, count, LOAD_BATCH)]
    last_sequence = [0]
    problems = []
    lock = threading.Lock()

    def work(mine):
        client = Client(node_socket(owner), timeout=120)
        for batch in mine:
            items = [{"text": f"search corpus entry {i}", "vector": vectors[i]} for i in batch]
            status, headers, body = client.json("POST", f"/v1/namespaces/{namespace}/memories/batch",
                                                {"items": items})
            with lock:
                if status != 200 or body.get("failed"):
                    problems.append(f"{status} {str(body)[:300]}")
                sequence = headers.get("engram-log-sequence")
                if sequence:
                    last_sequence[0] = max(last_sequence[0], int(sequence))
        client.close()

    threads = [threading.Thread(target=work, args=(batches[t::LOAD_THREADS],)) for t in range(LOAD_THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if problems:
        raise RuntimeError(f"loading the search corpus: {problems[:3]}")
    return last_sequence[0], time.perf_counter() - started


def search_run(namespace, nodes, clients, seconds, queries):
    target = f"/v1/namespaces/{namespace}/search"
    stop_at = [0.0]
    warm_until = [0.0]
    results = [None] * clients
    barrier = threading.Barrier(clients + 1)

    def work(index):
        client = Client(node_socket(nodes[index % len(nodes)]), timeout=30)
        rng = random.Random(SEED + 100 + index)
        latencies, errors = [], 0
        barrier.wait()
        while True:
            now = time.perf_counter()
            if now >= stop_at[0]:
                break
            body = queries[rng.randrange(len(queries))]
            started = time.perf_counter()
            try:
                status, _, _ = client.request("POST", target, body)
            except (OSError, http.client.HTTPException):
                status = None
            ended = time.perf_counter()
            if started >= warm_until[0] and ended <= stop_at[0]:
                if status == 200:
                    latencies.append(ended - started)
                else:
                    errors += 1
        client.close()
        results[index] = (latencies, errors)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    warm_until[0] = now + SEARCH_WARMUP_SECONDS
    stop_at[0] = warm_until[0] + seconds
    barrier.wait()
    for t in threads:
        t.join()
    latencies = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    return latencies, errors


# --- main ----------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release", help="directory holding engramd (default .build/release)")
    parser.add_argument("--writes", type=int, default=300, help="timed sequential writes per configuration")
    parser.add_argument("--entries", type=int, default=2000, help="entries loaded for the search phase")
    parser.add_argument("--seconds", type=float, default=10, help="search duration per configuration")
    parser.add_argument("--clients", type=int, default=4, help="search client threads")
    parser.add_argument("--dimension", type=int, default=384, help="vector dimension")
    parser.add_argument("--in-repo", action="store_true",
                        help="run scripts/cluster.sh in the repository (sockets run/node{1,2,3}.sock there) "
                             "instead of a verbatim copy of it under the work directory (the default, so "
                             "that another cluster on run/node*.sock is left alone)")
    args = parser.parse_args()
    global ROOT

    engramd = os.path.join(args.bin if os.path.isabs(args.bin) else os.path.join(REPO, args.bin), "engramd")
    if not os.access(engramd, os.X_OK):
        sys.exit(f"bench-cluster: {engramd} is missing: swift build -c release --product engramd")
    for port in [NATS_PORT + i for i in range(3)] + [NATS_PORT + 2000 + i for i in range(3)]:
        if not port_free(port):
            sys.exit(f"bench-cluster: port {port} is taken")

    workdir = tempfile.mkdtemp(prefix="bench-cluster-", dir="/tmp")
    # The binary is copied, so that a rebuild of the tree during the run changes nothing.
    os.makedirs(os.path.join(workdir, "bin"))
    shutil.copy2(engramd, os.path.join(workdir, "bin", "engramd"))
    if not args.in_repo:
        ROOT = os.path.join(workdir, "root")
        os.makedirs(os.path.join(ROOT, "scripts"))
        os.makedirs(os.path.join(ROOT, "run"))
        shutil.copy2(os.path.join(REPO, "scripts", "cluster.sh"), os.path.join(ROOT, "scripts", "cluster.sh"))
    for n in NODES:
        if socket_answers(node_socket(n)):
            shutil.rmtree(workdir, ignore_errors=True)
            sys.exit(f"bench-cluster: {node_socket(n)} answers: another cluster is running; stop it first "
                     f"(or leave out --in-repo)")
    deployment = Deployment(args, workdir)
    rows = []
    notes = []
    load_start = os.getloadavg()
    began = time.time()

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    write_vectors = unit_vectors(args.writes + 1, args.dimension, SEED)
    failover_data = []
    health = {}
    try:
        log(f"work directory {workdir}")
        deployment.start_single()
        log("single daemon up; starting the cluster")
        deployment.start_cluster()
        log("cluster up")
        single = Client(deployment.single_socket)
        health.update(single.json("GET", "/v1/health")[2] or {})

        # a(i): single machine.
        create_namespace(single, WRITE_NAMESPACE, args.dimension)
        warm = memory_body(-1, write_vectors[-1], "single")
        status, _, _ = single.request("POST", f"/v1/namespaces/{WRITE_NAMESPACE}/memories", warm)
        assert status == 201, status
        single.close()
        bodies = [memory_body(i, write_vectors[i], "single") for i in range(args.writes)]
        log(f"a(i): {args.writes} writes to the single daemon")
        single_lat, single_err, _ = timed_writes(deployment.single_socket, WRITE_NAMESPACE, bodies)

        # a(ii) + b: through the owner. The first write (namespace creation) takes the lease.
        first = Client(node_socket(1))
        create_namespace(first, WRITE_NAMESPACE, args.dimension)
        status, _, _ = first.request("POST", f"/v1/namespaces/{WRITE_NAMESPACE}/memories",
                                     memory_body(-1, write_vectors[-1], "cluster"))
        assert status == 201, status
        first.close()
        owner = find_owner(WRITE_NAMESPACE)
        replicas = [n for n in NODES if n != owner]
        log(f"owner of {WRITE_NAMESPACE}: node{owner}; measuring the GET /v1/cluster round trip")
        rtt = {n: rtt_baseline(n) for n in replicas}
        probes = [LagProbe(n) for n in replicas]
        bodies = [memory_body(i, write_vectors[i], "owner") for i in range(args.writes)]
        log(f"a(ii)+b: {args.writes} writes through the owner node{owner}, lag probes on {replicas}")
        owner_lat, owner_err, owner_seq = timed_writes(node_socket(owner), WRITE_NAMESPACE, bodies, probes)
        for probe in probes:
            probe.stop()

        # a(iii): through a non-owner (forwarded).
        forwarder = replicas[0]
        warm_client = Client(node_socket(forwarder))
        status, _, _ = warm_client.request("POST", f"/v1/namespaces/{WRITE_NAMESPACE}/memories",
                                           memory_body(-2, write_vectors[-1], "forwarded"))
        assert status == 201, status
        warm_client.close()
        bodies = [memory_body(i, write_vectors[i], "forwarded") for i in range(args.writes)]
        log(f"a(iii): {args.writes} writes through node{forwarder} (forwarded to node{owner})")
        fwd_lat, fwd_err, _ = timed_writes(node_socket(forwarder), WRITE_NAMESPACE, bodies)
        if find_owner(WRITE_NAMESPACE) != owner:
            notes.append(f"the owner of {WRITE_NAMESPACE} changed during the forwarded writes")

        def write_row(name, lat, errs):
            total = sum(lat)
            rows.append((f"a. write, 1 client sequential", name, len(lat), percentile(lat, 50), percentile(lat, 99),
                         f"{len(lat) / total:.1f} writes/s" if total else "–",
                         f"{len(errs)} errors" + (f": {errs[0]}" if errs else "")))

        write_row("single machine", single_lat, single_err)
        write_row(f"cluster, through owner (node{owner})", owner_lat, owner_err)
        write_row(f"cluster, through non-owner node{forwarder} (forwarded)", fwd_lat, fwd_err)
        single_p50 = percentile(single_lat, 50)
        for name, lat in ((f"owner/single", owner_lat), (f"forwarded/single", fwd_lat)):
            rows.append(("a. ratio cluster/single", name, "", f"{percentile(lat, 50) / single_p50:.2f}×",
                         f"{percentile(lat, 99) / percentile(single_lat, 99):.2f}×",
                         f"{(len(lat) / sum(lat)) / (len(single_lat) / sum(single_lat)):.2f}× writes/s",
                         "cluster value / single-machine value"))
        for probe in probes:
            rows.append(("b. replica lag", f"node{owner} → node{probe.n}", len(probe.samples),
                         percentile(probe.samples, 50), percentile(probe.samples, 99), "",
                         f"GET round trip alone p50 {fmt(percentile(rtt[probe.n], 50), 3)} ms; "
                         f"{len(probe.failures)} failures" + (f": {probe.failures[0]}" if probe.failures else "")))

        # d: search.
        create_client = Client(node_socket(1))
        create_namespace(create_client, SEARCH_NAMESPACE, args.dimension)
        create_client.close()
        search_owner = find_owner(SEARCH_NAMESPACE)
        log(f"d: loading {args.entries} entries through node{search_owner}")
        last_sequence, load_seconds = load_entries(SEARCH_NAMESPACE, search_owner, args.entries, args.dimension)
        wait_started = time.perf_counter()
        wait_applied(NODES, last_sequence)
        notes.append(f"search corpus: {args.entries} entries loaded through node{search_owner} in "
                     f"{load_seconds:.1f} s ({LOAD_THREADS} threads, batches of {LOAD_BATCH}); every node had "
                     f"applied sequence {last_sequence} {time.perf_counter() - wait_started:.2f} s later")
        queries = [json.dumps({"vector": v, "k": 10}).encode()
                   for v in unit_vectors(1000, args.dimension, SEED + 2)]
        check = Client(node_socket(3)).json("POST", f"/v1/namespaces/{SEARCH_NAMESPACE}/search", queries[0])
        if check[0] != 200:
            raise RuntimeError(f"search: {check[0]} {check[2]}")
        hits = check[2].get("hits", check[2].get("results")) if isinstance(check[2], dict) else None
        notes.append(f"a check search on node3 returned {len(hits) if hits is not None else '?'} hits (k=10)")
        for count in (1, 2, 3):
            serving = list(NODES[:count])
            log(f"d: {args.clients} clients over {['node%d' % n for n in serving]} for {args.seconds} s")
            lat, errors = search_run(SEARCH_NAMESPACE, serving, args.clients, args.seconds, queries)
            rows.append((f"d. vector search k=10, {args.clients} clients", f"{count} node(s): "
                         + ", ".join(f"node{n}" for n in serving), len(lat), percentile(lat, 50),
                         percentile(lat, 99), f"{len(lat) / args.seconds:.0f} QPS", f"{errors} errors"))

        # c: failover (last: it kills nodes).
        failover_vectors = unit_vectors(50, args.dimension, SEED + 3)
        for round_number in range(1, FAILOVER_ROUNDS + 1):
            log(f"c: failover round {round_number}")
            result = failover_round(deployment, WRITE_NAMESPACE, failover_vectors, round_number)
            failover_data.append(result)
            seconds = result["seconds"]
            probe_seconds = result["probe_seconds"]
            rows.append(("c. failover (kill -9 owner)", f"round {round_number}: kill {result['killed']}, "
                         f"writer on {result['writer']}", "", "", "",
                         f"{seconds:.2f} s to first 201" if seconds is not None else
                         f"no 201 within {FAILOVER_GIVE_UP_SECONDS} s",
                         (f"fresh writer (started 0.2 s after the process was gone): first 201 {probe_seconds:.2f} s after the kill"
                          if probe_seconds is not None else "fresh writer: no 201")
                         + f"; the writer's failed attempts: {result['failed_attempts']}, the fresh writer's: "
                         f"{result['probe_failed']}; new owner {result['new_owner']}"))
        times = [r["seconds"] for r in failover_data if r["seconds"] is not None]
        probe_times = [r["probe_seconds"] for r in failover_data if r["probe_seconds"] is not None]
        if times:
            rows.append(("c. failover (kill -9 owner)", f"mean of {len(times)}", "", "", "",
                         f"{sum(times) / len(times):.2f} s",
                         (f"fresh writer mean {sum(probe_times) / len(probe_times):.2f} s; " if probe_times else "")
                         + f"LEASE_SECONDS={LEASE_SECONDS}"))
        # Were the writes in flight at each kill (answered with an error) stored anyway?
        try:
            texts = list_texts(find_owner(WRITE_NAMESPACE), WRITE_NAMESPACE)
            for r in failover_data:
                r["in_flight_stored"] = [texts.get(a[3], 0) for a in r["in_flight_at_kill"]]
            duplicates = sum(1 for count in texts.values() if count > 1)
            notes.append(f"{WRITE_NAMESPACE} holds {sum(texts.values())} entries after the failover rounds; "
                         f"{duplicates} texts are stored more than once (a retried write that had been "
                         f"stored although its first attempt was answered with an error)")
        except Exception as error:  # noqa: BLE001
            notes.append(f"could not list {WRITE_NAMESPACE} to check the in-flight writes: {error}")
    except KeyboardInterrupt:
        notes.append("interrupted: the results above are partial")
    except Exception as error:  # noqa: BLE001 - report what was measured, then the failure
        import traceback
        traceback.print_exc()
        notes.append(f"ABORTED: {type(error).__name__}: {error}")
    finally:
        log("stopping everything")
        deployment.stop_all()
        load_end = os.getloadavg()

    # --- report ---
    def git(*command):
        try:
            return subprocess.run(["git", *command], cwd=REPO, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    dirty = [line for line in git("status", "--porcelain").splitlines() if not line.endswith("scripts/bench-cluster.py")]
    print("## engramd: cluster (3 nodes) against single machine\n")
    print("| Measurement | Configuration | n | p50 (ms) | p99 (ms) | Rate | Notes |")
    print("|---|---|---:|---:|---:|---:|---|")
    for row in rows:
        cells = [fmt(c) if isinstance(c, float) else str(c) for c in row]
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    print("\n### Settings\n")
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    print(f"- command: `python3 scripts/bench-cluster.py {' '.join(sys.argv[1:])}`")
    print(f"- writes {args.writes} per write configuration (one client, sequential, each after one untimed "
          f"warm-up write; the cluster's first write created the namespace and took the lease); writes/s = "
          f"n / sum of the write latencies")
    print(f"- search: {args.entries} entries, dimension {args.dimension}, {args.clients} client threads "
          f"round-robin over the serving nodes' sockets, {SEARCH_WARMUP_SECONDS:.0f} s warm-up then "
          f"{args.seconds:g} s measured per configuration, k=10, random unit query vectors (1,000 distinct)")
    print(f"- vectors: seeded pseudo-random unit vectors (seed {SEED}), JSON floats rounded to 6 decimals")
    print(f"- replica lag method: after each write's response through the owner, each replica gets "
          f"`GET /v1/cluster` with `Engram-Min-Sequence: <the write's Engram-Log-Sequence>` at once (one "
          f"thread per replica, both before the next write), timed from the write's response to the "
          f"answer; it includes one request round trip (its p50 alone is in Notes)")
    print(f"- failover: LEASE_SECONDS={LEASE_SECONDS}; a writer writes continuously through a non-owner "
          f"node, retrying a failed write after {RETRY_PAUSE_SECONDS * 1000:.0f} ms; the owner's engramd is "
          f"killed with SIGKILL after 1.5 s of writing; time = kill → response of the first 201 for a request "
          f"sent after the kill (the writer's in-flight write must end first); a second, fresh writer on the "
          f"same node starts {FRESH_WRITER_DELAY_SECONDS * 1000:.0f} ms after the killed process is gone and is timed from the kill the same way (when the "
          f"deployment takes writes again); then the node is restarted (cluster.sh start) and caught up")
    print(f"- cluster: {'scripts/cluster.sh in the repository' if args.in_repo else 'a verbatim copy of scripts/cluster.sh run from ' + ROOT + ' (sockets ' + node_socket(1) + ' etc., no config file: engramd defaults, as for the single daemon)'}, 3 nats-server (JetStream, R3) on 127.0.0.1:{NATS_PORT}-{NATS_PORT + 2}, "
          f"3 engramd (ENGRAM_CLUSTER_REPLICAS=3), CLUSTER_DIR={deployment.cluster_dir}")
    print(f"- single machine: the same engramd binary, no ENGRAM_CLUSTER_*, cwd {workdir}/single-cwd "
          f"(no config file), socket {deployment.single_socket}")
    print(f"- durability: the default (sync: fsync per commit) in both modes; OPENBLAS_NUM_THREADS=1")
    print(f"- engramd {health.get('version', '?') if isinstance(health, dict) else '?'}: {engramd} "
          f"(built {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(os.path.getmtime(engramd)))}, copied to "
          f"{deployment.bin} for the run); "
          f"tree at run time: git {git('rev-parse', '--short', 'HEAD')}"
          f"{' plus uncommitted changes' if dirty else ''}")
    print(f"- machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}; load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f}; "
          f"run took {time.time() - began:.0f} s")
    print("- caveat: the 3 nats-servers, 3 engramd nodes, the single daemon and this client all share this "
          "one machine's cores, so the search rows measure the serving path of 1/2/3 nodes, not machine "
          "scaling, and the Python client itself uses CPU the servers would otherwise have")
    for note in notes:
        print(f"- {note}")
    if failover_data:
        print("\n### Failover rounds\n")
        for r in failover_data:
            print(f"- round {r['round']}: killed {r['killed']} (pid {r['pid']}), writer on {r['writer']}, "
                  f"{r['acked_before_kill']} writes acknowledged before the kill; "
                  + (f"first 201 after {r['seconds']:.3f} s (log sequence {r['first_ack_sequence']})"
                     if r["seconds"] is not None else "no 201") + f"; new owner {r['new_owner']}")
            stored = r.get("in_flight_stored", [])
            for index, a in enumerate(r["in_flight_at_kill"]):
                copies = f"; stored {stored[index]} time(s) in the end" if index < len(stored) else ""
                print(f"  - in flight at the kill: answered {a[0]} s after it: {a[1]} {a[2]}{copies}")
            if r.get("probe_seconds") is not None:
                print(f"  - fresh writer started {FRESH_WRITER_DELAY_SECONDS * 1000:.0f} ms after the killed process "
                      f"was gone ({r['gone'] * 1000:.0f} ms after the kill): first 201 {r['probe_seconds']:.3f} s after the kill, {r['probe_failed']} "
                      f"failed attempts before it")
            if r.get("restart_seconds") is not None:
                print(f"  - restarting the killed node and catching it up took {r['restart_seconds']:.1f} s")
            for failure, count in r["failures"].items():
                print(f"  - {count}× {failure}")
    lines = {}
    for name in sorted(os.listdir(deployment.cluster_dir)) if os.path.isdir(deployment.cluster_dir) else []:
        if name.startswith("node") and name.endswith(".log"):
            with open(os.path.join(deployment.cluster_dir, name), errors="replace") as f:
                for line in f:
                    if any(level in line for level in (" warning ", " error ", " critical ", " notice ")):
                        rest = line.split(" ", 1)[-1]
                        key = (name, re.sub(r"[0-9a-f]{16,}|\d+", "#", rest)[:200])
                        lines.setdefault(key, [0, line.rstrip()])[0] += 1
    if lines:
        print("\n### Warnings and errors in the node logs (distinct, first occurrence)\n")
        print("```")
        for (name, _), (count, line) in list(lines.items())[:40]:
            print(f"{name} ({count}×): {line[:600]}")
        print("```")
    print(f"\nLogs: {workdir}/single.log, {deployment.cluster_dir}/node*.log, {deployment.cluster_dir}/nats*.log")


if __name__ == "__main__":
    main()

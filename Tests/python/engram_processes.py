"""engramd and engram-prompt as child processes for the tests, and a small HTTP client for
their Unix sockets.

Each process gets an empty config file (the built-in defaults) and its settings through
ENGRAM_* / ENGRAM_PROMPT_* environment variables, logs to a file in its work directory, and is
ready once GET /v1/health answers 200 (polled against a generous deadline; nothing here
asserts a duration). `stop()` sends SIGTERM and waits. A binary that is briefly missing or
cannot be executed (being relinked) is retried until the deadline.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
START_DEADLINE_S = 120


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("engram", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def request(socket_path, method, path, body=None, headers=None):
    """(status, parsed JSON or None, headers) of one request on a fresh connection."""
    connection = UnixHTTPConnection(socket_path)
    try:
        data = None if body is None else json.dumps(body).encode()
        sent = dict(headers or {})
        if data is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read()
        return response.status, (json.loads(payload) if payload else None), dict(response.getheaders())
    finally:
        connection.close()


def wait_until(predicate, what, deadline_s=60, interval_s=0.1):
    """Polls `predicate` until it returns something truthy (returned) or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {deadline_s} s")
        time.sleep(interval_s)


class Process:
    """A server binary on a Unix socket in `work`; `name` names its config, log and socket."""

    def __init__(self, binary, name, work, environment):
        self.name, self.socket = name, os.path.join(work, f"{name}.sock")
        self.log_path = os.path.join(work, f"{name}.log")
        config = os.path.join(work, f"{name}.toml")
        open(config, "w").close()  # empty: the built-in defaults, then the environment
        # Only this suite's settings: none inherited from the caller's ENGRAM_* environment.
        env = {key: value for key, value in os.environ.items() if not key.startswith("ENGRAM_")}
        env.update(OPENBLAS_NUM_THREADS="1", **environment)
        deadline = time.monotonic() + START_DEADLINE_S
        self.process = self._spawn([binary, "--config", config], env, work, deadline)
        while not self._healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not answer /v1/health within {START_DEADLINE_S} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def _spawn(self, argv, env, work, deadline):
        while True:
            try:
                with open(self.log_path, "ab") as log:
                    return subprocess.Popen(argv, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
            except OSError as error:  # missing or busy while the build relinks it
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cannot start {argv[0]}: {error}") from error
                time.sleep(1)

    def _healthy(self):
        try:
            return request(self.socket, "GET", "/v1/health")[0] == 200
        except OSError:
            return False

    def call(self, method, path, body=None, headers=None):
        return request(self.socket, method, path, body, headers)

    def log_tail(self, lines=40):
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def stop(self):
        """SIGTERM, then the exit status (killed after 60 s without one)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_engramd(binary, model_dir, work):
    return Process(binary, "engramd", work, {
        "ENGRAM_SOCKET": os.path.join(work, "engramd.sock"), "ENGRAM_DATA_DIR": os.path.join(work, "data"),
        "ENGRAM_MODEL_DIR": model_dir, "ENGRAM_BACKUP_DIRS": os.path.join(work, "backups"),
        "ENGRAM_LOG_LEVEL": "warning"})


def start_prompt(binary, daemon, upstream_url, work, name="engram-prompt", **settings):
    """engram-prompt in front of `daemon` and `upstream_url`; `settings` are extra
    ENGRAM_PROMPT_<KEY> variables, e.g. LEARNING_ENABLED="true"."""
    environment = {
        "ENGRAM_PROMPT_SOCKET": os.path.join(work, f"{name}.sock"), "ENGRAM_PROMPT_DAEMON_SOCKET": daemon.socket,
        "ENGRAM_PROMPT_UPSTREAM_BASE_URL": upstream_url,
        "ENGRAM_PROMPT_TEMPLATES_DIR": os.path.join(REPO, "config", "templates"), "ENGRAM_PROMPT_LOG_LEVEL": "info"}
    environment.update({f"ENGRAM_PROMPT_{key.upper()}": str(value) for key, value in settings.items()})
    return Process(binary, name, work, environment)

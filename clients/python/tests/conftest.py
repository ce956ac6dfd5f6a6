"""One real engramd for the session, started from Python like Tests/python does: an empty config
file (the built-in defaults) and ENGRAM_* environment variables, a work folder in /tmp (socket,
store, backups, log), ready once GET /v1/health answers 200 (polled against a generous deadline;
nothing here asserts a duration). The binary: $ENGRAMD_BIN (default .build/debug/engramd, waited
for while a build relinks it); the model: $ENGRAM_MODEL_DIR (default
.cache/models/all-MiniLM-L6-v2).

The client under test is the installed `engramd_client` package, not the source tree.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from engramd_client import Client
from pyclient_helpers import ACTOR, fresh_name

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
START_DEADLINE_S = 180


def _path(variable: str, default: str) -> str:
    return os.path.abspath(os.environ.get(variable) or os.path.join(REPO, default))


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    socket: str
    work: str
    log_path: str

    def log_tail(self, lines: int = 40) -> str:
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def healthy(self) -> bool:
        try:
            with httpx.Client(transport=httpx.HTTPTransport(uds=self.socket), timeout=10) as http:
                return http.get("http://engram/v1/health").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_engramd(binary: str, model_dir: str, work: str) -> Daemon:
    socket = os.path.join(work, "engramd.sock")
    config, log_path = os.path.join(work, "engramd.toml"), os.path.join(work, "engramd.log")
    open(config, "w").close()  # empty: the built-in defaults, then the environment
    env = {key: value for key, value in os.environ.items() if not key.startswith("ENGRAM_")}
    env.update(OPENBLAS_NUM_THREADS="1", ENGRAM_SOCKET=socket, ENGRAM_DATA_DIR=os.path.join(work, "data"),
               ENGRAM_MODEL_DIR=model_dir, ENGRAM_BACKUP_DIRS=os.path.join(work, "backups"),
               ENGRAM_LOG_LEVEL="warning")
    deadline = time.monotonic() + START_DEADLINE_S
    while True:  # the binary may be missing or busy for a moment while a build relinks it
        try:
            with open(log_path, "ab") as log:
                process = subprocess.Popen([binary, "--config", config], env=env, cwd=work, stdout=log,
                                           stderr=subprocess.STDOUT)
            break
        except OSError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"cannot start {binary}: {error} (set ENGRAMD_BIN, or build it)") from error
            time.sleep(1)
    daemon = Daemon(process, socket, work, log_path)
    while not daemon.healthy():
        if process.poll() is not None:
            raise RuntimeError(f"engramd exited with status {process.returncode}:\n{daemon.log_tail()}")
        if time.monotonic() > deadline:
            daemon.stop()
            raise RuntimeError(f"engramd did not answer /v1/health within {START_DEADLINE_S} s:\n{daemon.log_tail()}")
        time.sleep(0.1)
    return daemon


KEPT: list[str] = []


@pytest.fixture(scope="session")
def engramd(request: pytest.FixtureRequest) -> Iterator[Daemon]:
    model = _path("ENGRAM_MODEL_DIR", ".cache/models/all-MiniLM-L6-v2")
    if not os.path.isdir(model):
        pytest.exit(f"{model} is missing (set ENGRAM_MODEL_DIR, or fetch it: make model)", returncode=1)
    # In /tmp and short: socket paths are limited to 107 bytes.
    work = tempfile.mkdtemp(prefix="engram-pyclient-", dir="/tmp")
    daemon = start_engramd(_path("ENGRAMD_BIN", ".build/debug/engramd"), model, work)
    failed_before = request.session.testsfailed
    yield daemon
    status = daemon.stop()
    if request.session.testsfailed > failed_before or status != 0:
        KEPT.append(work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    assert status == 0, f"engramd did not stop cleanly:\n{daemon.log_tail()}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for path in KEPT:
        terminalreporter.write_line(f"engramd's log and store for the client tests, kept for the failures: {path}")


@pytest.fixture
def client(engramd: Daemon) -> Iterator[Client]:
    """A client of the session's engramd with the audit actor "pytest"."""
    with Client(engramd.socket, actor=ACTOR, timeout=120) as engram:
        yield engram


@pytest.fixture
def namespace(client: Client) -> str:
    """A new, empty namespace's name."""
    name = fresh_name()
    client.create_namespace(name)
    return name

"""Fixtures: one engramd and one fake upstream per session, engram-prompt in front of them, and
clients of the official `openai` SDK that reach engram-prompt over its Unix socket.

The session's engram-prompt calls the upstream with its own key (`upstream.api_key`
"sk-operator"), learning off. test_learning.py starts its own, with pass-through credentials
and learning on. Each test gets a fresh namespace holding one memory, and SDK clients that name
it in X-Engram-Namespace and never retry (so the upstream sees each call once).

Binaries: $ENGRAMD_BIN and $ENGRAM_PROMPT_BIN (default .build/debug/…); the model:
$ENGRAM_MODEL_DIR (default .cache/models/all-MiniLM-L6-v2).
"""
import os
import shutil
import tempfile
import uuid

import httpx
import openai
import pytest

from engram_processes import REPO, start_engramd, start_prompt
from fake_upstream import FakeUpstream

CLIENT_KEY = "sk-client-key"
OPERATOR_KEY = "sk-operator"
MEMORY = "Refunds are processed within five business days"


def _path(variable, default):
    path = os.path.abspath(os.environ.get(variable) or os.path.join(REPO, default))
    if not os.path.exists(path):
        pytest.exit(f"{path} is missing (set {variable}, or build it: swift build)", returncode=1)
    return path


KEPT = []  # the work folder, kept when a test failed


@pytest.fixture(scope="session")
def work_dir(request):
    """The processes' sockets, logs and store; in /tmp, short: socket paths are limited to 107 bytes."""
    path = tempfile.mkdtemp(prefix="engram-py-", dir="/tmp")
    yield path
    if request.session.testsfailed:
        KEPT.append(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    for path in KEPT:
        terminalreporter.write_line(f"engramd's and engram-prompt's logs and store, kept for the failures: {path}")


@pytest.fixture(scope="session")
def daemon(work_dir):
    process = start_engramd(_path("ENGRAMD_BIN", ".build/debug/engramd"),
                            _path("ENGRAM_MODEL_DIR", ".cache/models/all-MiniLM-L6-v2"), work_dir)
    yield process
    assert process.stop() == 0, f"engramd did not stop cleanly:\n{process.log_tail()}"


@pytest.fixture(scope="session")
def prompt_bin():
    return _path("ENGRAM_PROMPT_BIN", ".build/debug/engram-prompt")


@pytest.fixture(scope="session")
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def prompt(prompt_bin, daemon, upstream, work_dir):
    process = start_prompt(prompt_bin, daemon, upstream.base_url, work_dir, UPSTREAM_API_KEY=OPERATOR_KEY)
    yield process
    assert process.stop() == 0, f"engram-prompt did not stop cleanly:\n{process.log_tail()}"


def create_namespace(daemon, memories=()):
    """A new namespace in engramd holding `memories`: (name, [ids])."""
    name = f"py-{uuid.uuid4().hex[:12]}"
    status, document, _ = daemon.call("PUT", f"/v1/namespaces/{name}", {})
    assert status in (200, 201), document
    ids = []
    for text in memories:
        status, document, _ = daemon.call("POST", f"/v1/namespaces/{name}/memories", {"text": text})
        assert status in (200, 201), document
        ids.append(document["entry"]["id"])
    return name, ids


@pytest.fixture
def namespace(daemon):
    """A fresh namespace with MEMORY stored in it: (name, memory id)."""
    name, ids = create_namespace(daemon, [MEMORY])
    return name, ids[0]


def sdk_client(socket_path, namespace=None, api_key=CLIENT_KEY, asynchronous=False):
    headers = {"X-Engram-Namespace": namespace} if namespace else None
    if asynchronous:
        http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=socket_path))
        return openai.AsyncOpenAI(base_url="http://engram/v1", api_key=api_key, http_client=http,
                                  default_headers=headers, max_retries=0, timeout=120)
    http = httpx.Client(transport=httpx.HTTPTransport(uds=socket_path))
    return openai.OpenAI(base_url="http://engram/v1", api_key=api_key, http_client=http,
                         default_headers=headers, max_retries=0, timeout=120)


@pytest.fixture
def client(prompt, namespace):
    """An SDK client of the session's engram-prompt, in this test's namespace."""
    with sdk_client(prompt.socket, namespace[0]) as sdk:
        yield sdk

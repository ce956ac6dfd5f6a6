"""models.list() (the upstream's models and engramd's local embedding model) and
embeddings.create (served by engramd's MiniLM, never the upstream): a string and a list, float,
base64 and the SDK's default (it asks for base64 and decodes it to floats)."""
import base64
import math
import struct

import pytest

DIMENSION = 384


@pytest.fixture(scope="module")
def local_model(daemon):
    status, health, _ = daemon.call("GET", "/v1/health")
    assert status == 200
    return health["details"]["embedder"]


def test_models_list(client, upstream, local_model):
    before = len(upstream.seen(lambda r: r.path.endswith("/models")))
    raw = client.models.with_raw_response.list()
    ids = [model.id for model in raw.parse()]
    assert ids == ["fake-gpt", "fake-gpt-mini", local_model]
    assert raw.headers["x-engram-upstream-models"] == "ok"
    assert len(upstream.seen(lambda r: r.path.endswith("/models"))) == before + 1


def test_embeddings_of_one_string(client, upstream, local_model):
    calls = len(upstream.seen())
    result = client.embeddings.create(model="text-embedding-3-small", input="refunds take five days",
                                      encoding_format="float")
    assert result.model == local_model and len(result.data) == 1 and result.data[0].index == 0
    vector = result.data[0].embedding
    assert len(vector) == DIMENSION and all(isinstance(x, float) for x in vector)
    assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-3)  # MiniLM's are normalized
    assert result.usage.prompt_tokens > 0 and result.usage.total_tokens == result.usage.prompt_tokens
    again = client.embeddings.create(model="any", input="refunds take five days", encoding_format="float")
    assert again.data[0].embedding == vector
    assert len(upstream.seen()) == calls, "embeddings must not reach the upstream"


def test_embeddings_of_a_list_in_every_encoding(client):
    texts = ["refunds take five days", "the VPN needs the 2FA app", "refunds take five days"]
    floats = client.embeddings.create(model="any", input=texts, encoding_format="float")
    assert [item.index for item in floats.data] == [0, 1, 2]
    vectors = [item.embedding for item in floats.data]
    assert all(len(v) == DIMENSION for v in vectors)
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]

    encoded = client.embeddings.create(model="any", input=texts, encoding_format="base64")
    for item, vector in zip(encoded.data, vectors):
        assert isinstance(item.embedding, str)
        decoded = struct.unpack(f"<{DIMENSION}f", base64.b64decode(item.embedding))
        assert decoded == pytest.approx(vector, abs=1e-6)

    default = client.embeddings.create(model="any", input=texts)  # the SDK asks base64, decodes to floats
    for item, vector in zip(default.data, vectors):
        assert len(item.embedding) == DIMENSION and item.embedding == pytest.approx(vector, abs=1e-6)
    assert default.usage.prompt_tokens == floats.usage.prompt_tokens > 0

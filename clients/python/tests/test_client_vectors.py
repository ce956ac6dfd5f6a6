"""Vectors: encoding, decoding, embeddings, vectors on remember and edit."""
from __future__ import annotations

import base64
import struct

import numpy as np
import pytest

from engramd_client import Client, decode_vector, encode_vector


def test_encode_vector_is_little_endian_float32_base64() -> None:
    values = [1.0, -2.5, 0.1]
    encoded = encode_vector(values)
    assert base64.b64decode(encoded) == struct.pack("<3f", *values)
    assert encode_vector(np.array(values, dtype=np.float64)) == encoded
    assert encode_vector(np.array(values, dtype=">f4")) == encoded
    assert encode_vector((1, -2.5, 0.1)) == encoded
    assert decode_vector(encoded) == [1.0, -2.5, float(np.float32(0.1))]
    decoded = decode_vector(encoded, numpy=True)
    assert decoded.dtype == np.float32 and np.array_equal(decoded, np.array(values, dtype=np.float32))


def test_bad_vectors_are_refused_before_sending() -> None:
    with pytest.raises(ValueError):
        encode_vector(np.zeros((2, 3)))
    with pytest.raises(TypeError):
        encode_vector(["a", "b"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        encode_vector("abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        decode_vector(base64.b64encode(b"12345").decode())


def test_embed_returns_unit_vectors_as_lists_and_numpy(client: Client) -> None:
    embeddings = client.embed(["hello world", "goodbye"])
    assert embeddings.dimension == 384 and "MiniLM" in embeddings.model
    assert len(embeddings.vectors) == 2 and all(len(v) == 384 for v in embeddings.vectors)
    assert isinstance(embeddings.vectors[0], list) and isinstance(embeddings.vectors[0][0], float)
    array = embeddings.array()
    assert array.shape == (2, 384) and array.dtype == np.float32
    assert np.allclose(np.linalg.norm(array, axis=1), 1.0, atol=1e-4)
    assert embeddings.tokens is None or embeddings.tokens > 0
    assert client.embed("hello world").vectors[0] == embeddings.vectors[0]


def test_a_given_vector_is_stored_instead_of_embedding(client: Client, namespace: str) -> None:
    # A vector unrelated to the text: the daemon keeps it as given (search finds it by that vector).
    axis = np.zeros(384, dtype=np.float32)
    axis[7] = 1.0
    entry = client.remember(namespace, "a text whose vector is an axis", vector=axis).entry
    other = client.remember(namespace, "another memory").entry
    assert client.search(namespace, vector=axis, k=1)[0].entry.id == entry.id

    # An edit's vector comes with a new text and travels as a JSON array (the route takes no
    # vector_b64).
    axis2 = [0.0] * 384
    axis2[9] = 1.0
    client.edit(namespace, other.id, text="another memory, edited", vector=axis2)
    hit = client.search(namespace, vector=axis2, k=1)[0]
    assert hit.entry.id == other.id and hit.similarity == pytest.approx(1.0, abs=1e-6)
    exported = {e["id"]: e for page in client.iter_export(namespace) for e in page.entries}
    assert decode_vector(exported[other.id]["vector_b64"]) == axis2
    assert np.array_equal(decode_vector(exported[entry.id]["vector_b64"], numpy=True), axis)


def test_learn_with_a_vector(client: Client, namespace: str) -> None:
    vector = client.embed(["Parking is free after six"]).vectors[0]
    learned = client.learn(namespace, "Parking is free after six", vector=vector)
    assert learned.action == "created"
    again = client.learn(namespace, "Parking is free after six", vector=np.asarray(vector))
    assert again.action == "reinforced" and again.similarity == pytest.approx(1.0, abs=1e-5)

"""Vectors on the wire: lists of floats or numpy arrays in, `vector_b64` (base64 of
little-endian float32) or a JSON array out; numpy is optional."""

from __future__ import annotations

import base64
import math
import struct
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Union, overload

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    FloatArray = numpy.typing.NDArray[numpy.float32]

#: A vector as the client accepts it: a sequence of numbers, or a one-dimensional numpy array.
VectorLike = Union[Sequence[float], "numpy.typing.NDArray[Any]"]


def _numpy() -> Any:
    """The numpy module, or None when it is not importable."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _require_numpy() -> Any:
    numpy = _numpy()
    if numpy is None:
        raise ImportError("numpy is not installed (pip install numpy); without it, use the lists "
                          "(e.g. Embeddings.vectors)")
    return numpy


def _is_array(vector: object) -> bool:
    # Without importing numpy when the caller never did: an ndarray implies numpy is loaded.
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(vector, numpy.ndarray)


def to_float32_bytes(vector: VectorLike) -> bytes:
    """The vector as little-endian float32 bytes (a numpy array must be one-dimensional)."""
    if _is_array(vector):
        array: Any = vector
        if array.ndim != 1:
            raise ValueError(f"a vector must be one-dimensional, got an array of shape {array.shape}")
        raw: bytes = array.astype("<f4", copy=False).tobytes()
        return raw
    if isinstance(vector, (str, bytes)):
        raise TypeError("a vector is a sequence of numbers, not a string")
    values = list(vector)
    try:
        return struct.pack(f"<{len(values)}f", *values)
    except struct.error as error:
        raise TypeError(f"a vector holds numbers: {error}") from None
    except OverflowError as error:
        raise ValueError(f"cannot encode the vector as float32: {error}") from None


def encode_vector(vector: VectorLike) -> str:
    """`vector_b64`: base64 of the vector's little-endian float32 values."""
    return base64.b64encode(to_float32_bytes(vector)).decode("ascii")


def vector_as_list(vector: VectorLike) -> list[float]:
    """The vector as a JSON array of numbers, each rounded to float32 as the daemon stores it."""
    raw = to_float32_bytes(vector)
    values = [float(v) for v in struct.unpack(f"<{len(raw) // 4}f", raw)]
    for value in values:
        if not math.isfinite(value):
            raise ValueError("a vector sent as a JSON array must be finite")
    return values


@overload
def decode_vector(encoded: str, *, numpy: Literal[False] = ...) -> list[float]: ...


@overload
def decode_vector(encoded: str, *, numpy: Literal[True]) -> FloatArray: ...


def decode_vector(encoded: str, *, numpy: bool = False) -> list[float] | FloatArray:
    """A `vector_b64` decoded: a list of floats, or with ``numpy=True`` a float32 array."""
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) % 4:
        raise ValueError(f"{len(raw)} bytes is not a whole number of float32 values")
    if numpy:
        np = _require_numpy()
        array: FloatArray = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        return array
    return [float(v) for v in struct.unpack(f"<{len(raw) // 4}f", raw)]


def vectors_as_array(vectors: list[list[float]]) -> FloatArray:
    """Rows of equal length as a two-dimensional float32 array."""
    np = _require_numpy()
    array: FloatArray = np.asarray(vectors, dtype=np.float32)
    return array

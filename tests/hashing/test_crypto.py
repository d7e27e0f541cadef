"""One pass gives the same digests as hashlib, for buffers and streams of any size."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from vigil.hashing.crypto import hash_bytes, hash_stream


@pytest.mark.parametrize("size", [0, 1, 4095, 1 << 20, (1 << 20) + 7, 3 * (1 << 20)])
def test_matches_hashlib(size: int) -> None:
    data = os.urandom(size)
    for digests in (hash_bytes(data), hash_stream(io.BytesIO(data), block_bytes=65536)):
        assert digests.md5 == hashlib.md5(data).digest()
        assert digests.sha1 == hashlib.sha1(data).digest()
        assert digests.sha256 == hashlib.sha256(data).digest()
        assert digests.size == size


class _NoReadinto(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    readinto = None  # type: ignore[assignment]


def test_streams_without_readinto() -> None:
    data = os.urandom(300_000)
    assert hash_stream(_NoReadinto(data), block_bytes=4096).sha256 == hashlib.sha256(data).digest()

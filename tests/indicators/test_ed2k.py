"""MD4 (RFC 1320 test suite) and the ed2k hash of one and of several chunks."""

from __future__ import annotations

import io

import pytest

from vigil.indicators import ed2k
from vigil.indicators.ed2k import MD4, ed2k_hashes, md4


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
        (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
        (b"message digest", "d9130a8164549fe818874806e1c7014b"),
        (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ],
)
def test_rfc_1320_vectors(message: bytes, digest: str) -> None:
    assert md4(message).hex() == digest


def test_incremental_updates_give_the_same_digest() -> None:
    data = bytes(range(256)) * 5
    h = MD4()
    for start in range(0, len(data), 37):
        h.update(data[start : start + 37])
    assert h.digest() == md4(data)
    assert h.digest() == md4(data)  # digest() does not disturb the state


def test_a_file_under_one_chunk_is_its_md4() -> None:
    data = b"x" * 1000
    assert ed2k_hashes(io.BytesIO(data)) == {md4(data).hex()}


def test_several_chunks_hash_the_chunk_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ed2k, "CHUNK_BYTES", 100)
    data = bytes(range(250))
    parts = [md4(data[0:100]), md4(data[100:200]), md4(data[200:250])]
    assert ed2k_hashes(io.BytesIO(data)) == {md4(b"".join(parts)).hex()}


def test_an_exact_multiple_gives_both_conventions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ed2k, "CHUNK_BYTES", 100)
    data = bytes(range(200))
    parts = [md4(data[0:100]), md4(data[100:200])]
    assert ed2k_hashes(io.BytesIO(data)) == {
        md4(b"".join(parts)).hex(),
        md4(b"".join([*parts, md4(b"")])).hex(),
    }

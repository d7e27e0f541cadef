"""LUKS2 headers are hostile: sizes and work factors are bounded before anything is derived."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest

from vigil.sources.disk import luks2

SALT = base64.b64encode(bytes(32)).decode()


def _volume(metadata: dict[str, Any], header_size: int = 16384) -> io.BytesIO:
    binary = bytearray(4096)
    binary[:8] = b"LUKS\xba\xbe\x00\x02"
    binary[8:16] = header_size.to_bytes(8, "big")
    text = json.dumps(metadata).encode()
    return io.BytesIO(bytes(binary) + text + bytes(header_size - 4096 - len(text)) + bytes(1 << 20))


def _slot(kdf: dict[str, Any], stripes: int = 4000) -> dict[str, Any]:
    return {
        "type": "luks2",
        "key_size": 64,
        "af": {"type": "luks1", "stripes": stripes, "hash": "sha256"},
        "area": {
            "type": "raw",
            "offset": "32768",
            "size": "258048",
            "encryption": "aes-xts-plain64",
            "key_size": 64,
        },
        "kdf": kdf,
    }


@pytest.mark.parametrize(
    ("kdf", "stripes", "why"),
    [
        ({"type": "pbkdf2", "hash": "sha256", "iterations": 10**12, "salt": SALT}, 4000, "iter"),
        (
            {"type": "argon2id", "time": 4, "memory": 1 << 30, "cpus": 1, "salt": SALT},
            4000,
            "Argon2",
        ),
        ({"type": "pbkdf2", "hash": "md4", "iterations": 1, "salt": SALT}, 4000, "hash"),
        ({"type": "scrypt", "salt": SALT}, 4000, "derivation"),
        ({"type": "pbkdf2", "hash": "sha256", "iterations": 1, "salt": SALT}, 10**9, "sizes"),
    ],
)
def test_work_factors_and_sizes_are_bounded(kdf: dict[str, Any], stripes: int, why: str) -> None:
    stream = _volume({"keyslots": {"0": _slot(kdf, stripes)}, "digests": {}, "segments": {}})
    metadata = luks2.read_metadata(stream)
    with pytest.raises(luks2.Luks2Error, match=why):
        luks2.volume_key(stream, metadata, b"pw")


@pytest.mark.parametrize("header_size", [0, 4096, 1 << 40])
def test_header_size_is_bounded(header_size: int) -> None:
    with pytest.raises(luks2.Luks2Error, match="header size"):
        luks2.read_metadata(_broken(header_size))


def _broken(header_size: int) -> io.BytesIO:
    binary = bytearray(8192)
    binary[:8] = b"LUKS\xba\xbe\x00\x02"
    binary[8:16] = header_size.to_bytes(8, "big")
    return io.BytesIO(bytes(binary))


XTS = "aes-xts-plain64"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"encryption": "aes-cbc-essiv:sha256"}, "cipher"),
        ({"sector_size": 3}, "sector"),
        ({"offset": str(1 << 40)}, "outside"),
    ],
)
def test_data_segment_is_checked(changes: dict[str, Any], why: str) -> None:
    segment = {"type": "crypt", "offset": "0", "size": "dynamic", "encryption": XTS} | changes
    with pytest.raises(luks2.Luks2Error, match=why):
        luks2.data_segment({"segments": {"0": segment}}, 1 << 20)


def test_metadata_that_is_no_json_is_named() -> None:
    stream = _broken(16384)
    with pytest.raises(luks2.Luks2Error, match="not JSON"):
        luks2.read_metadata(io.BytesIO(stream.getvalue()[:4096] + b"{not json" + bytes(20000)))

"""LUKS2 volumes opened with a passphrase, in pure Python (libluksde reads LUKS1 only).

Per the LUKS2 on-disk format (cryptsetup, docs/on-disk-format-luks2.pdf): a
4 KiB binary header, then JSON metadata naming keyslots, digests and data
segments. A passphrase opens a keyslot: its KDF (PBKDF2 or Argon2i/id) gives
the key of the keyslot area, whose AES-XTS-decrypted content is the volume key
split by the anti-forensic splitter (AF, as LUKS1); the merged key is checked
against the PBKDF2 digest. The data segment is then AES-XTS (plain64 IVs,
counted in the segment's sector size, as dm-crypt's ``iv_large_sectors``).

Only ``aes-xts-plain64`` is read (cryptsetup's default since 2.0); anything
else is named. The header is hostile: every size and work factor is bounded
before anything is read or derived.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from typing import Any, BinaryIO

import numpy as np
from Cryptodome.Cipher import AES

from vigil.sources.positional import PositionalStream

BINARY_HEADER_BYTES = 4096
MAX_JSON_BYTES = 4 << 20  # cryptsetup's largest metadata area is 4 MiB
MAX_AREA_BYTES = 16 << 20  # a keyslot area: 512-bit key × 4000 stripes is 256 KiB
MAX_PBKDF2_ITERATIONS = 50_000_000
MAX_ARGON2_MEMORY_KIB = 4 << 20  # cryptsetup's ceiling (4 GiB)
MAX_ARGON2_TIME = 1000
CIPHER = "aes-xts-plain64"


class Luks2Error(ValueError):
    """A LUKS2 header Vigil cannot read (the message says what)."""


def read_metadata(stream: BinaryIO) -> dict[str, Any]:
    """The JSON metadata of the LUKS2 volume in ``stream`` (primary header)."""
    stream.seek(0)
    binary = stream.read(BINARY_HEADER_BYTES)
    if len(binary) < BINARY_HEADER_BYTES or binary[:8] != b"LUKS\xba\xbe\x00\x02":
        raise Luks2Error("not a LUKS2 header")
    header_size = int.from_bytes(binary[8:16], "big")
    if not BINARY_HEADER_BYTES < header_size <= BINARY_HEADER_BYTES + MAX_JSON_BYTES:
        raise Luks2Error(f"LUKS2 header size {header_size} out of bounds")
    text = stream.read(header_size - BINARY_HEADER_BYTES).split(b"\x00", 1)[0]
    try:
        metadata = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Luks2Error(f"LUKS2 metadata is not JSON: {exc}") from exc
    if not isinstance(metadata, dict):
        raise Luks2Error("LUKS2 metadata is not a JSON object")
    return metadata


def volume_key(stream: BinaryIO, metadata: dict[str, Any], passphrase: bytes) -> bytes | None:
    """The volume key that ``passphrase`` opens, or None when it opens no keyslot."""
    digests = [d for d in _values(metadata, "digests") if d.get("type") == "pbkdf2"]
    for slot_id, slot in _items(metadata, "keyslots"):
        if slot.get("type") != "luks2":
            continue
        key = _open_keyslot(stream, slot, passphrase)
        if key is None:
            continue
        for digest in digests:
            if slot_id in digest.get("keyslots", []) and _digest_matches(digest, key):
                return key
    return None


def data_segment(metadata: dict[str, Any], volume_size: int) -> tuple[int, int, int, int]:
    """(offset, size, sector size, IV tweak) of the first crypt segment, in bytes/sectors."""
    segments = sorted(_items(metadata, "segments"), key=lambda item: int(item[0]))
    for _, segment in segments:
        if segment.get("type") != "crypt":
            continue
        if segment.get("encryption") != CIPHER:
            raise Luks2Error(f"LUKS2 data cipher {segment.get('encryption')!r} is not supported")
        offset = _int(segment.get("offset"), "segment offset")
        sector = _int(segment.get("sector_size", 512), "sector size")
        if sector not in (512, 1024, 2048, 4096):
            raise Luks2Error(f"LUKS2 sector size {sector} out of bounds")
        raw_size = segment.get("size")
        size = volume_size - offset if raw_size == "dynamic" else _int(raw_size, "segment size")
        if offset < 0 or size <= 0 or offset + size > volume_size:
            raise Luks2Error("LUKS2 data segment lies outside the volume")
        return offset, size - size % sector, sector, _int(segment.get("iv_tweak", 0), "IV tweak")
    raise Luks2Error("LUKS2 volume has no crypt data segment")


class Luks2Stream(PositionalStream):
    """The decrypted data segment of a LUKS2 volume: read-only, seekable."""

    def __init__(self, parent: BinaryIO, key: bytes, segment: tuple[int, int, int, int]) -> None:
        self._parent = parent
        self._offset, self.size, self._sector, self._tweak = segment
        self._xts = _Xts(key)
        self._lock = threading.Lock()

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        first = pos // self._sector
        last = -(-min(pos + n_bytes, self.size) // self._sector)
        with self._lock:
            self._parent.seek(self._offset + first * self._sector)
            data = self._parent.read((last - first) * self._sector)
        whole = len(data) - len(data) % self._sector
        plain = self._xts.decrypt(data[:whole], self._tweak + first, self._sector)
        skip = pos - first * self._sector
        return plain[skip : skip + n_bytes]


def _open_keyslot(stream: BinaryIO, slot: dict[str, Any], passphrase: bytes) -> bytes | None:
    area, kdf, af = slot.get("area") or {}, slot.get("kdf") or {}, slot.get("af") or {}
    if area.get("type") != "raw" or area.get("encryption") != CIPHER:
        return None  # a keyslot of a cipher not read here: try the next one
    if af.get("type") != "luks1":
        return None
    key_size = _int(slot.get("key_size"), "key size")
    area_key_size = _int(area.get("key_size"), "keyslot key size")
    stripes = _int(af.get("stripes"), "AF stripes")
    if key_size not in (32, 64) or area_key_size not in (32, 64) or not 1 <= stripes <= 4000:
        raise Luks2Error("LUKS2 keyslot sizes out of bounds")
    length = -(-key_size * stripes // 512) * 512
    offset, size = _int(area.get("offset"), "area offset"), _int(area.get("size"), "area size")
    if length > min(size, MAX_AREA_BYTES):
        raise Luks2Error("LUKS2 keyslot area too small or too large")
    area_key = _derive(kdf, passphrase, area_key_size)
    stream.seek(offset)
    sealed = stream.read(length)
    if len(sealed) != length:
        raise Luks2Error("LUKS2 keyslot area is cut short")
    split = _Xts(area_key).decrypt(sealed, 0, 512)
    return _af_merge(split[: key_size * stripes], key_size, stripes, _hash_name(af.get("hash")))


def _derive(kdf: dict[str, Any], passphrase: bytes, length: int) -> bytes:
    salt = _b64(kdf.get("salt"))
    kind = kdf.get("type")
    if kind == "pbkdf2":
        iterations = _int(kdf.get("iterations"), "PBKDF2 iterations")
        if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
            raise Luks2Error(f"LUKS2 PBKDF2 iterations {iterations} out of bounds")
        name = _hash_name(kdf.get("hash"))
        return hashlib.pbkdf2_hmac(name, passphrase, salt, iterations, length)
    if kind in ("argon2i", "argon2id"):
        from argon2.low_level import Type, hash_secret_raw

        time_cost, memory = _int(kdf.get("time"), "time"), _int(kdf.get("memory"), "memory")
        lanes = _int(kdf.get("cpus"), "cpus")
        if not (
            1 <= time_cost <= MAX_ARGON2_TIME
            and 8 <= memory <= MAX_ARGON2_MEMORY_KIB
            and 1 <= lanes <= 64
        ):
            raise Luks2Error("LUKS2 Argon2 parameters out of bounds")
        variant = Type.ID if kind == "argon2id" else Type.I
        return hash_secret_raw(passphrase, salt, time_cost, memory, lanes, length, variant)
    raise Luks2Error(f"LUKS2 key derivation {kind!r} is not supported")


def _af_merge(split: bytes, key_size: int, stripes: int, hash_name: str) -> bytes:
    """The LUKS anti-forensic merge: diffuse the XOR of each stripe into the next."""
    block = bytes(key_size)
    for index in range(stripes - 1):
        stripe = split[index * key_size : (index + 1) * key_size]
        block = _diffuse(_xor(block, stripe), hash_name)
    return _xor(block, split[(stripes - 1) * key_size :])


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _diffuse(data: bytes, hash_name: str) -> bytes:
    digest_size = hashlib.new(hash_name).digest_size
    out = bytearray()
    for number, start in enumerate(range(0, len(data), digest_size)):
        chunk = data[start : start + digest_size]
        out += hashlib.new(hash_name, number.to_bytes(4, "big") + chunk).digest()[: len(chunk)]
    return bytes(out)


def _digest_matches(digest: dict[str, Any], key: bytes) -> bool:
    iterations = _int(digest.get("iterations"), "digest iterations")
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise Luks2Error(f"LUKS2 digest iterations {iterations} out of bounds")
    expected = _b64(digest.get("digest"))
    salt = _b64(digest.get("salt"))
    name = _hash_name(digest.get("hash"))
    found = hashlib.pbkdf2_hmac(name, key, salt, iterations, len(expected))
    return bool(expected) and hmac.compare_digest(found, expected)


class _Xts:
    """AES-XTS decryption with plain64 IVs (sector numbers, little-endian), NumPy-vectorised."""

    def __init__(self, key: bytes) -> None:
        half = len(key) // 2
        self._data = AES.new(key[:half], AES.MODE_ECB)
        self._tweak = AES.new(key[half:], AES.MODE_ECB)

    def decrypt(self, data: bytes, first_sector: int, sector_size: int) -> bytes:
        count = len(data) // sector_size
        if count == 0:
            return b""
        numbers = np.arange(first_sector, first_sector + count, dtype=np.uint64)
        ivs = np.zeros((count, 2), dtype="<u8")
        ivs[:, 0] = numbers
        tweaks = np.frombuffer(self._tweak.encrypt(ivs.tobytes()), dtype="<u8").reshape(count, 2)
        blocks = sector_size // 16
        mask = np.empty((count, blocks, 2), dtype="<u8")
        low, high = tweaks[:, 0].copy(), tweaks[:, 1].copy()
        for index in range(blocks):  # T·x^j in GF(2^128), little-endian
            mask[:, index, 0], mask[:, index, 1] = low, high
            carry = high >> np.uint64(63)
            high = (high << np.uint64(1)) | (low >> np.uint64(63))
            low = (low << np.uint64(1)) ^ (carry * np.uint64(0x87))
        flat = mask.reshape(-1)
        whitened = np.frombuffer(data, dtype="<u8") ^ flat
        out = bytearray(len(data))
        self._data.decrypt(whitened.data.cast("B"), output=out)
        plain = np.frombuffer(out, dtype="<u8")
        plain ^= flat
        return bytes(out)


def _items(metadata: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    table = metadata.get(name)
    if not isinstance(table, dict):
        return []
    return [(str(k), v) for k, v in table.items() if isinstance(v, dict)]


def _values(metadata: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [value for _, value in _items(metadata, name)]


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Luks2Error(f"LUKS2 {what} is not a number") from exc


def _b64(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError as exc:
        raise Luks2Error("LUKS2 salt or digest is not base64") from exc


def _hash_name(value: Any) -> str:
    name = str(value).lower()
    if name not in ("sha1", "sha256", "sha512", "sha384", "sha224"):
        raise Luks2Error(f"LUKS2 hash {value!r} is not supported")
    return name

"""Android ``adb backup`` files (``.ab``): a text header, then a tar, maybe deflated and encrypted.

Header lines (each ending in ``\\n``): ``ANDROID BACKUP``, the format version
(1–5), ``1`` or ``0`` for zlib compression, and ``none`` or ``AES-256``. An
encrypted backup then has five more lines: the user-key salt, the checksum
salt, the PBKDF2 round count, the user-key IV and the encrypted master-key
blob (all hex but the rounds). The user key is PBKDF2-HMAC-SHA1 of the
password (32 bytes); it decrypts (AES-256-CBC) the blob, which holds the
master IV, the master key and a checksum of the key; the master key decrypts
the rest of the file (AES-256-CBC, PKCS#7), which is then inflated when
compressed. The tar inside uses Android's layout (``apps/<package>/f/…``,
``shared/0/DCIM/…``).

Without a password (``--key EXHIBIT=passphrase:…``) an encrypted backup is
reported as one ``encrypted`` note; a wrong password too, in words.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from Cryptodome.Cipher import AES

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import CountingReader, as_binary, limited_stream
from vigil.sources.archives.tar import iter_tar
from vigil.sources.keys import passphrases

MAGIC = b"ANDROID BACKUP\n"
LAYER = "adb"
HEADER_LINE_MAX = 1024
MAX_ROUNDS = 10_000_000
"""Android uses 10 000 rounds; more is an attempt to stall the scan."""
READ_BYTES = 1 << 16
_INFLATE_STEP = 1 << 22  # bytes of output per inflate call: a bomb never lands at once


class AdbBackupError(ValueError):
    """The header of an adb backup cannot be read."""


@dataclass(frozen=True, slots=True)
class AdbHeader:
    """What the text header of an adb backup says; ``data_offset`` is where the payload starts."""

    version: int
    compressed: bool
    encryption: str
    data_offset: int
    user_salt: bytes = b""
    checksum_salt: bytes = b""
    rounds: int = 0
    user_iv: bytes = b""
    master_blob: bytes = b""


def read_header(stream: BinaryIO) -> AdbHeader:
    """Parse the header at the start of ``stream``; raises :class:`AdbBackupError` in words."""
    stream.seek(0)
    if stream.read(len(MAGIC)) != MAGIC:
        raise AdbBackupError("not an adb backup (no ANDROID BACKUP header)")
    lines = [_line(stream) for _ in range(3)]
    try:
        version, compressed = int(lines[0]), int(lines[1])
    except ValueError as exc:
        raise AdbBackupError(f"unreadable version or compression line: {exc}") from exc
    if compressed not in (0, 1):
        raise AdbBackupError(f"compression flag {compressed} is neither 0 nor 1")
    encryption = lines[2]
    if encryption == "none":
        return AdbHeader(version, bool(compressed), encryption, stream.tell())
    if encryption != "AES-256":
        raise AdbBackupError(f"unknown encryption {encryption[:40]!r}")
    fields = [_line(stream) for _ in range(5)]
    try:
        user_salt, checksum_salt = bytes.fromhex(fields[0]), bytes.fromhex(fields[1])
        rounds = int(fields[2])
        user_iv, blob = bytes.fromhex(fields[3]), bytes.fromhex(fields[4])
    except ValueError as exc:
        raise AdbBackupError(f"unreadable encryption header: {exc}") from exc
    if not 1 <= rounds <= MAX_ROUNDS or len(user_iv) != 16 or len(blob) % 16:
        raise AdbBackupError("implausible encryption header (rounds, IV or key blob)")
    return AdbHeader(
        version, bool(compressed), encryption, stream.tell(),
        user_salt, checksum_salt, rounds, user_iv, blob,
    )  # fmt: skip


def _line(stream: BinaryIO) -> str:
    raw = stream.readline(HEADER_LINE_MAX)
    if not raw.endswith(b"\n"):
        raise AdbBackupError("header line missing or too long")
    return raw[:-1].decode("ascii", "replace")


class WrongPassword(ValueError):
    """No given password opens the backup's master key."""


def master_key(header: AdbHeader, password: str) -> tuple[bytes, bytes]:
    """The (key, IV) of the payload, unlocked with ``password``; raises :class:`WrongPassword`."""
    user_key = hashlib.pbkdf2_hmac("sha1", password.encode("utf-8"), header.user_salt,
                                   header.rounds, 32)  # fmt: skip
    plain = AES.new(user_key, AES.MODE_CBC, header.user_iv).decrypt(header.master_blob)
    try:
        plain = _unpad(plain)
        iv, pos = _chunk(plain, 0)
        key, pos = _chunk(plain, pos)
        checksum, _ = _chunk(plain, pos)
    except ValueError as exc:
        raise WrongPassword("the password does not open this backup") from exc
    if len(key) != 32 or len(iv) != 16 or checksum != key_checksum(header, key):
        raise WrongPassword("the password does not open this backup")
    return key, iv


def key_checksum(header: AdbHeader, key: bytes) -> bytes:
    """Android's checksum of the master key: PBKDF2 of its bytes as Java chars.

    Version 1 used the bytes as they are; later versions the UTF-8 of Java's
    sign-extended ``(char) byte`` (an Android bug kept for compatibility).
    """
    if header.version >= 2:
        chars = "".join(chr(b if b < 0x80 else 0xFF00 | b) for b in key)
        material = chars.encode("utf-8")
    else:
        material = key
    return hashlib.pbkdf2_hmac("sha1", material, header.checksum_salt, header.rounds, 32)


def _chunk(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos >= len(data):
        raise ValueError("master key blob too short")
    size = data[pos]
    end = pos + 1 + size
    if end > len(data):
        raise ValueError("master key blob too short")
    return data[pos + 1 : end], end


def _unpad(data: bytes) -> bytes:
    if not data or not 1 <= data[-1] <= 16 or data[-data[-1] :] != bytes([data[-1]]) * data[-1]:
        raise ValueError("bad padding")
    return data[: -data[-1]]


class _Payload:
    """The tar bytes of a backup: decrypted (AES-256-CBC) and inflated as they are read."""

    def __init__(self, raw: Any, header: AdbHeader, key: tuple[bytes, bytes] | None) -> None:
        self._raw = raw
        self._cipher = None if key is None else AES.new(key[0], AES.MODE_CBC, key[1])
        self._inflate = zlib.decompressobj() if header.compressed else None
        self._pending = b""  # decrypted bytes held back until padding can be judged
        self._out = bytearray()
        self._ended = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the tar (all when negative)."""
        while not self._ended and (size < 0 or len(self._out) < size):
            self._fill()
        if size < 0:
            size = len(self._out)
        data = bytes(self._out[:size])
        del self._out[:size]
        return data

    def _fill(self) -> None:
        inflate = self._inflate
        if inflate is not None and inflate.unconsumed_tail:
            # Input already held expands further: hand that over before reading more.
            self._out += inflate.decompress(inflate.unconsumed_tail, _INFLATE_STEP)
            return
        block = self._raw.read(READ_BYTES)
        plain = self._decrypt(block)
        self._out += plain if inflate is None else inflate.decompress(plain, _INFLATE_STEP)
        if not block and (inflate is None or not inflate.unconsumed_tail):
            self._ended = True

    def _decrypt(self, block: bytes) -> bytes:
        if self._cipher is None:
            return block
        data = self._pending + block
        if not block:
            self._pending = b""
            if len(data) % 16:
                raise ValueError("encrypted payload is not a whole number of AES blocks")
            return _unpad(self._cipher.decrypt(data)) if data else b""
        keep = 16 + len(data) % 16  # the last block may carry the padding
        usable = len(data) - keep
        self._pending = data[usable:]
        return self._cipher.decrypt(data[:usable])

    def close(self) -> None:
        """Nothing of its own to release: the evidence stream belongs to the caller."""


class AdbBackupReader(ContainerReader):
    """Lists the tar inside an adb backup, decrypting with a given passphrase."""

    layer = LAYER

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        header = read_header(stream)
        key = None
        if header.encryption != "none":
            secrets = passphrases()
            if not secrets:
                yield scan.note(
                    "encrypted",
                    "adb backup encrypted with a password (AES-256): give it with "
                    "--key EXHIBIT=passphrase:…",
                )
                return
            for secret in secrets:
                try:
                    key = master_key(header, secret)
                    break
                except WrongPassword:
                    continue
            if key is None:
                yield scan.note(
                    "encrypted", "adb backup encrypted; none of the passwords given opens it"
                )
                return
        stream.seek(header.data_offset)
        counter = CountingReader(stream)
        payload = _Payload(as_binary(counter), header, key)
        budget = scan.budget if header.compressed else None
        data = limited_stream(payload, scan.outer.name, scan.limits, budget, counter.consumed, None)
        yield from iter_tar(data, scan, compressed=header.compressed)


CONTAINER_TYPES["adb-backup"] = AdbBackupReader()

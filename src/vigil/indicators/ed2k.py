"""The eDonkey (ed2k) file hash, to match an eMule ``known.met`` entry to a renamed file.

ed2k is MD4 (RFC 1320) of the file when it is shorter than one 9,728,000-byte
chunk, else MD4 of the concatenated MD4s of its chunks. For a size that is an
exact multiple of the chunk, clients disagree: the original eDonkey client
appends the MD4 of an empty chunk, others do not; both are returned. OpenSSL
3 no longer offers MD4, so it is written out here (pure Python, a few MB/s:
used only for the few same-size candidates of an entry).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from vigil.indicators.linking import Linked
from vigil.sources.reopen import open_item

CHUNK_BYTES = 9_728_000
_MASK = 0xFFFFFFFF
_ROUND2 = (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)
_ROUND3 = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)


def _rotl(x: int, s: int) -> int:
    x &= _MASK
    return ((x << s) | (x >> (32 - s))) & _MASK


class MD4:
    """Incremental MD4 (RFC 1320)."""

    def __init__(self) -> None:
        self.state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
        self.buffer = b""
        self.length = 0

    def update(self, data: bytes) -> None:
        """Feed more bytes."""
        self.length += len(data)
        data = self.buffer + data
        full = len(data) - len(data) % 64
        for start in range(0, full, 64):
            self._block(data[start : start + 64])
        self.buffer = data[full:]

    def digest(self) -> bytes:
        """The 16-byte digest of everything fed so far."""
        tail = self.buffer + b"\x80" + bytes((55 - len(self.buffer)) % 64)
        tail += struct.pack("<Q", (self.length * 8) & 0xFFFFFFFFFFFFFFFF)
        saved = list(self.state)
        for start in range(0, len(tail), 64):
            self._block(tail[start : start + 64])
        out = struct.pack("<4I", *self.state)
        self.state = saved
        return out

    def _block(self, block: bytes) -> None:
        x = struct.unpack("<16I", block)
        a, b, c, d = self.state
        for i in range(16):
            f = (b & c) | (~b & d)
            a, b, c, d = d, _rotl(a + f + x[i], (3, 7, 11, 19)[i % 4]), b, c
        for i in range(16):
            g = (b & c) | (b & d) | (c & d)
            a, b, c, d = d, _rotl(a + g + x[_ROUND2[i]] + 0x5A827999, (3, 5, 9, 13)[i % 4]), b, c
        for i in range(16):
            h = b ^ c ^ d
            a, b, c, d = d, _rotl(a + h + x[_ROUND3[i]] + 0x6ED9EBA1, (3, 9, 11, 15)[i % 4]), b, c
        self.state = [(s + v) & _MASK for s, v in zip(self.state, (a, b, c, d), strict=True)]


def md4(data: bytes) -> bytes:
    """MD4 of ``data``."""
    h = MD4()
    h.update(data)
    return h.digest()


def ed2k_hashes(stream: BinaryIO) -> set[str]:
    """The ed2k hash (hex) of a stream's bytes, in both conventions when they differ."""
    chunks: list[bytes] = []
    size = 0
    while True:
        h = MD4()
        read = 0
        while read < CHUNK_BYTES and (block := stream.read(min(1 << 20, CHUNK_BYTES - read))):
            h.update(block)
            read += len(block)
        if read == 0 and chunks:
            break
        chunks.append(h.digest())
        size += read
        if read < CHUNK_BYTES:
            break
    if size < CHUNK_BYTES:
        return {chunks[0].hex()}
    exact = size % CHUNK_BYTES == 0
    without_empty = chunks[:-1] if exact and len(chunks) > 1 and chunks[-1] == md4(b"") else chunks
    hashes = {md4(b"".join(without_empty)).hex()}
    if exact:
        hashes.add(md4(b"".join([*without_empty, md4(b"")])).hex())
    return hashes


ED2K_BUDGET_BYTES = 32 << 20
"""Bytes re-read per evaluation to find renamed eMule files by ed2k (pure-Python MD4)."""


class StoredItemEd2k:
    """ed2k hashes of scanned items, re-read from the evidence and checked against their SHA-256.

    Re-reading stops once ``budget_bytes`` have been spent (pure-Python MD4 is slow).
    """

    def __init__(self, budget_bytes: int = ED2K_BUDGET_BYTES) -> None:
        self.budget = budget_bytes
        self.cache: dict[str, set[str] | None] = {}

    def __call__(self, linked: Linked) -> set[str] | None:
        """The item's ed2k hashes, or None (over budget, no digest, unreadable)."""
        if linked.key in self.cache:
            return self.cache[linked.key]
        size = linked.size or 0
        if size > self.budget or linked.sha256 is None:
            return None
        self.budget -= size
        try:
            with open_item(linked.key, linked.sha256) as stream:
                hashes: set[str] | None = ed2k_hashes(stream)
        except Exception:
            # Moved, changed or unreadable evidence, or a layer that cannot be reopened:
            # no link, and never a failed evaluation.
            hashes = None
        self.cache[linked.key] = hashes
        return hashes

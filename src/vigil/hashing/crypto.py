"""MD5, SHA-1 and SHA-256 computed together over one read of the data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

BLOCK_BYTES = 1 << 20
"""Read size: large enough that hashlib (which drops the GIL) dominates the loop."""


@dataclass(frozen=True, slots=True)
class Digests:
    """The three cryptographic digests of one item, and its length."""

    md5: bytes
    sha1: bytes
    sha256: bytes
    size: int


class CryptoHasher:
    """Feeds every block to the three hashes; :meth:`digests` when done."""

    __slots__ = ("_md5", "_sha1", "_sha256", "size")

    def __init__(self) -> None:
        # usedforsecurity=False: these are identifiers, and it keeps FIPS builds working.
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256(usedforsecurity=False)
        self.size = 0

    def update(self, block: bytes | memoryview) -> None:
        """Add a block of data to all three hashes."""
        self._md5.update(block)
        self._sha1.update(block)
        self._sha256.update(block)
        self.size += len(block)

    def digests(self) -> Digests:
        """The digests of everything fed so far."""
        return Digests(self._md5.digest(), self._sha1.digest(), self._sha256.digest(), self.size)


def hash_bytes(data: bytes | memoryview) -> Digests:
    """Digests of an in-memory buffer."""
    hasher = CryptoHasher()
    hasher.update(data)
    return hasher.digests()


def hash_stream(stream: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Digests:
    """Digests of a stream read to its end in fixed-size blocks (bounded memory)."""
    hasher = CryptoHasher()
    buffer = bytearray(block_bytes)
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(buffer)
            if not n:
                break
            hasher.update(view[:n])
        else:
            block = stream.read(block_bytes)
            if not block:
                break
            hasher.update(block)
    return hasher.digests()

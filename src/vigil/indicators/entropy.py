"""Byte entropy and a chi-square test of uniformity: how encrypted containers are told apart.

Shannon entropy alone cannot separate encrypted data from compressed media:
a large JPEG, MP4 or zip body also reaches ~7.99 bits/byte. The chi-square
statistic of the byte histogram against a uniform one can: for random data it
follows a χ² distribution with 255 degrees of freedom (mean 255, s.d. ≈ 22.6),
while compressors leave structure (marker bytes, Huffman tables, headers) that
pushes it into the thousands once a file is a megabyte or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

SAMPLE_BLOCKS = 64
SAMPLE_BLOCK_BYTES = 1 << 20
"""Files larger than the whole-file limit are sampled: this many blocks of this size,
spread evenly, so a 100 GB container costs 64 MiB of reading, not 100 GB."""


@dataclass(frozen=True, slots=True)
class ByteStats:
    """Entropy (bits per byte) and chi-square of a byte histogram, and how much was read."""

    bits_per_byte: float
    chi_square: float
    sampled_bytes: int

    def to_json(self) -> dict[str, float | int]:
        """A JSON-able dict, rounded for storage."""
        return {
            "bits_per_byte": round(self.bits_per_byte, 6),
            "chi_square": round(self.chi_square, 2),
            "sampled_bytes": self.sampled_bytes,
        }


def histogram(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Counts of each byte value (256 int64s)."""
    return np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256).astype(np.int64)


def stats_of(counts: np.ndarray) -> ByteStats:
    """Entropy and chi-square of a histogram."""
    total = int(counts.sum())
    if total == 0:
        return ByteStats(0.0, 0.0, 0)
    nonzero = counts[counts > 0].astype(np.float64)
    p = nonzero / total
    entropy = float(-(p * np.log2(p)).sum())
    expected = total / 256.0
    chi2 = float((((counts.astype(np.float64)) - expected) ** 2).sum() / expected)
    return ByteStats(entropy, chi2, total)


def byte_stats(data: bytes | bytearray | memoryview) -> ByteStats:
    """Entropy and chi-square of all of ``data``."""
    return stats_of(histogram(data))


def stream_stats(stream: BinaryIO, size: int) -> ByteStats:
    """Entropy and chi-square of a seekable stream: whole when small, evenly sampled when large."""
    counts = np.zeros(256, dtype=np.int64)
    if size <= SAMPLE_BLOCKS * SAMPLE_BLOCK_BYTES:
        stream.seek(0)
        while block := stream.read(SAMPLE_BLOCK_BYTES):
            counts += histogram(block)
        return stats_of(counts)
    step = (size - SAMPLE_BLOCK_BYTES) // (SAMPLE_BLOCKS - 1)
    for index in range(SAMPLE_BLOCKS):
        stream.seek(index * step)
        counts += histogram(stream.read(SAMPLE_BLOCK_BYTES))
    return stats_of(counts)

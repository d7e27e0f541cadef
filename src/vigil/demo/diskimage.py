"""A small FAT12 disk image for the demo, written in pure Python (no mkfs, no mount).

A 1.44 MB floppy layout holding a live picture, a deleted one (directory
entry marked 0xE5, its cluster chain freed, its data left in place, as DOS and
Windows leave it), and a picture in free space that no entry points at (for
the carver). Everything is benign generated content.
"""

from __future__ import annotations

import struct
from pathlib import Path

SECTOR = 512
TOTAL_SECTORS = 2880
RESERVED, FATS, SECTORS_PER_FAT, ROOT_ENTRIES = 1, 2, 9, 224
ROOT_SECTOR = RESERVED + FATS * SECTORS_PER_FAT
DATA_SECTOR = ROOT_SECTOR + ROOT_ENTRIES * 32 // SECTOR


def write_fat12(
    path: Path, live: dict[str, bytes], deleted: dict[str, bytes], free: list[bytes]
) -> dict[str, int]:
    """Write the image; returns the byte offset of each file's data (free ones as ``free0`` …).

    Names are 8.3 (``HOLIDAY.JPG``); a deleted entry keeps its name but for the
    first letter, as FAT does.
    """
    image = bytearray(TOTAL_SECTORS * SECTOR)
    image[:SECTOR] = _boot_sector()
    fat = bytearray(SECTORS_PER_FAT * SECTOR)
    _set(fat, 0, 0xFF0)
    _set(fat, 1, 0xFFF)
    offsets: dict[str, int] = {}
    cluster, slot = 2, 0
    files = [(n, d, False) for n, d in live.items()] + [(n, d, True) for n, d in deleted.items()]
    for name, data, gone in files:
        count = max(1, -(-len(data) // SECTOR))
        offset = (DATA_SECTOR + cluster - 2) * SECTOR
        image[offset : offset + len(data)] = data
        if not gone:
            for n in range(cluster, cluster + count):
                _set(fat, n, n + 1 if n < cluster + count - 1 else 0xFFF)
        entry = _dir_entry(name, cluster, len(data))
        if gone:
            entry[0] = 0xE5
        image[ROOT_SECTOR * SECTOR + 32 * slot : ROOT_SECTOR * SECTOR + 32 * (slot + 1)] = entry
        offsets[name] = offset
        cluster, slot = cluster + count + 8, slot + 1  # a gap, as real volumes have
    for index, data in enumerate(free):
        cluster += 16
        offset = (DATA_SECTOR + cluster - 2) * SECTOR
        image[offset : offset + len(data)] = data
        offsets[f"free{index}"] = offset
        cluster += -(-len(data) // SECTOR)
    if (DATA_SECTOR + cluster) * SECTOR > len(image):
        raise ValueError("demo files do not fit on a floppy")
    for copy in range(FATS):
        start = (RESERVED + copy * SECTORS_PER_FAT) * SECTOR
        image[start : start + len(fat)] = fat
    path.write_bytes(bytes(image))
    return offsets


def _boot_sector() -> bytes:
    boot = bytearray(SECTOR)
    boot[0:3] = b"\xeb\x3c\x90"
    boot[3:11] = b"VIGILDMO"
    struct.pack_into(
        "<HBHBHHBHHHII", boot, 11,
        SECTOR, 1, RESERVED, FATS, ROOT_ENTRIES, TOTAL_SECTORS, 0xF0, SECTORS_PER_FAT, 18, 2, 0, 0,
    )  # fmt: skip
    boot[36], boot[38] = 0x00, 0x29
    struct.pack_into("<I", boot, 39, 0x20261130)
    boot[43:54] = b"VIGIL DEMO "
    boot[54:62] = b"FAT12   "
    boot[510:512] = b"\x55\xaa"
    return bytes(boot)


def _dir_entry(name: str, cluster: int, size: int) -> bytearray:
    stem, _, ext = name.upper().partition(".")
    entry = bytearray(32)
    entry[0:11] = stem.ljust(8).encode("ascii")[:8] + ext.ljust(3).encode("ascii")[:3]
    entry[11] = 0x20  # archive bit: an ordinary file
    struct.pack_into("<HH", entry, 22, 0x6000, 0x5B7E)  # 12:00, 2025-11-30
    struct.pack_into("<HI", entry, 26, cluster, size)
    return entry


def _set(fat: bytearray, cluster: int, value: int) -> None:
    """Store a 12-bit FAT entry (two entries share three bytes)."""
    at = cluster * 3 // 2
    pair = fat[at] | fat[at + 1] << 8
    pair = (pair & 0xF000) | value if cluster % 2 == 0 else (pair & 0x000F) | value << 4
    fat[at], fat[at + 1] = pair & 0xFF, pair >> 8

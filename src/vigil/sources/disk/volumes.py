"""Partitions and file systems of an image, read by The Sleuth Kit over any seekable stream.

:func:`volumes` lists what there is to walk: each allocated partition (MBR,
GPT, Apple, BSD … whatever TSK's volume system code reads), each gap of
unpartitioned space, or the whole image when it is a bare file system.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pytsk3

from vigil.sources.disk.signatures import HEADER_BYTES, file_system

SECTOR = 512

_FS_LAYER = {
    int(pytsk3.TSK_FS_TYPE_NTFS): "ntfs",
    int(pytsk3.TSK_FS_TYPE_FAT12): "fat",
    int(pytsk3.TSK_FS_TYPE_FAT16): "fat",
    int(pytsk3.TSK_FS_TYPE_FAT32): "fat",
    int(pytsk3.TSK_FS_TYPE_EXFAT): "exfat",
    int(pytsk3.TSK_FS_TYPE_EXT2): "ext",
    int(pytsk3.TSK_FS_TYPE_EXT3): "ext",
    int(pytsk3.TSK_FS_TYPE_EXT4): "ext",
    int(pytsk3.TSK_FS_TYPE_HFS): "hfs",
    int(pytsk3.TSK_FS_TYPE_ISO9660): "iso9660",
}


class StreamImage(pytsk3.Img_Info):  # type: ignore[misc]
    """A pytsk3 image whose bytes come from a Python stream (raw, split, EWF, spool)."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self._size = size
        # TSK may read from its own threads in future versions; keep seek+read atomic.
        self._lock = threading.Lock()
        self.bad: list[tuple[int, int]] = []  # unreadable byte ranges met so far
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, length: int) -> bytes:
        """Bytes at ``offset`` (short at the end of the image).

        Unreadable sectors read as zeros and are recorded in :attr:`bad`, so one
        damaged sector costs the files that use it, not the whole volume.
        """
        with self._lock:
            try:
                self._stream.seek(offset)
                return self._stream.read(length)
            except OSError:
                return self._read_around(offset, length)

    def _read_around(self, offset: int, length: int) -> bytes:
        out = bytearray()
        end = min(offset + length, self._size)
        for start in range(offset, end, SECTOR):
            count = min(SECTOR, end - start)
            try:
                self._stream.seek(start)
                out += self._stream.read(count)
            except OSError:
                self.bad.append((start, start + count))
                out += bytes(count)
        return bytes(out)

    def damaged(self, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
        """The first unreadable range met so far that overlaps any of the byte ``spans``."""
        for bad_start, bad_end in self.bad:
            for start, end in spans:
                if start < bad_end and bad_start < end:
                    return bad_start, bad_end
        return None

    def get_size(self) -> int:
        """The image size in bytes."""
        return self._size

    def close(self) -> None:
        """Nothing to release: the stream belongs to the caller."""


@dataclass(frozen=True, slots=True)
class Volume:
    """A span of the image to walk: a partition, a gap, or the whole bare volume."""

    slot: str  # partition layer path ("1", "2" …); "" for a bare file system
    offset: int  # bytes from the start of the image
    length: int
    description: str
    allocated: bool  # False: unpartitioned space (carved, not walked)
    scheme: str | None = None  # dos, gpt … (None for a bare file system)


def volumes(image: StreamImage) -> tuple[list[Volume], str | None]:
    """The volumes of an image and the partition scheme (None when there is no table)."""
    try:
        system = pytsk3.Volume_Info(image)
    except (OSError, RuntimeError):
        return [Volume("", 0, image.get_size(), "whole image", True)], None
    block = int(system.info.block_size)
    scheme = _scheme_name(system)
    found: list[Volume] = []
    number = 0
    for part in system:
        flags = int(part.flags)
        offset, length = int(part.start) * block, int(part.len) * block
        desc = _text(part.desc)
        if flags & pytsk3.TSK_VS_PART_FLAG_ALLOC:
            number += 1
            found.append(Volume(str(number), offset, length, desc, True, scheme))
        elif flags & pytsk3.TSK_VS_PART_FLAG_UNALLOC and length > 0:
            found.append(Volume(f"unallocated@{offset}", offset, length, desc, False, scheme))
    return found, scheme


FAMILIES = (
    pytsk3.TSK_FS_TYPE_NTFS_DETECT,
    pytsk3.TSK_FS_TYPE_FAT_DETECT,
    pytsk3.TSK_FS_TYPE_EXT_DETECT,
    pytsk3.TSK_FS_TYPE_FFS_DETECT,
    pytsk3.TSK_FS_TYPE_YAFFS2_DETECT,
    pytsk3.TSK_FS_TYPE_HFS_DETECT,
    pytsk3.TSK_FS_TYPE_ISO9660_DETECT,
    pytsk3.TSK_FS_TYPE_APFS_DETECT,
)
"""The families The Sleuth Kit's auto-detection tries, in its order."""

LAYER_FAMILY = {
    "ntfs": pytsk3.TSK_FS_TYPE_NTFS_DETECT,
    "fat": pytsk3.TSK_FS_TYPE_FAT_DETECT,
    "exfat": pytsk3.TSK_FS_TYPE_EXFAT,
    "ext": pytsk3.TSK_FS_TYPE_EXT_DETECT,
    "hfs": pytsk3.TSK_FS_TYPE_HFS_DETECT,
    "iso9660": pytsk3.TSK_FS_TYPE_ISO9660_DETECT,
}
"""The family to open a file-system layer as (``fs``: left to auto-detection)."""


def open_fs(image: StreamImage, volume: Volume) -> list[tuple[pytsk3.FS_Info, str]]:
    """The file systems in a volume, each with its layer name; empty when TSK finds none.

    Usually one. When the same bytes hold two valid file systems (an ISO 9660 +
    FAT hybrid, a FAT boot sector over an ext volume) TSK's auto-detection
    refuses to choose; each family is then opened on its own and all that open
    are returned, with distinct layer names (``fs`` for a family Vigil has no
    name for).
    """
    try:
        fs = pytsk3.FS_Info(image, offset=volume.offset)
    except (OSError, RuntimeError) as exc:
        if not _ambiguous(exc):
            return []
    else:
        layer = _FS_LAYER.get(int(fs.info.ftype))
        if layer is None:
            head = image.read(volume.offset, HEADER_BYTES)
            layer = file_system(head) or "fs"
        return [(fs, layer)]
    found: list[tuple[pytsk3.FS_Info, str]] = []
    for family in FAMILIES:
        try:
            fs = pytsk3.FS_Info(image, offset=volume.offset, type=family)
        except (OSError, RuntimeError):
            continue
        layer = _FS_LAYER.get(int(fs.info.ftype), "fs")
        if layer not in {name for _, name in found}:  # a locator names one per layer type
            found.append((fs, layer))
    return found


def open_layer(image: StreamImage, layer: str) -> pytsk3.FS_Info:
    """The file system a layer of that type was read from (for reopening one of its files).

    Opening by family, not by auto-detection, finds the same file system again
    in a volume that holds two. Raises OSError/RuntimeError as pytsk3 does.
    """
    family = LAYER_FAMILY.get(layer)
    if family is not None:
        return pytsk3.FS_Info(image, type=family)
    try:
        return pytsk3.FS_Info(image)
    except (OSError, RuntimeError) as exc:
        if not _ambiguous(exc):
            raise
        error = exc
    for family in FAMILIES:  # as open_fs: the first family without a layer name of its own
        if family in LAYER_FAMILY.values():
            continue
        try:
            return pytsk3.FS_Info(image, type=family)
        except (OSError, RuntimeError) as exc:
            error = exc
    raise error


def _ambiguous(exc: Exception) -> bool:
    """TSK's refusal to choose between two file systems it recognises in the same bytes.

    TSK 4.12+ says "Multiple file system types detected (ISO9660 or FAT)",
    earlier releases "Cannot determine file system type (ISO9660 or FAT)".
    """
    text = str(exc).lower()
    return "multiple file system types" in text or bool(_EITHER.search(text))


_EITHER = re.compile(r"cannot determine file system type \([^)]* or [^)]*\)")


_FS_NAMES = {
    int(getattr(pytsk3, name)): name.removeprefix("TSK_FS_TYPE_").lower()
    for name in dir(pytsk3)
    if name.startswith("TSK_FS_TYPE_") and not name.endswith(("_DETECT", "_ENUM"))
}


def fs_type_name(fs: pytsk3.FS_Info) -> str:
    """TSK's name for a file-system type (``ntfs``, ``fat32``, ``ext4`` …)."""
    return _FS_NAMES.get(int(fs.info.ftype), str(int(fs.info.ftype)))


_SCHEMES = {
    int(pytsk3.TSK_VS_TYPE_DOS): "dos",
    int(pytsk3.TSK_VS_TYPE_GPT): "gpt",
    int(pytsk3.TSK_VS_TYPE_MAC): "mac",
    int(pytsk3.TSK_VS_TYPE_BSD): "bsd",
    int(pytsk3.TSK_VS_TYPE_SUN): "sun",
}


def _scheme_name(system: pytsk3.Volume_Info) -> str:
    return _SCHEMES.get(int(system.info.vstype), str(int(system.info.vstype)))


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def iter_allocated(found: list[Volume]) -> Iterator[Volume]:
    """The volumes that may hold a file system (partitions and bare volumes)."""
    return (volume for volume in found if volume.allocated)

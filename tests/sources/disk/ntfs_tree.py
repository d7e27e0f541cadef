"""NTFS volumes with folders, and folders deleted the way Windows leaves them (no wiping).

ntfs-3g's tools cannot make a folder without mounting, so the tree is
applied with wimlib (``wimcapture`` a staged folder, ``wimapply`` it onto the
unmounted volume). Deleting is done by editing the metadata as Windows does:
each name is taken out of its folder's index (the entries after it move down,
its bytes stay in the slack), its MFT record loses the in-use flag and its
sequence number goes up by one. Children go first, then the folder.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import BinaryIO

from . import images

TOOLS = ("mkntfs", "ntfsinfo", "wimcapture", "wimapply")
_INDX_BYTES = 4096
_LAST_ENTRY = 0x02


def missing_tools() -> list[str]:
    """The commands this builder needs that are not installed."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def tree_image(path: Path, files: dict[str, bytes], size_mib: int = 16) -> Path:
    """An NTFS volume holding ``files`` (relative paths, folders made as needed)."""
    stage = path.parent / f".stage-{path.name}"
    images._stage(stage, files)
    wim = path.with_suffix(".wim")
    images._run("wimcapture", stage, wim, "--no-acls")
    shutil.rmtree(stage)
    with path.open("wb") as handle:
        handle.truncate(size_mib * images.MiB)
    images._run("mkntfs", "-q", "-F", "-Q", "-s", "512", "-c", "4096", "-L", "vigil", path)
    images._run("wimapply", wim, "1", path)
    wim.unlink()
    return path


def inode(path: Path, name: str) -> int:
    """The MFT record number of ``name`` (``/Pics/a.txt``), asked of ntfs-3g."""
    out = subprocess.run(["ntfsinfo", "-F", name, str(path)], check=True, capture_output=True,
                         text=True).stdout  # fmt: skip
    return int(out.splitlines()[0].split()[2])  # "Dumping Inode 65 (0x41)"


def delete(path: Path, names: list[str], *, bump: bool = True) -> None:
    """Delete ``names`` in order (give children before their folder), as Windows would.

    ``bump=False`` leaves the sequence numbers as they were (then TSK no longer
    matches the children to their deleted folder and lists them as orphans).
    """
    steps = []
    for name in names:  # every record found before anything changes
        folder, _, leaf = name.rstrip("/").rpartition("/")
        steps.append((inode(path, folder or "/"), leaf, inode(path, name)))
    with path.open("r+b") as handle:
        for parent, leaf, record in steps:
            _unlink(handle, parent, leaf)
            _free(handle, record, bump)


def set_parent(path: Path, record: int, parent: int, sequence: int) -> None:
    """Point every ``$FILE_NAME`` of ``record`` at another parent (damaged or hostile metadata)."""
    with path.open("r+b") as handle:
        at, data = _record(handle, record)
        for kind, pos in _attributes(data):
            if kind == 0x30:
                value = pos + struct.unpack_from("<H", data, pos + 20)[0]
                struct.pack_into("<Q", data, value, parent | sequence << 48)
        _write(handle, at, data)


def _geometry(handle: BinaryIO) -> tuple[int, int, int]:
    """(cluster bytes, $MFT byte offset, record bytes) from the boot sector."""
    handle.seek(0)
    boot = handle.read(512)
    cluster = struct.unpack_from("<H", boot, 11)[0] * boot[13]
    mft = struct.unpack_from("<q", boot, 0x30)[0] * cluster
    code = struct.unpack_from("<b", boot, 0x40)[0]
    return cluster, mft, 2 ** (-code) if code < 0 else code * cluster


def _record(handle: BinaryIO, number: int) -> tuple[int, bytearray]:
    _, mft, size = _geometry(handle)
    handle.seek(mft + number * size)
    data = bytearray(handle.read(size))
    _unfix(data)
    return mft + number * size, data


def _write(handle: BinaryIO, at: int, block: bytearray) -> None:
    _fix(block)
    handle.seek(at)
    handle.write(block)


def _unfix(block: bytearray) -> None:
    """Put back the sector-end bytes the update sequence array holds."""
    offset, count = struct.unpack_from("<HH", block, 4)
    for i in range(1, count):
        block[i * 512 - 2 : i * 512] = block[offset + 2 * i : offset + 2 * i + 2]


def _fix(block: bytearray) -> None:
    offset, count = struct.unpack_from("<HH", block, 4)
    usn = block[offset : offset + 2]
    for i in range(1, count):
        block[offset + 2 * i : offset + 2 * i + 2] = block[i * 512 - 2 : i * 512]
        block[i * 512 - 2 : i * 512] = usn


def _attributes(record: bytearray) -> list[tuple[int, int]]:
    """(type, offset) of each attribute of an MFT record."""
    out, pos = [], struct.unpack_from("<H", record, 20)[0]
    while struct.unpack_from("<I", record, pos)[0] != 0xFFFFFFFF:
        kind, length = struct.unpack_from("<II", record, pos)
        out.append((kind, pos))
        pos += length
    return out


def _runs(record: bytearray, pos: int) -> list[tuple[int, int]]:
    """(first cluster, clusters) of a non-resident attribute."""
    out, lcn = [], 0
    pos += struct.unpack_from("<H", record, pos + 32)[0]
    while record[pos]:
        length_bytes, offset_bytes = record[pos] & 15, record[pos] >> 4
        count = int.from_bytes(record[pos + 1 : pos + 1 + length_bytes], "little")
        start = pos + 1 + length_bytes
        lcn += int.from_bytes(record[start : start + offset_bytes], "little", signed=True)
        out.append((lcn, count))
        pos = start + offset_bytes
    return out


def _drop(block: bytearray, header: int, name: str) -> bool:
    """Take the entry ``name`` out of the index node whose header is at ``header``."""
    first, used = struct.unpack_from("<II", block, header)
    pos, end = header + first, header + used
    while pos < end:
        length, _, flags = struct.unpack_from("<HHI", block, pos + 8)
        if flags & _LAST_ENTRY:
            return False
        chars = block[pos + 16 + 64]
        if block[pos + 16 + 66 : pos + 16 + 66 + 2 * chars].decode("utf-16-le") == name:
            block[pos : end - length] = block[pos + length : end]
            struct.pack_into("<I", block, header + 4, used - length)
            return True
        pos += length
    return False


def _unlink(handle: BinaryIO, parent: int, name: str) -> None:
    cluster = _geometry(handle)[0]
    at, record = _record(handle, parent)
    for kind, pos in _attributes(record):
        if kind == 0x90:  # $INDEX_ROOT: the node header follows the 16-byte root header
            value = pos + struct.unpack_from("<H", record, pos + 20)[0]
            if _drop(record, value + 16, name):
                _write(handle, at, record)
                return
        if kind == 0xA0:  # $INDEX_ALLOCATION: INDX blocks
            for lcn, count in _runs(record, pos):
                for block_at in range(lcn * cluster, (lcn + count) * cluster, _INDX_BYTES):
                    handle.seek(block_at)
                    block = bytearray(handle.read(_INDX_BYTES))
                    if block[:4] != b"INDX":
                        continue
                    _unfix(block)
                    if _drop(block, 0x18, name):
                        _write(handle, block_at, block)
                        return
    raise LookupError(f"{name} is not in the index of record {parent}")


def _free(handle: BinaryIO, number: int, bump: bool) -> None:
    at, record = _record(handle, number)
    (flags,) = struct.unpack_from("<H", record, 0x16)
    (sequence,) = struct.unpack_from("<H", record, 0x10)
    struct.pack_into("<H", record, 0x16, flags & ~1)
    struct.pack_into("<H", record, 0x10, (sequence + bump) & 0xFFFF)
    _write(handle, at, record)

"""Disk images as container readers: every file inside becomes a member of the nested pipeline.

``DiskImageReader`` opens raw images (partitioned or a bare file system),
``EwfReader`` E01/Ex01 sets, ``VirtualDiskReader`` VM disks (VHD, VHDX, VMDK,
QCOW2, DMG: :mod:`~vigil.sources.disk.vdisk`), the ``CryptVolumeReader`` family
encrypted volumes (with the exhibit's key, else an ``encrypted`` note) and
``LvmReader`` LVM2 physical volumes; encrypted and LVM2 partitions inside a disk
are read the same way. Given a top-level evidence file (an ``os`` locator), raw,
EWF and VM-disk readers open all segments (or parents, extents) by name
(``x.002`` …, ``x.E02`` …); inside another container they read the one stream
they are given.

Order of members, per volume: the file system's allocated entries, its
deleted ones, then pictures carved from its unallocated space; then pictures
carved from unpartitioned space. Entry caps are per file system
(:data:`~vigil.sources.disk.fswalk.MAX_FS_ENTRIES`), not the archive limit.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from typing import Any, BinaryIO, ClassVar

import pytsk3

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import MemberReadError, as_binary, describe
from vigil.sources.disk import fswalk, layers
from vigil.sources.disk.carve import Carved, carve
from vigil.sources.disk.crypt import CryptOpenError, crypt_type, iter_decrypted
from vigil.sources.disk.ewf import EwfStream
from vigil.sources.disk.fswalk import Allocation, FsEntry, walk_fs
from vigil.sources.disk.lvm import LvmError, logical_volumes
from vigil.sources.disk.parts import Share, current_share, slice_ranges, take
from vigil.sources.disk.segments import (
    ConcatStream,
    ewf_missing_segments,
    ewf_segments,
    raw_segments,
    raw_segments_missing,
)
from vigil.sources.disk.vdisk import KINDS, Unopenable, VirtualDisk
from vigil.sources.disk.volumes import StreamImage, Volume, fs_type_name, open_fs, volumes
from vigil.sources.keys import exhibit_keys
from vigil.sources.limits import Budget, LimitExceeded, Limits
from vigil.sources.locator import Locator
from vigil.sources.opaque import opaque_type
from vigil.sources.positional import PositionalStream

MIN_IMAGE_BYTES = 64 * 1024
"""Smaller "images" are boot sectors copied into files, not volumes to walk."""

VIRTUAL_BUFFER_BYTES = 32 * 1024
"""Read-ahead over a VM disk's media (bench/disk_layers.py)."""

CARVE = True
"""Carve unallocated space (module switch for tests and quick previews)."""


class _DiskReader(ContainerReader):
    """Shared walk of volumes, file systems and unallocated space."""

    layer: ClassVar[str] = "disk"

    def iter_members(
        self, stream: BinaryIO, outer: Locator, limits: Limits, budget: Budget
    ) -> Iterator[Member]:
        """Members of the image in ``stream``, never raising (a failure becomes a note)."""
        scan = Scan(self.layer, outer, limits, budget)
        if outer.depth >= limits.max_depth:
            yield scan.note("limit", f"nested deeper than {limits.max_depth} containers")
            return
        members = self._members(stream, scan)
        # A large top-level image may be split over several scan tasks (parts.py).
        share = current_share() if outer.depth == 0 else None
        try:
            yield from take(members, share)
        except LimitExceeded as exc:
            yield scan.note("limit", exc.reason)
        except Exception as exc:
            yield scan.note("error", describe(exc))
        finally:
            if isinstance(members, Generator):
                members.close()

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        with ExitStack() as stack:
            media, size, base = self._media(stream, scan.outer, stack)
            if size < MIN_IMAGE_BYTES:
                return  # a boot sector alone (NTFS $Boot, a copied MBR): nothing to walk
            image = StreamImage(media, size)
            share = current_share() if scan.outer.depth == 0 else None
            yield from image_members(image, base, scan.limits, scan.budget, share)

    def _media(
        self, stream: BinaryIO, outer: Locator, stack: ExitStack
    ) -> tuple[BinaryIO, int, Locator]:
        raise NotImplementedError


class DiskImageReader(_DiskReader):
    """Raw images: partitioned disks and bare file systems, split into ``.001 …`` or not."""

    layer = "disk"

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        if scan.outer.depth == 0 and scan.outer.leaf.type == "os":
            paths = raw_segments(os.fsencode(scan.outer.leaf.path))
            missing = raw_segments_missing(paths)
            if missing is not None:  # read what there is; the rest is named as not read
                yield Scan(self.layer, scan.outer, scan.limits, scan.budget).note("error", missing)
        yield from super()._members(stream, scan)

    def _media(
        self, stream: BinaryIO, outer: Locator, stack: ExitStack
    ) -> tuple[BinaryIO, int, Locator]:
        if outer.depth == 0 and outer.leaf.type == "os":
            paths = raw_segments(os.fsencode(outer.leaf.path))
            if len(paths) > 1:
                joined = stack.enter_context(ConcatStream(paths))
                return as_binary(joined), joined.size, outer
        size = stream.seek(0, io.SEEK_END)
        return stream, size, outer


class EwfReader(_DiskReader):
    """E01/Ex01 images, all segments (by name at the top level, one stream inside others)."""

    layer = layers.EWF

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        if scan.outer.depth == 0 and scan.outer.leaf.type == "os":
            paths = ewf_segments(os.fsencode(scan.outer.leaf.path))
            missing = ewf_missing_segments(paths)
            if missing is not None:  # read what there is; files in the gap become errors
                yield Scan(layers.EWF, scan.outer, scan.limits, scan.budget).note("error", missing)
        yield from super()._members(stream, scan)

    def _media(
        self, stream: BinaryIO, outer: Locator, stack: ExitStack
    ) -> tuple[BinaryIO, int, Locator]:
        if outer.depth == 0 and outer.leaf.type == "os":
            ewf = EwfStream.from_paths(ewf_segments(os.fsencode(outer.leaf.path)))
        else:
            stream.seek(0)
            ewf = EwfStream([stream], owned=False)
        stack.enter_context(ewf)
        return as_binary(ewf), ewf.size, outer.child(layers.EWF)


class CryptVolumeReader(_DiskReader):
    """An encrypted volume given as a file: decrypted with the exhibit's key and read as a disk."""

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        share = current_share() if scan.outer.depth == 0 else None
        yield from crypt_members(self.layer, stream, scan.outer, scan.limits, scan.budget, share)


class LuksReader(CryptVolumeReader):
    """LUKS1 volumes (libluksde)."""

    layer = "luks"


class BitLockerReader(CryptVolumeReader):
    """BitLocker volumes, also BitLocker To Go (libbde)."""

    layer = "bitlocker"


class FileVaultReader(CryptVolumeReader):
    """Core Storage / FileVault 2 volumes (libfvde): each logical volume is read."""

    layer = "filevault"


def crypt_members(
    kind: str,
    stream: BinaryIO,
    where: Locator,
    limits: Limits,
    budget: Budget,
    share: Share | None = None,
) -> Iterator[Member]:
    """The members of the encrypted volume in ``stream``, or an ``encrypted`` note why not."""
    try:
        found = iter_decrypted(kind, stream, exhibit_keys())
        first = next(found, None)
    except CryptOpenError as exc:
        yield Scan(kind, where, limits, budget).note("encrypted", str(exc))
        return
    try:
        while first is not None:
            image = StreamImage(first.stream, first.size)
            yield from image_members(image, where.child(kind, first.path), limits, budget, share)
            first = next(found, None)
    finally:
        found.close()


class LvmReader(_DiskReader):
    """An LVM2 physical volume given as a file: each logical volume read as a disk."""

    layer = layers.LVM

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        share = current_share() if scan.outer.depth == 0 else None
        yield from lvm_members(stream, scan.outer, scan.limits, scan.budget, share)


def lvm_members(
    stream: BinaryIO,
    where: Locator,
    limits: Limits,
    budget: Budget,
    share: Share | None = None,
) -> Iterator[Member]:
    """The members of every logical volume in ``stream``, or an ``unsupported`` note why not."""
    found = logical_volumes(stream)
    try:
        for volume in found:
            image = StreamImage(volume.stream, volume.size)
            base = where.child(layers.LVM, volume.name)
            yield from image_members(image, base, limits, budget, share)
    except LvmError as exc:
        yield Scan(layers.LVM, where, limits, budget).note("unsupported", str(exc))
    finally:
        found.close()


class VirtualDiskReader(_DiskReader):
    """A VM disk's media (parents and extents found beside it), walked like a raw image.

    A disk that cannot be opened (a parent or extent missing, damaged headers)
    gives one note with the reason: ``unsupported`` or ``error``, never nothing.
    """

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        with ExitStack() as stack:
            try:
                disk = stack.enter_context(open_virtual_disk(self.layer, stream, scan.outer))
            except Unopenable as exc:
                yield scan.note(exc.status, str(exc))
                return
            if disk.size == 0:  # a header with no media behind it (a DMG without its table)
                yield scan.note("error", f"the {KINDS[self.layer]} image describes no media")
                return
            if disk.size < MIN_IMAGE_BYTES:
                return
            # A small buffer: libvhdi costs per sector read, and TSK's small reads at
            # scattered offsets each refill it (256 KiB made a VHD listing 2x slower).
            image = StreamImage(io.BufferedReader(disk, VIRTUAL_BUFFER_BYTES), disk.size)
            image.bad = disk.bad  # one list: files over damaged units are errors
            base = scan.outer.child(self.layer)
            share = current_share() if scan.outer.depth == 0 else None
            yield from image_members(image, base, scan.limits, scan.budget, share)
            if image.bad:  # read as zeros: files there are errors, and so is the disk
                lost = sum(stop - start for start, stop in image.bad)
                yield scan.note(
                    "error",
                    f"{lost:,} bytes of the {KINDS[self.layer]} media unreadable, first at"
                    f" byte {image.bad[0][0]}: the file is damaged or truncated",
                )


class VhdReader(VirtualDiskReader):
    """VHD: fixed, dynamic and differencing (libvhdi)."""

    layer = layers.VHD


class VhdxReader(VirtualDiskReader):
    """VHDX: dynamic, fixed and differencing (libvhdi)."""

    layer = layers.VHDX


class VmdkReader(VirtualDiskReader):
    """VMDK: monolithic sparse, stream-optimised, flat and split extents (libvmdk)."""

    layer = layers.VMDK


class QcowReader(VirtualDiskReader):
    """QCOW and QCOW2, with a backing file beside it (libqcow)."""

    layer = layers.QCOW


class DmgReader(VirtualDiskReader):
    """Apple disk images (UDIF: raw, zlib, bzip2, LZFSE, ADC chunks) (libmodi)."""

    layer = layers.DMG


def open_virtual_disk(kind: str, stream: BinaryIO, outer: Locator) -> VirtualDisk:
    """The disk at ``outer``: by path (companions beside it) for evidence, else the one stream."""
    if outer.depth == 0 and outer.leaf.type == "os":
        return VirtualDisk.from_path(kind, os.fsencode(outer.leaf.path))
    stream.seek(0)
    return VirtualDisk.from_stream(kind, stream, outer.name)


def image_members(
    image: StreamImage, base: Locator, limits: Limits, budget: Budget, share: Share | None = None
) -> Iterator[Member]:
    """Members of every volume of an opened image, below the locator ``base``."""
    found, scheme = volumes(image)
    for volume in found:
        where = (
            base
            if scheme is None
            else base.child(
                layers.PARTITION,
                volume.slot,
                offset=volume.offset,
                length=volume.length,
                description=volume.description,
            )
        )
        if not volume.allocated:
            yield from _carved(
                image, where, [(volume.offset, volume.offset + volume.length)], share
            )
            continue
        yield from _volume_members(image, volume, where, limits, budget, share)


def _volume_members(
    image: StreamImage,
    volume: Volume,
    where: Locator,
    limits: Limits,
    budget: Budget,
    share: Share | None,
) -> Iterator[Member]:
    head = image.read(volume.offset, 1024)
    encrypted = crypt_type(head)
    if encrypted is not None or opaque_type(head) == layers.LVM:
        # An encrypted partition (decrypted with a key, else a note) or an LVM2 one.
        window = as_binary(_ImageWindow(image, volume.offset, volume.length))
        with window:
            if encrypted is not None:
                yield from crypt_members(encrypted, window, where, limits, budget, share)
            else:
                yield from lvm_members(window, where, limits, budget, share)
        return
    opened = open_fs(image, volume)
    span = [(volume.offset, volume.offset + volume.length)]
    note = Scan(layers.PARTITION, where, limits, budget)
    if not opened:
        yield note.note("unsupported", "no file system The Sleuth Kit can read: carved only")
        yield from _carved(image, where, span, share)
        return
    if len(opened) > 1:
        names = " and ".join(fs_type_name(fs) for fs, _ in opened)
        yield note.note(
            "error",
            f"two file systems recognised in the same space ({names}): each is read; "
            "the files of one may be hidden from a system that mounts the other",
        )
    free: list[tuple[int, int]] | None = span  # None: unknown, so nothing is carved
    for fs, fs_layer in opened:
        scan = Scan(fs_layer, where, limits, budget)
        allocation = Allocation()
        caps = {"max_entries": fswalk.MAX_FS_ENTRIES, "max_depth": fswalk.MAX_DIR_DEPTH}
        geometry = (volume.offset, int(fs.info.block_size))
        for entry in walk_fs(fs, allocation, **caps):
            yield _member(scan, fs, entry, image, geometry)
        if not allocation.complete:  # unlisted files would all be "carved" from "free" space
            free = None
        elif free is not None:  # free space is what no file system of the volume uses
            free = _intersect(free, _free(allocation, volume, int(fs.info.block_size)))
    if free is not None:
        yield from _carved(image, where, free, share)


def _member(
    scan: Scan, fs: pytsk3.FS_Info, entry: FsEntry, image: StreamImage, block: tuple[int, int]
) -> Member:
    offset, size = block
    spans = [
        (offset + start * size, offset + (start + count) * size) for start, count in entry.runs
    ]
    attrs: dict[str, Any] = {
        "inode": entry.inode,
        "deleted": entry.deleted or None,
        "ads": entry.ads,
        "overwritten": entry.overwritten or None,
    }
    if entry.kind == "note":
        return Member(
            scan.locator(entry.path, **attrs),
            entry.path,
            kind="container",
            status="limit" if entry.status == "limit" else "error",
            reason=entry.reason,
        )
    kind = entry.kind if entry.kind in ("file", "dir", "symlink") else "special"
    status = entry.status if entry.status in ("ok", "error", "skipped") else "error"
    reason = entry.reason
    if kind in ("symlink", "special") and status == "ok":
        status = "skipped"
        reason = reason or (
            "symbolic link, not followed"
            if kind == "symlink"
            else "not a regular file (device, FIFO, socket or unknown type): no data"
        )
    if status != "ok" and not reason:
        reason = "the file system gives no reason"
    opener = None
    if kind == "file" and status == "ok":
        opener = _opener(fs, entry, image, spans)
    return scan.entry(
        entry.path,
        opener=opener,
        attrs=attrs,
        size=entry.size,
        mtime=entry.mtime,
        kind=kind,
        status=status,
        reason=reason,
    )


def _opener(
    fs: pytsk3.FS_Info, entry: FsEntry, image: StreamImage, spans: list[tuple[int, int]]
) -> Any:
    def open_file() -> BinaryIO:
        if entry.inode is None:
            raise RuntimeError("a file-system entry without an inode was opened")
        try:
            tsk_file = fs.open_meta(inode=entry.inode)
        except (OSError, RuntimeError) as exc:
            raise MemberReadError(f"{entry.path}: {describe(exc)}") from exc
        stream = TskFileStream(tsk_file, entry.attr, entry.size or 0, entry.path)
        stream.damaged = lambda: image.damaged(spans)
        return as_binary(stream)

    return open_file


class TskFileStream(PositionalStream):
    """One data stream of a file in a file system, read through TSK (read-only, seekable)."""

    def __init__(
        self, tsk_file: pytsk3.File, attr: tuple[int, int] | None, size: int, label: str
    ) -> None:
        self._file, self._attr, self.size, self._label = tsk_file, attr, size, label
        self.damaged: Callable[[], tuple[int, int] | None] = lambda: None

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        try:
            if self._attr is None:
                data = self._file.read_random(pos, n_bytes)
            else:
                data = self._file.read_random(pos, n_bytes, self._attr[0], self._attr[1])
        except (OSError, RuntimeError) as exc:
            reason = f"{self._label}: unreadable at byte {pos}: {describe(exc)}"
            raise MemberReadError(reason) from exc
        bad = self.damaged()
        if bad is not None:
            raise MemberReadError(
                f"{self._label}: unreadable sectors (image bytes {bad[0]}–{bad[1]}) in its data"
            )
        if not data:
            raise MemberReadError(f"{self._label}: no data at byte {pos} (damaged?)")
        return bytes(data)


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Byte ranges in both sorted, non-overlapping lists."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


class _ImageWindow(PositionalStream):
    """``length`` bytes of an opened image from ``offset``: one partition, read-only."""

    def __init__(self, image: StreamImage, offset: int, length: int) -> None:
        self._image, self._offset, self.size = image, offset, length

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        return self._image.read(self._offset + pos, n_bytes)


def _free(allocation: Allocation, volume: Volume, block: int) -> list[tuple[int, int]]:
    """Absolute byte ranges of the volume that no allocated file uses."""
    free: list[tuple[int, int]] = []
    cursor = volume.offset
    end = volume.offset + volume.length
    for start, stop in allocation.merged():
        a, b = volume.offset + start * block, volume.offset + stop * block
        if a > cursor:
            free.append((cursor, min(a, end)))
        cursor = max(cursor, b)
    if cursor < end:
        free.append((cursor, end))
    return [(a, b) for a, b in free if b > a]


def _carved(
    image: StreamImage, where: Locator, ranges: list[tuple[int, int]], share: Share | None
) -> Iterator[Member]:
    if not CARVE:
        return
    for found in carve(image.read, slice_ranges(ranges, share)):
        locator = where.child(
            layers.CARVED, found.name, carved=True, offset=found.offset, length=found.length
        )
        yield Member(locator, found.name, size=found.length, opener=_carved_opener(image, found))


def _carved_opener(image: StreamImage, found: Carved) -> Any:
    def open_carved() -> BinaryIO:
        return io.BytesIO(image.read(found.offset, found.length))

    return open_carved


_RAW = DiskImageReader()
CONTAINER_TYPES.update({"disk-image": _RAW, "fs-image": _RAW, "ewf": EwfReader()})
_CRYPT = (LuksReader(), BitLockerReader(), FileVaultReader())
CONTAINER_TYPES.update({reader.layer: reader for reader in _CRYPT})
CONTAINER_TYPES[layers.LVM] = LvmReader()
_VIRTUAL = (VhdReader(), VhdxReader(), VmdkReader(), QcowReader(), DmgReader())
CONTAINER_TYPES.update({reader.layer: reader for reader in _VIRTUAL})

"""Reopen one file of a disk image from its locator (thumbnails, review, export).

Registers openers for the disk layers with :func:`vigil.sources.reopen.register`:

* ``ewf``: the media of the E01 set (all segments, found by name beside the
  ``os`` file; a single stream inside another container);
* ``vhd``, ``vhdx``, ``vmdk``, ``qcow``: the media of the VM disk (its parents
  and extents found beside the ``os`` file, as the scan found them; a single
  stream inside another container);
* ``partition``: a window of the parent at the layer's ``offset``/``length``;
* file-system layers (``ntfs``, ``fat`` …): the file with the layer's
  ``inode`` (and NTFS stream ``ads``), read by TSK and copied to a spool;
* ``luks``, ``bitlocker``, ``filevault``: the decrypted volume, with the key
  given for the exhibit (:func:`vigil.sources.keys.keys_scope`; none: refused);
* ``lvm``: the logical volume of that name in the parent physical volume;
* ``carved``: ``length`` bytes at the image ``offset`` (absolute, so taken
  relative to an enclosing partition).

Everything is read-only; :func:`vigil.sources.reopen.open_item` checks the
SHA-256 of what comes back against the scan's.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from typing import BinaryIO, cast

import pytsk3

from vigil.sources.archives.streams import as_binary
from vigil.sources.disk import layers
from vigil.sources.disk.crypt import CryptOpenError, unlock
from vigil.sources.disk.ewf import EwfStream
from vigil.sources.disk.lvm import LvmError, find_volume
from vigil.sources.disk.reader import TskFileStream, open_virtual_disk
from vigil.sources.disk.segments import ConcatStream, ewf_segments, raw_segments
from vigil.sources.disk.volumes import StreamImage, open_layer
from vigil.sources.keys import exhibit_keys
from vigil.sources.locator import Locator
from vigil.sources.positional import PositionalStream
from vigil.sources.reopen import ReopenError, register

SPOOL_MEMORY_BYTES = 16 * 1024 * 1024


def open_ewf(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The acquired media of an E01 set."""
    outer = locator.parent
    if parent is None or outer is None:
        raise ReopenError(f"{locator.display()}: an ewf layer needs its segment file")
    if outer.depth == 0 and outer.leaf.type == "os":
        return as_binary(EwfStream.from_paths(ewf_segments(os.fsencode(outer.leaf.path))))
    parent.seek(0)
    return as_binary(EwfStream([parent], owned=False))


def open_virtual(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The media of a VM disk (VHD, VHDX, VMDK, QCOW2), opened as the scan opened it."""
    outer = locator.parent
    if parent is None or outer is None:
        raise ReopenError(f"{locator.display()}: a {locator.leaf.type} layer needs its disk file")
    return as_binary(open_virtual_disk(locator.leaf.type, parent, outer))


def open_partition(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """A read-only window of the parent image: one partition."""
    parent = _media(parent, locator)  # a split image's joined segments: the window owns them
    offset, length = int(locator.leaf.get("offset", 0)), int(locator.leaf.get("length", 0))
    return as_binary(_Window(parent, offset, length))


def open_fs_file(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The file (or NTFS stream) with the layer's inode, copied out of its file system."""
    layer = locator.leaf
    inode = layer.get("inode")
    if inode is None:
        raise ReopenError(f"{locator.display()}: no inode recorded: cannot reopen")
    media = _media(parent, locator)
    try:
        size = media.seek(0, io.SEEK_END)
        try:
            fs = open_layer(StreamImage(media, size), layer.type)
            tsk_file = fs.open_meta(inode=int(inode))
        except (OSError, RuntimeError) as exc:
            raise ReopenError(f"{locator.display()}: {exc}") from exc
        attr = _attribute(tsk_file, layer.get("ads"))
        length = attr[2] if attr is not None else int(tsk_file.info.meta.size)
        stream = TskFileStream(tsk_file, attr[:2] if attr else None, length, layer.path)
        return _spool(as_binary(stream))
    finally:
        if media is not parent:
            media.close()


def open_carved(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The carved bytes: ``length`` at the absolute image ``offset``."""
    media = _media(parent, locator)
    offset = int(locator.leaf.get("offset", 0)) - _base_offset(locator)
    length = int(locator.leaf.get("length", 0))
    try:
        media.seek(offset)
        return io.BytesIO(media.read(length))
    finally:
        if media is not parent:
            media.close()


def _media(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The parent stream, or every segment of a split raw image given as evidence."""
    outer = locator.parent
    if parent is None or outer is None:
        raise ReopenError(f"{locator.display()}: a disk layer needs its image")
    if outer.depth == 0 and outer.leaf.type == "os":
        paths = raw_segments(os.fsencode(outer.leaf.path))
        if len(paths) > 1:
            return as_binary(ConcatStream(paths))
    return parent


def _base_offset(locator: Locator) -> int:
    """Where the parent stream starts in the image (a partition's offset, else 0)."""
    outer = locator.parent
    if outer is not None and outer.leaf.type == layers.PARTITION:
        return int(outer.leaf.get("offset", 0))
    return 0


def _attribute(tsk_file: pytsk3.File, ads: str | None) -> tuple[int, int, int] | None:
    """(type, id, size) of the named NTFS stream, or of the default data stream."""
    data_types = {
        int(pytsk3.TSK_FS_ATTR_TYPE_DEFAULT),
        int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA),
        int(pytsk3.TSK_FS_ATTR_TYPE_HFS_DATA),
    }
    for attr in tsk_file:
        info = attr.info
        if int(info.type) not in data_types:
            continue
        name = info.name.decode("utf-8", "surrogateescape") if info.name else None
        if name == ads:
            return int(info.type), int(info.id), int(info.size)
    if ads is not None:
        raise ReopenError(f"no stream {ads!r} on this file any more")
    return None


def _spool(source: BinaryIO) -> BinaryIO:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
    try:
        with source:
            shutil.copyfileobj(source, spool, 1 << 20)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return cast(BinaryIO, spool)


class _Window(PositionalStream):
    """``length`` bytes of ``parent`` from ``offset``, read-only and seekable."""

    def __init__(self, parent: BinaryIO, offset: int, length: int) -> None:
        self._parent, self._offset, self.size = parent, offset, length

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        self._parent.seek(self._offset + pos)
        return self._parent.read(n_bytes)


register(layers.EWF, open_ewf)
register(layers.PARTITION, open_partition)
for _layer in layers.VIRTUAL_DISKS:
    register(_layer, open_virtual)
register(layers.CARVED, open_carved)
for _layer in layers.FS_LAYERS:
    register(_layer, open_fs_file)


def open_crypt(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The decrypted volume, opened again with the key given for its exhibit (never stored)."""
    if parent is None:
        raise ReopenError(f"{locator.display()}: an encrypted volume needs its parent")
    found = []
    try:
        found = unlock(locator.leaf.type, parent, exhibit_keys())
    except CryptOpenError as exc:
        raise ReopenError(f"{locator.display()}: {exc}") from exc
    wanted = [item for item in found if item.path == locator.leaf.path]
    for item in found:
        if item not in wanted:
            item.stream.close()
    if not wanted:
        raise ReopenError(f"{locator.display()}: no such volume once decrypted")
    return wanted[0].stream


def open_lvm(parent: BinaryIO | None, locator: Locator) -> BinaryIO:
    """The logical volume named by the layer, from the physical volume in ``parent``."""
    if parent is None:
        raise ReopenError(f"{locator.display()}: a logical volume needs its physical volume")
    try:
        return find_volume(parent, locator.leaf.path).stream
    except LvmError as exc:
        raise ReopenError(f"{locator.display()}: {exc}") from exc


for _layer in layers.CRYPT_LAYERS:
    register(_layer, open_crypt)
register(layers.LVM, open_lvm)

"""LVM2 physical volumes: each logical volume read like a disk of its own (libvslvm).

An LVM2 physical volume (a whole image, or a partition of type 8e) holds a
volume group whose logical volumes are lists of extents on the physical
volumes. ``pyvslvm`` maps them; each logical volume becomes an ``lvm`` locator
layer named after it, below which its file system (or partition table) is
walked as usual. Only the physical volume being read is given to libvslvm: a
volume group spread over several disks reads the extents that lie on this one,
and a logical volume with extents elsewhere fails with a note.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, BinaryIO

from vigil.errors import SourceError
from vigil.sources.archives.streams import as_binary, describe
from vigil.sources.positional import PositionalStream

LAYER = "lvm"


class LvmError(SourceError):
    """A physical volume libvslvm cannot read; the message is the item's reason."""


@dataclass(frozen=True, slots=True)
class LogicalVolume:
    """One logical volume: its name (the layer path), stream and size in bytes."""

    name: str
    stream: BinaryIO
    size: int


class _LvStream(PositionalStream):
    def __init__(self, volume: Any, size: int) -> None:
        self._volume, self.size = volume, size
        self._lock = threading.Lock()

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        with self._lock:
            return bytes(self._volume.read_buffer_at_offset(n_bytes, pos))


def logical_volumes(stream: BinaryIO) -> Generator[LogicalVolume, None, None]:
    """The logical volumes of the physical volume in ``stream``, in the metadata's order.

    Raises :class:`LvmError` in words when the volume group cannot be read.
    """
    import pyvslvm

    handle = pyvslvm.handle()
    try:
        stream.seek(0)
        handle.open_file_object(stream)
        handle.open_physical_volume_files_as_file_objects([stream])
        group = handle.get_volume_group()
        count = int(group.get_number_of_logical_volumes())
    except OSError as exc:
        _close(handle)
        raise LvmError(f"LVM2 physical volume: libvslvm cannot read it: {describe(exc)}") from exc
    try:
        for index in range(count):
            volume = group.get_logical_volume(index)
            name = str(volume.get_name() or f"#{index + 1}")
            size = int(volume.get_size())
            yield LogicalVolume(name, as_binary(_LvStream(volume, size)), size)
    finally:
        _close(handle)


def _close(handle: Any) -> None:
    with contextlib.suppress(OSError):  # refused for a handle whose open failed: nothing held
        handle.close()


def find_volume(stream: BinaryIO, name: str) -> LogicalVolume:
    """The logical volume called ``name`` (reopen), its handle kept open by its stream."""
    found = logical_volumes(stream)
    for volume in found:
        if volume.name == name:
            return LogicalVolume(volume.name, as_binary(_Holding(volume, found)), volume.size)
    raise LvmError(f"no logical volume {name!r} in this volume group any more")


class _Holding(PositionalStream):
    """A logical volume's stream that closes the volume group's handle when closed."""

    def __init__(self, volume: LogicalVolume, owner: Generator[LogicalVolume, None, None]) -> None:
        self._inner, self._owner, self.size = volume.stream, owner, volume.size

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        self._inner.seek(pos)
        return self._inner.read(n_bytes)

    def close(self) -> None:
        if not self.closed:
            self._owner.close()
        super().close()

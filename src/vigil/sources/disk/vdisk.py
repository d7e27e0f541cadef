"""VM disks (VHD, VHDX, VMDK, QCOW2) and Apple UDIF images as one read-only stream of their media.

libyal's bindings (``pyvhdi``, ``pyvmdk``, ``pyqcow``, ``pymodi``) read through file
objects we open ourselves with :func:`~vigil.sources.folder.open_readonly`, as
``pyewf`` does for E01 sets, so no file is opened for writing and no access
time changes.

Some disks need other files: a differencing VHD/VHDX, a QCOW2 overlay or a
VMDK snapshot names its *parent*, and a VMDK descriptor names its *extents*.
They are looked for beside the disk, by the base name the disk records (a
Windows path such as ``C:\\VMs\\base.vhd`` is looked for as ``base.vhd``; never a
path outside the disk's folder). One that is missing makes the disk
:class:`Unopenable` with status ``unsupported`` and says which file: a
differencing disk is never read without its parent, which would show its
unchanged sectors as zeros. Inside another container only the one file is at
hand, so a disk that needs others is unsupported there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, BinaryIO, Literal

import pymodi
import pyqcow
import pyvhdi
import pyvmdk

from vigil.errors import SourceError
from vigil.sources.folder import open_readonly
from vigil.sources.opaque import opaque_type
from vigil.sources.positional import PositionalStream

KINDS: dict[str, str] = {
    "vhd": "VHD",
    "vhdx": "VHDX",
    "vmdk": "VMDK",
    "qcow": "QCOW2",
    "dmg": "Apple UDIF (DMG)",
}
"""File types (:mod:`vigil.sources.identify` names) of the VM disks read here, and names."""

MAX_CHAIN = 16
"""Most parents above one disk (snapshot chains are short; a loop must end)."""

MAX_EXTENTS = 4096
"""Most extent files of one VMDK (a 2 GB-split disk of 8 TB has 4096)."""

HEADER_BYTES = 4096
MAX_REASON_CHARS = 300
BAD_UNIT_BYTES = 64 * 1024
"""Damage is read around in units of a VMDK grain or a QCOW2 cluster (64 KiB)."""


UnopenableStatus = Literal["unsupported", "encrypted", "error"]


class Unopenable(SourceError):
    """A virtual disk that cannot be read: status ``unsupported``, ``encrypted`` or ``error``."""

    def __init__(self, reason: str, status: UnopenableStatus = "error") -> None:
        super().__init__(reason)
        self.status: UnopenableStatus = status


Finder = Callable[[str, str], BinaryIO]
"""Open a companion file by the name the disk records and what it is (``parent disk`` …)."""


class VirtualDisk(PositionalStream):
    """The media of a virtual disk (its parents and extents included); closing closes them."""

    def __init__(
        self, kind: str, stream: BinaryIO, name: str, find: Finder, *, owned: bool
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"not a virtual disk type: {kind}")
        self.kind = kind
        self._stack = ExitStack()
        self.parents: list[str] = []  # base names, nearest first
        self.extents: list[str] = []  # base names of the VMDK extent files read
        self.bad: list[tuple[int, int]] = []  # unreadable byte ranges met so far (as zeros)
        try:
            if owned:
                self._stack.callback(stream.close)
            self._handle = self._open_chain(kind, stream, name, find)
            self.size = int(self._handle.get_media_size())
        except BaseException:
            self._stack.close()
            raise

    @classmethod
    def from_path(cls, kind: str, path: bytes) -> VirtualDisk:
        """Open the disk file at ``path`` read-only, and its parents and extents beside it."""
        folder = os.path.dirname(path)
        stream = open_readonly(path)
        try:
            return cls(
                kind, stream, os.fsdecode(os.path.basename(path)), _beside(folder), owned=True
            )
        except BaseException:
            stream.close()  # closed by the disk's stack already: twice is harmless
            raise

    @classmethod
    def from_stream(cls, kind: str, stream: BinaryIO, name: str) -> VirtualDisk:
        """A disk given as one stream (inside another container): no file beside it."""
        return cls(kind, stream, name, _nothing_beside, owned=False)

    def _open_chain(self, kind: str, stream: BinaryIO, name: str, find: Finder) -> Any:
        handle = self._open_one(kind, stream, name, find)
        seen = {_base(name).lower()}
        child, child_kind = handle, kind
        while True:
            parent_name = _parent_name(child_kind, child)
            if not parent_name:
                return handle
            base = _base(parent_name)
            if len(self.parents) >= MAX_CHAIN or base.lower() in seen:
                raise Unopenable(
                    f"{KINDS[kind]} parent chain loops or is longer than {MAX_CHAIN} disks"
                    f" (at {base})"
                )
            seen.add(base.lower())
            parent_stream = find(parent_name, "parent disk")
            self._stack.callback(parent_stream.close)  # closed after the handles that read it
            parent_kind = opaque_type(_head(parent_stream))
            if parent_kind is None or not _compatible(child_kind, parent_kind):
                raise Unopenable(
                    f"parent disk {base} is not a {KINDS[child_kind]} image"
                    f" ({KINDS.get(parent_kind or '', 'raw or unknown')}): not read",
                    "unsupported",
                )
            parent = self._open_one(parent_kind, parent_stream, base, find)
            try:
                child.set_parent(parent)
            except (OSError, RuntimeError, TypeError) as exc:
                reason = libyal_reason(exc)
                raise Unopenable(f"parent disk {base} does not fit its child: {reason}") from exc
            self.parents.append(base)
            child, child_kind = parent, parent_kind

    def _open_one(self, kind: str, stream: BinaryIO, name: str, find: Finder) -> Any:
        """Open one disk of the chain (its extents too, for a VMDK)."""
        if kind == "qcow":
            method = qcow_encryption(_head(stream))
            if method is not None:  # libqcow would give the ciphertext as data, unasked
                raise Unopenable(
                    f"QCOW2 image {name} is encrypted ({method}): not decrypted, files not read",
                    "encrypted",
                )
        handle = _new_handle(kind)
        try:
            handle.open_file_object(stream)
        except (OSError, RuntimeError, TypeError, ValueError) as exc:
            raise Unopenable(
                f"not a readable {KINDS[kind]} image ({name}): {libyal_reason(exc)}"
            ) from exc
        self._stack.callback(handle.close)
        if kind == "vmdk":
            self._open_extents(handle, stream, name, find)
        return handle

    def _open_extents(self, handle: Any, stream: BinaryIO, name: str, find: Finder) -> None:
        descriptors = list(handle.extent_descriptors)
        if len(descriptors) > MAX_EXTENTS:
            raise Unopenable(
                f"VMDK {name} names {len(descriptors)} extents (most read: {MAX_EXTENTS})",
                "unsupported",
            )
        files: list[BinaryIO] = []
        embedded = _head(stream)[:4] in (b"KDMV", b"COWD")
        if embedded:  # a sparse disk holding its descriptor is its own (only) extent
            if len(descriptors) != 1:
                raise Unopenable(
                    f"VMDK {name} is one sparse extent but its descriptor names"
                    f" {len(descriptors)}: not read",
                    "unsupported",
                )
            # by itself, whatever name it records: a renamed copy must not read the original
            files.append(stream)
            descriptors = []
        for descriptor in descriptors:
            extent = descriptor.filename
            if not extent:
                continue  # a ZERO extent has no file
            opened = find(extent, "extent file")
            self._stack.callback(opened.close)
            files.append(opened)
            self.extents.append(_base(extent))
        try:
            handle.open_extent_data_files_as_file_objects(files)
        except (OSError, RuntimeError, TypeError, ValueError) as exc:
            reason = libyal_reason(exc)
            raise Unopenable(f"extents of VMDK {name} are not readable: {reason}") from exc

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        try:
            return bytes(self._handle.read_buffer_at_offset(n_bytes, pos))
        except OSError:
            return self._read_units(pos, n_bytes)

    def _read_units(self, pos: int, n_bytes: int) -> bytes:
        """Read unit by unit; an unreadable unit reads as zeros and is recorded in :attr:`bad`.

        Done here, not sector by sector in StreamImage: a compressed grain would be
        decompressed once per sector, and a truncated disk would take minutes.
        """
        out = bytearray()
        end = min(pos + n_bytes, self.size)
        start = pos
        while start < end:
            stop = min((start // BAD_UNIT_BYTES + 1) * BAD_UNIT_BYTES, end)
            try:
                out += self._handle.read_buffer_at_offset(stop - start, start)
            except OSError:
                if not self.bad or self.bad[-1][1] != start:
                    self.bad.append((start, stop))
                else:  # one range for a run of units
                    self.bad[-1] = (self.bad[-1][0], stop)
                out += bytes(stop - start)
            start = stop
        return bytes(out)

    def close(self) -> None:
        if not self.closed:
            self._stack.close()
        super().close()


def libyal_reason(exc: BaseException) -> str:
    """libyal's error chain in words: its messages without function names, outermost dropped.

    ``pyvhdi_file_open_file_object: unable to open file. libvhdi_file_footer_read_data:
    unsupported signature.`` becomes ``unsupported signature``.
    """
    parts = [part.split(": ", 1)[-1].strip(" .") for part in str(exc).split(". ")]
    distinct = list(dict.fromkeys(part for part in parts if part))
    inner = distinct[1:] or distinct or [type(exc).__name__]
    return "; ".join(inner)[:MAX_REASON_CHARS]


def qcow_encryption(head: bytes) -> str | None:
    """``AES`` or ``LUKS`` when a QCOW header says its clusters are encrypted, else None.

    ``crypt_method`` is the big-endian word at offset 36 in version 1, 32 from version 2.
    """
    if len(head) < 40 or head[:4] != b"QFI\xfb":
        return None
    version = int.from_bytes(head[4:8], "big")
    method = int.from_bytes(head[36:40] if version == 1 else head[32:36], "big")
    if method == 0:
        return None
    return {1: "AES", 2: "LUKS"}.get(method, f"method {method}")


def _new_handle(kind: str) -> Any:
    if kind in ("vhd", "vhdx"):
        return pyvhdi.file()
    if kind == "vmdk":
        return pyvmdk.handle()
    if kind == "dmg":
        return pymodi.handle()
    return pyqcow.file()


def _parent_name(kind: str, handle: Any) -> str | None:
    """The file name of the disk's parent (backing file) as it records it, or None."""
    if kind == "dmg":
        return None  # a UDIF image stands alone (shadow files are not evidence copies)
    name = handle.get_backing_filename() if kind == "qcow" else handle.get_parent_filename()
    return str(name) if name else None


def _compatible(child: str, parent: str | None) -> bool:
    if child in ("vhd", "vhdx"):
        return parent in ("vhd", "vhdx")
    return parent == child


def _head(stream: BinaryIO) -> bytes:
    stream.seek(0)
    head = stream.read(HEADER_BYTES)
    stream.seek(0)
    return head


def _base(recorded: str) -> str:
    """The last component of a name as a disk records it (``/`` or Windows ``\\`` paths)."""
    return recorded.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _beside(folder: bytes) -> Finder:
    def find(recorded: str, what: str) -> BinaryIO:
        base = _base(recorded)
        if base in ("", ".", ".."):
            raise Unopenable(f"{what} {recorded!r} has no file name", "unsupported")
        path = _named_beside(folder, os.fsencode(base))
        if path is None:
            raise Unopenable(f"{what} {base} not found beside it", "unsupported")
        return open_readonly(path)

    return find


def _named_beside(folder: bytes, base: bytes) -> bytes | None:
    """``folder/base``, else the one file there whose name differs only in case (Windows)."""
    exact = os.path.join(folder, base)
    if os.path.isfile(exact):
        return exact
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return None
    matches = [n for n in names if n.lower() == base.lower()]
    if len(matches) == 1 and os.path.isfile(os.path.join(folder, matches[0])):
        return os.path.join(folder, matches[0])
    return None


def _nothing_beside(recorded: str, what: str) -> BinaryIO:
    raise Unopenable(
        f"{what} {_base(recorded)} not found beside it (read from inside a container,"
        " where only this file is at hand)",
        "unsupported",
    )

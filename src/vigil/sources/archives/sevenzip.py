"""7z archives through py7zr, one member at a time.

py7zr's public API only extracts by pushing whole files into writers; to stream
members in order with flat memory we drive its per-folder decompressor
ourselves (``Folder.get_decompressor``, ``SevenZipFile.afterheader``,
``header.main_streams``). Those are py7zr internals, used here only; the tests
pin the behaviour.

Memory: one LZMA dictionary (as declared by the archive, refused above
``Limits.max_dictionary_bytes``) plus one read chunk. A 7z "folder" is a solid
block: reaching member *i* of a folder means decoding every member before it,
so an unread member is decoded and discarded (charged to the budget) when a
later one is opened.

Encryption: an encrypted header gives one ``encrypted`` note (names unknown);
encrypted data gives members with status ``encrypted``. No password is tried.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import py7zr
from py7zr.compressor import SevenZipDecompressor, SupportedMethods
from py7zr.exceptions import PasswordRequired, UnsupportedCompressionMethodError

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.streams import (
    MemberReadError,
    as_binary,
    describe,
    limited_stream,
    read_up_to,
)
from vigil.sources.limits import LimitExceeded

_LZMA1 = b"\x03\x01\x01"
_LZMA2 = b"\x21"
_CHUNK = 256 * 1024
_LINK_TARGET_MAX = 4096


class SevenZipReader(ContainerReader):
    """Lists a 7z header and streams members in archive order."""

    layer = "7z"

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        stream.seek(0)
        try:
            archive = py7zr.SevenZipFile(stream, mode="r")
        except PasswordRequired:
            yield scan.note("encrypted", "7z header is encrypted: names and contents unknown")
            return
        try:
            files = list(archive.files)
            scan.total_entries = len(files)
            cursor = _Cursor(archive, stream, scan)
            for file in files:
                yield _member(file, cursor, scan)
        finally:
            archive.close()


@dataclass
class _Slot:
    """Where one member's data lies: its folder, and its offset in the folder's output."""

    folder: Any
    folder_start: int
    packsize: int
    offset: int
    size: int
    crc: int | None


class _Cursor:
    """Decodes folders forward; reopening an earlier position restarts the folder."""

    def __init__(self, archive: py7zr.SevenZipFile, stream: BinaryIO, scan: Scan) -> None:
        self._stream = stream
        self._scan = scan
        self._starts: dict[int, int] = {}
        self._packsizes: dict[int, int] = {}
        self._next_offset: dict[int, int] = {}
        self._problems: dict[int, tuple[str, str] | None] = {}
        main = getattr(archive.header, "main_streams", None)
        if main is not None:
            positions = main.packinfo.packpositions
            for index, folder in enumerate(main.unpackinfo.folders):
                # py7zr's own extractor uses the folder index into packpositions too.
                self._starts[id(folder)] = archive.afterheader + positions[index]
        self._folder: Any = None
        self._decoder: SevenZipDecompressor | None = None
        self._position = 0  # bytes of the current folder's output consumed
        self._file_pos = 0

    def slot(self, file: Any) -> _Slot:
        """Record a member's place in its folder (called in archive order)."""
        key = id(file.folder)
        if key not in self._packsizes:
            self._packsizes[key] = int(file.compressed or 0)  # first file carries the packsize
        offset = self._next_offset.get(key, 0)
        self._next_offset[key] = offset + int(file.uncompressed)
        start, packsize = self._starts[key], self._packsizes[key]
        return _Slot(file.folder, start, packsize, offset, file.uncompressed, file.crc32)

    def problem(self, folder: Any) -> tuple[str, str] | None:
        """Why a folder cannot be decoded, worked out once per folder."""
        key = id(folder)
        if key not in self._problems:
            self._problems[key] = _folder_problem(folder, self._scan)
        return self._problems[key]

    def open(self, slot: _Slot, label: str) -> BinaryIO:
        """A stream of the member at ``slot``, after skipping what lies before it."""
        if self._folder is not slot.folder or self._position > slot.offset:
            self._restart(slot)
        self._skip(slot.offset - self._position, label)
        return as_binary(_MemberRaw(self, slot, label))

    def read(self, n_bytes: int) -> bytes:
        """Up to ``n_bytes`` of the current folder's output."""
        if self._decoder is None:
            raise RuntimeError("7z folder read before its decoder was set up")
        self._stream.seek(self._file_pos)
        data = bytes(self._decoder.decompress(self._stream, n_bytes))
        if not data and self._stream.tell() == self._file_pos:
            raise MemberReadError("7z data ends early (truncated or corrupt)")
        self._file_pos = self._stream.tell()
        self._position += len(data)
        return data

    def _restart(self, slot: _Slot) -> None:
        self._folder = slot.folder
        self._decoder = slot.folder.get_decompressor(slot.packsize, reset=True)
        self._position = 0
        self._file_pos = slot.folder_start

    def _skip(self, n_bytes: int, label: str) -> None:
        budget = self._scan.budget
        if n_bytes > budget.remaining_bytes:
            raise LimitExceeded(
                f"{label}: reaching it means decoding {n_bytes} bytes of earlier members, "
                f"more than the {budget.remaining_bytes} left in the budget"
            )
        while n_bytes > 0:
            data = self.read(min(n_bytes, _CHUNK))
            budget.charge(len(data))
            n_bytes -= len(data)


class _MemberRaw(io.RawIOBase):
    """One member's bytes from the cursor, checked against its CRC at the end."""

    def __init__(self, cursor: _Cursor, slot: _Slot, label: str) -> None:
        self._cursor = cursor
        self._slot = slot
        self._label = label
        self._left = slot.size
        self._crc = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._left <= 0:
            return 0
        data = b""
        while not data:  # a decoder may consume input before giving output; 0 means EOF
            data = self._cursor.read(min(len(view), self._left))
        self._left -= len(data)
        self._crc = zlib.crc32(data, self._crc)
        if self._left == 0 and self._slot.crc is not None and self._crc != self._slot.crc:
            raise MemberReadError(f"{self._label}: CRC mismatch (corrupt data)")
        view[: len(data)] = data
        return len(data)


def _member(file: Any, cursor: _Cursor, scan: Scan) -> Member:
    name = str(file.filename)
    fields: dict[str, Any] = {
        "size": int(file.uncompressed or 0),
        "compressed_size": file.compressed,
        "mtime": file.lastwritetime.totimestamp() if file.lastwritetime is not None else None,
    }
    if file.is_directory:
        return scan.entry(name, kind="dir", **fields)
    if file.folder is None:  # an empty file: no stream at all
        return scan.entry(name, opener=lambda: io.BytesIO(b""), **fields)
    problem = cursor.problem(file.folder)
    if problem is not None:
        status, reason = problem
        attrs = {"encrypted": True} if status == "encrypted" else None
        return scan.entry(name, status=status, reason=reason, attrs=attrs, **fields)
    slot = cursor.slot(file)
    if file.is_symlink or file.is_socket:
        target = _link_target(cursor, slot, name) if file.is_symlink else None
        kind = "symlink" if file.is_symlink else "special"
        return scan.entry(
            name,
            kind=kind,
            status="skipped",
            reason=f"{kind} entry, not followed",
            link_target=target,
            **fields,
        )

    def opener() -> BinaryIO:
        raw = cursor.open(slot, name)
        # Ratio against the folder's packed size: a lower bound for solid blocks.
        packsize = slot.packsize
        return limited_stream(raw, name, scan.limits, scan.budget, lambda: packsize)

    return scan.entry(name, opener=opener, **fields)


def _folder_problem(folder: Any, scan: Scan) -> tuple[str, str] | None:
    """Why a folder's data cannot be read (encrypted, unsupported, too big), or None."""
    coders = folder.coders
    if SupportedMethods.needs_password(coders):
        return "encrypted", "encrypted (7z AES); no password attempted"
    dictionary = _dictionary_bytes(coders)
    if dictionary > scan.limits.max_dictionary_bytes:
        return "limit", (
            f"LZMA dictionary of {dictionary} bytes exceeds "
            f"{scan.limits.max_dictionary_bytes} (memory needed to decode)"
        )
    try:
        SevenZipDecompressor(coders, 0, folder.unpacksizes, None, None)
    except UnsupportedCompressionMethodError as exc:
        return "unsupported", f"compression method not supported: {describe(exc)}"
    return None


def _dictionary_bytes(coders: list[dict[str, Any]]) -> int:
    """The largest LZMA/LZMA2 dictionary a folder declares (the decoder allocates it)."""
    largest = 0
    for coder in coders:
        props = coder.get("properties") or b""
        if coder.get("method") == _LZMA1 and len(props) >= 5:
            largest = max(largest, int.from_bytes(props[1:5], "little"))
        elif coder.get("method") == _LZMA2 and len(props) >= 1 and props[0] <= 40:
            code = props[0]
            size = 0xFFFFFFFF if code == 40 else (2 | (code & 1)) << (code // 2 + 11)
            largest = max(largest, size)
    return largest


def _link_target(cursor: _Cursor, slot: _Slot, name: str) -> str | None:
    """A symlink's target, stored as its data; None when it cannot be read."""
    if slot.size > _LINK_TARGET_MAX:
        return None
    try:
        data = read_up_to(cursor.open(slot, name), _LINK_TARGET_MAX)
    except Exception:
        return None  # damaged or over budget: the link stays listed, target unknown
    return data.decode("utf-8", "surrogateescape")

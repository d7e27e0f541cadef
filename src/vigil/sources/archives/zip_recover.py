"""Recover members of a zip whose central directory is missing or damaged.

Truncated zips are common evidence (partial browser or P2P downloads, carved
files). When zipfile cannot read the central directory, we walk the local file
headers from the start instead: each gives name, method, sizes and CRC; where
sizes follow the data (flag bit 3) the data descriptor is found by its
signature and checked against the distance travelled. Recovery stops at the
first header that does not parse; the reader then adds an ``error`` note.
"""

from __future__ import annotations

import bz2
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from vigil.sources.archives.base import Member, Scan
from vigil.sources.archives.streams import MemberReadError, as_binary, limited_stream

_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_FLAG_ENCRYPTED, _FLAG_DESCRIPTOR, _FLAG_UTF8 = 0x1, 0x8, 0x800
_STORED, _DEFLATED, _BZIP2 = 0, 8, 12
_SEARCH_CHUNK = 1024 * 1024
_ZIP64_EXTRA = 0x0001


@dataclass(frozen=True)
class _Local:
    offset: int
    name: str
    flags: int
    method: int
    dos_time: tuple[int, int]
    crc: int
    compressed_size: int
    size: int
    data_start: int
    trailer: int  # bytes of data descriptor after the data (0, 16 or 24)


def recover(stream: BinaryIO, scan: Scan) -> Iterator[Member]:
    """Members found by walking local headers; stops quietly at the first unreadable one."""
    end = stream.seek(0, io.SEEK_END)
    offset = 0
    while offset + _HEADER.size <= end:
        local = _read_local(stream, offset, end)
        if local is None:
            return
        yield _member(stream, local, scan)
        offset = local.data_start + local.compressed_size + local.trailer


def _read_local(stream: BinaryIO, offset: int, end: int) -> _Local | None:
    stream.seek(offset)
    raw = stream.read(_HEADER.size)
    if len(raw) < _HEADER.size or raw[:4] != _LOCAL:
        return None
    _, _, flags, method, time, date, crc, csize, size, name_len, extra_len = _HEADER.unpack(raw)
    name_raw = stream.read(name_len)
    extra = stream.read(extra_len)
    data_start = offset + _HEADER.size + name_len + extra_len
    csize, size = _zip64_sizes(extra, csize, size)
    trailer = 0
    if flags & _FLAG_DESCRIPTOR:
        found = _find_descriptor(stream, data_start, end)
        if found is None:
            return None
        crc, csize, size, trailer = found
    if data_start + csize > end:
        return None
    name = name_raw.decode("utf-8" if flags & _FLAG_UTF8 else "cp437", "surrogateescape")
    return _Local(offset, name, flags, method, (date, time), crc, csize, size, data_start, trailer)


def _zip64_sizes(extra: bytes, csize: int, size: int) -> tuple[int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        field_id, length = struct.unpack_from("<HH", extra, pos)
        if field_id == _ZIP64_EXTRA and length >= 16:
            size, csize = struct.unpack_from("<QQ", extra, pos + 4)
            break
        pos += 4 + length
    return csize, size


def _find_descriptor(
    stream: BinaryIO, data_start: int, end: int
) -> tuple[int, int, int, int] | None:
    """(crc, compressed size, size, length) of the first descriptor that fits its position."""
    pos = data_start
    while pos < end:
        stream.seek(pos)
        chunk = stream.read(_SEARCH_CHUNK + 24)
        at = chunk.find(_DESCRIPTOR)
        while at >= 0:
            found = _check_descriptor(chunk[at:], pos + at - data_start)
            if found is not None:
                return found
            at = chunk.find(_DESCRIPTOR, at + 1)
        pos += _SEARCH_CHUNK
    return None


def _check_descriptor(tail: bytes, distance: int) -> tuple[int, int, int, int] | None:
    # Signature, CRC, then sizes of 4 bytes each, or 8 each in a zip64 archive.
    if len(tail) >= 16:
        crc, csize, size = struct.unpack_from("<III", tail, 4)
        if csize == distance:
            return crc, csize, size, 16
    if len(tail) >= 24:
        crc, csize, size = struct.unpack_from("<IQQ", tail, 4)
        if csize == distance:
            return crc, csize, size, 24
    return None


def _member(stream: BinaryIO, local: _Local, scan: Scan) -> Member:
    attrs: dict[str, Any] = {"recovered": True}
    fields: dict[str, Any] = {
        "size": local.size,
        "compressed_size": local.compressed_size,
        "mtime": _dos_time(*local.dos_time),
        "attrs": attrs,
    }
    if local.name.endswith("/"):
        return scan.entry(local.name, kind="dir", **fields)
    if local.flags & _FLAG_ENCRYPTED:
        attrs["encrypted"] = True
        reason = "encrypted; no password attempted"
        return scan.entry(local.name, status="encrypted", reason=reason, **fields)
    if local.method not in (_STORED, _DEFLATED, _BZIP2):
        reason = f"compression method {local.method} not supported when recovering"
        return scan.entry(local.name, status="unsupported", reason=reason, **fields)
    return scan.entry(local.name, opener=lambda: _open(stream, local, scan), **fields)


def _open(stream: BinaryIO, local: _Local, scan: Scan) -> BinaryIO:
    raw = as_binary(_Decoded(stream, local))
    if local.method == _STORED:
        return limited_stream(raw, local.name, scan.limits, None)
    compressed = local.compressed_size
    return limited_stream(raw, local.name, scan.limits, scan.budget, lambda: compressed)


class _Decoded(io.RawIOBase):
    """A recovered member's data, decoded and CRC-checked, read at its own offsets."""

    def __init__(self, stream: BinaryIO, local: _Local) -> None:
        self._stream = stream
        self._local = local
        self._pos = local.data_start
        self._left_in = local.compressed_size
        self._inflate = zlib.decompressobj(-15) if local.method == _DEFLATED else None
        self._bunzip = bz2.BZ2Decompressor() if local.method == _BZIP2 else None
        self._crc = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = b""
        while not data and not self._done:
            data = self._next(len(view))
        self._crc = zlib.crc32(data, self._crc)
        if self._done and self._crc != self._local.crc:
            raise MemberReadError(f"{self._local.name}: CRC mismatch (corrupt data)")
        view[: len(data)] = data
        return len(data)

    def _next(self, n_bytes: int) -> bytes:
        """The next piece of output (≤ n_bytes, maybe empty); sets ``_done`` at the end."""
        if self._inflate is not None:
            chunk = self._inflate.unconsumed_tail or self._raw(_READ_CHUNK)
            out = self._inflate.decompress(chunk, n_bytes)
            self._done = self._inflate.eof
            return out
        if self._bunzip is not None:
            chunk = self._raw(_READ_CHUNK) if self._bunzip.needs_input else b""
            out = self._bunzip.decompress(chunk, n_bytes)
            self._done = self._bunzip.eof
            return out
        if self._left_in == 0:
            self._done = True
            return b""
        return self._raw(n_bytes)

    def _raw(self, n_bytes: int) -> bytes:
        if self._left_in <= 0:
            raise MemberReadError(f"{self._local.name}: compressed data ends early (corrupt)")
        self._stream.seek(self._pos)
        chunk = self._stream.read(min(self._left_in, n_bytes))
        if not chunk:
            raise MemberReadError(f"{self._local.name}: data ends early (truncated)")
        self._pos += len(chunk)
        self._left_in -= len(chunk)
        return chunk


_READ_CHUNK = 64 * 1024


def _dos_time(date: int, time: int) -> float | None:
    year, month, day = (date >> 9) + 1980, (date >> 5) & 0xF, date & 0x1F
    hour, minute, second = time >> 11, (time >> 5) & 0x3F, (time & 0x1F) * 2
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
    except ValueError:
        return None

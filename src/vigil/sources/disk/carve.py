"""Carve JPEG, PNG and GIF pictures out of unallocated space, by structure, not by guess.

A candidate starts at a sector boundary (files start at cluster boundaries;
this keeps thumbnails embedded in other files out) with a signature, and is
kept only when its structure parses to a proper end:

* JPEG: markers with lengths up to SOS, a frame header (SOF) before it, then
  entropy-coded data to the EOI marker (multi-scan progressive files too);
* PNG: IHDR first, every chunk's CRC-32 correct, up to IEND;
* GIF: screen descriptor, colour tables, extension and image blocks, up to the
  trailer, at least one image.

A carved file is contiguous and lies inside one unallocated run; once found,
scanning resumes after its end. Sizes are capped per format.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SECTOR = 512
SCAN_BYTES = 8 << 20
MAX_BYTES = {"jpeg": 64 << 20, "png": 64 << 20, "gif": 32 << 20}
_SIGNATURES = re.compile(rb"\xff\xd8\xff|\x89PNG\r\n\x1a\n|GIF8[79]a")
_EXT = {"jpeg": "jpg", "png": "png", "gif": "gif"}

ReadAt = Callable[[int, int], bytes]


@dataclass(frozen=True, slots=True)
class Carved:
    """A picture found in unallocated space: absolute offset in the image, length, type."""

    offset: int
    length: int
    kind: str

    @property
    def name(self) -> str:
        """A file name for the locator: the offset, zero-padded, and the usual extension."""
        return f"{self.offset:012d}.{_EXT[self.kind]}"


def carve(read_at: ReadAt, ranges: list[tuple[int, int]]) -> Iterator[Carved]:
    """Pictures in the absolute byte ``ranges`` (start, end) of an image read by ``read_at``."""
    for start, end in ranges:
        yield from _carve_range(read_at, start, end)


def _carve_range(read_at: ReadAt, start: int, end: int) -> Iterator[Carved]:
    pos = start
    while pos < end:
        window = read_at(pos, min(SCAN_BYTES, end - pos))
        if not window:
            return
        next_pos = pos + len(window)
        for offset in _candidates(window, pos):
            found = _parse(read_at, offset, end, window[offset - pos : offset - pos + 1])
            if found is not None:
                yield found
                next_pos = _align_up(found.offset + found.length)
                break
        pos = next_pos


def _candidates(window: bytes, base: int) -> list[int]:
    """Absolute offsets, in order, of sector starts in ``window`` that begin with a signature."""
    skip = -base % SECTOR  # the first sector boundary inside the window
    # The first byte of every sector, sliced in C: free space is scanned at memory speed.
    firsts = window[skip::SECTOR]
    found = []
    for lead in (b"\xff", b"\x89", b"G"):
        index = firsts.find(lead)
        while index >= 0:
            at = skip + index * SECTOR
            if _SIGNATURES.match(window, at):
                found.append(base + at)
            index = firsts.find(lead, index + 1)
    return sorted(found)


def _parse(read_at: ReadAt, offset: int, end: int, first: bytes) -> Carved | None:
    kind = {b"\xff": "jpeg", b"\x89": "png", b"G": "gif"}[first]
    buffer = _Buffer(read_at, offset, min(end, offset + MAX_BYTES[kind]))
    parser = {"jpeg": _jpeg_end, "png": _png_end, "gif": _gif_end}[kind]
    try:
        length = parser(buffer)
    except _Truncated:
        return None
    return None if length is None else Carved(offset, length, kind)


def _align_up(value: int) -> int:
    return -(-value // SECTOR) * SECTOR


class _Truncated(Exception):
    """The structure runs past the range or the size cap."""


class _Buffer:
    """Bytes from ``start`` read on demand (doubling), never past ``limit``."""

    def __init__(self, read_at: ReadAt, start: int, limit: int) -> None:
        self._read_at, self._start, self._limit = read_at, start, limit - start
        self.data = b""

    def need(self, end: int) -> None:
        """Make sure bytes [0, end) are loaded, or raise :class:`_Truncated`."""
        if end <= len(self.data):
            return
        if end > self._limit:
            raise _Truncated
        want = min(max(end, 2 * len(self.data), 64 << 10), self._limit)
        self.data += self._read_at(self._start + len(self.data), want - len(self.data))
        if len(self.data) < end:
            raise _Truncated

    def get(self, pos: int, count: int) -> bytes:
        """``count`` bytes at ``pos``."""
        self.need(pos + count)
        return self.data[pos : pos + count]

    def find(self, needle: bytes, pos: int) -> int:
        """The next ``needle`` at or after ``pos`` (loading more as needed)."""
        while True:
            found = self.data.find(needle, pos)
            if found >= 0:
                return found
            pos = max(len(self.data) - len(needle) + 1, pos)
            self.need(len(self.data) + 1)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_end(buf: _Buffer) -> int | None:
    pos, frame = 2, False
    while True:
        if buf.get(pos, 1) != b"\xff":
            return None
        while buf.get(pos + 1, 1) == b"\xff":  # fill bytes
            pos += 1
        marker = buf.get(pos + 1, 1)[0]
        pos += 2
        if marker == 0xD9:
            return pos if frame else None
        if marker in (0x01, *range(0xD0, 0xD8)):
            continue
        if marker in (0x00, 0xD8):
            return None
        (length,) = struct.unpack(">H", buf.get(pos, 2))
        if length < 2:
            return None
        frame = frame or marker in _SOF
        pos += length
        if marker == 0xDA:
            if not frame:
                return None
            pos = _entropy_end(buf, pos)


def _entropy_end(buf: _Buffer, pos: int) -> int:
    """Position of the marker that ends entropy-coded data (skipping stuffing and RSTn)."""
    while True:
        pos = buf.find(b"\xff", pos)
        nxt = buf.get(pos + 1, 1)[0]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
            pos += 1 if nxt == 0xFF else 2
            continue
        return pos


def _png_end(buf: _Buffer) -> int | None:
    pos, first = 8, True
    while True:
        length, ctype = struct.unpack(">I4s", buf.get(pos, 8))
        length, ctype = int(length), bytes(ctype)
        if length > 0x7FFFFFFF or not ctype.isalpha() or (first and ctype != b"IHDR"):
            return None
        body = buf.get(pos + 4, 4 + length)
        (crc,) = struct.unpack(">I", buf.get(pos + 8 + length, 4))
        if zlib.crc32(body) != crc:
            return None
        pos += 12 + length
        first = False
        if ctype == b"IEND":
            return pos


def _gif_end(buf: _Buffer) -> int | None:
    flags = buf.get(10, 1)[0]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    images = 0
    while True:
        block = buf.get(pos, 1)[0]
        if block == 0x3B:
            return pos + 1 if images else None
        if block == 0x21:
            pos = _sub_blocks(buf, pos + 2)
        elif block == 0x2C:
            local = buf.get(pos + 9, 1)[0]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            pos = _sub_blocks(buf, pos + 1)  # after the LZW minimum code size
            images += 1
        else:
            return None


def _sub_blocks(buf: _Buffer, pos: int) -> int:
    while size := buf.get(pos, 1)[0]:
        pos += 1 + size
    return pos + 1

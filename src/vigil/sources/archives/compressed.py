"""Single-stream compression: gzip, bzip2, xz — one member, or a whole tar.

When the decompressed data starts with a tar header the file is read as a tar
(``.tar.gz``, ``.tgz`` …) and its members come under a ``tar`` layer directly.
Otherwise there is one member, named from the gzip FNAME header when present,
else the outer name without its compression suffix (``a.txt.gz`` → ``a.txt``,
``b.tgz`` → ``b.tar``; an unknown suffix keeps the outer name).

The size of the decompressed data is left undeclared (None): gzip's ISIZE is
modulo 4 GiB, covers only the last member and is garbage on truncated files.
Ratio and budget checks use the compressed bytes actually consumed.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from abc import abstractmethod
from collections.abc import Iterator
from typing import BinaryIO, ClassVar

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.streams import (
    CountingReader,
    Readable,
    as_binary,
    limited_stream,
    read_up_to,
)
from vigil.sources.archives.tar import iter_tar
from vigil.sources.identify import is_tar_header

_GZIP_HEADER_MAX = 70_000  # fixed 10 bytes + FEXTRA (≤ 64 KiB) + a file name
_FEXTRA, _FNAME = 0x04, 0x08


class _CompressedReader(ContainerReader):
    """Shared logic; subclasses name the layer, the decoder and the usual suffixes."""

    suffixes: ClassVar[dict[str, str]]

    @staticmethod
    @abstractmethod
    def _decoder(raw: BinaryIO) -> Readable:
        """A decompressing reader over ``raw``."""

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        with self._expanded(stream, scan, None) as probe:
            head = read_up_to(probe, 512)
        if is_tar_header(head):
            scan.layer = "tar"
            yield from iter_tar(self._expanded(stream, scan, None), scan, compressed=True)
            return
        name, mtime = self._name_and_time(stream, scan)
        compressed_size = stream.seek(0, os.SEEK_END)
        limit = scan.limits.max_member_bytes
        yield scan.entry(
            name,
            compressed_size=compressed_size,
            mtime=mtime,
            opener=lambda: self._expanded(stream, scan, limit),
        )

    def _expanded(self, stream: BinaryIO, scan: Scan, max_bytes: int | None) -> BinaryIO:
        """The decompressed data from the start, charged to the budget as it flows."""
        stream.seek(0)
        counter = CountingReader(stream)
        decoded = self._decoder(as_binary(counter))
        label = scan.outer.name
        return limited_stream(decoded, label, scan.limits, scan.budget, counter.consumed, max_bytes)

    def _name_and_time(self, stream: BinaryIO, scan: Scan) -> tuple[str, float | None]:
        outer = scan.outer.name
        lower = outer.lower()
        for suffix, replacement in self.suffixes.items():
            if lower.endswith(suffix) and len(outer) > len(suffix):
                return outer[: -len(suffix)] + replacement, None
        return outer, None


class GzipReader(_CompressedReader):
    """gzip (RFC 1952), including concatenated members, read as one stream like gunzip."""

    layer = "gzip"
    suffixes: ClassVar[dict[str, str]] = {
        ".tgz": ".tar",
        ".taz": ".tar",
        ".svgz": ".svg",
        ".gzip": "",
        ".gz": "",
        ".z": "",
    }

    @staticmethod
    def _decoder(raw: BinaryIO) -> Readable:
        return gzip.GzipFile(fileobj=raw, mode="rb")

    def _name_and_time(self, stream: BinaryIO, scan: Scan) -> tuple[str, float | None]:
        stream.seek(0)
        stored, mtime = gzip_header(read_up_to(stream, _GZIP_HEADER_MAX))
        fallback, _ = super()._name_and_time(stream, scan)
        return (stored or fallback), mtime


class Bzip2Reader(_CompressedReader):
    """bzip2, including concatenated streams."""

    layer = "bzip2"
    suffixes: ClassVar[dict[str, str]] = {".tbz2": ".tar", ".tbz": ".tar", ".bz2": "", ".bz": ""}

    @staticmethod
    def _decoder(raw: BinaryIO) -> Readable:
        return bz2.BZ2File(raw, mode="rb")


class XzReader(_CompressedReader):
    """xz (and legacy .lzma streams, which lzma detects by itself)."""

    layer = "xz"
    suffixes: ClassVar[dict[str, str]] = {".txz": ".tar", ".xz": "", ".lzma": ""}

    @staticmethod
    def _decoder(raw: BinaryIO) -> Readable:
        return lzma.LZMAFile(raw, mode="rb")


def gzip_header(head: bytes) -> tuple[str | None, float | None]:
    """The FNAME (bytes kept via surrogate escapes) and MTIME of a gzip header, if set."""
    if len(head) < 10 or head[:2] != b"\x1f\x8b":
        return None, None
    flags = head[3]
    mtime_raw = int.from_bytes(head[4:8], "little")
    mtime = float(mtime_raw) if mtime_raw else None
    if not flags & _FNAME:
        return None, mtime
    pos = 10
    if flags & _FEXTRA:
        pos += 2 + int.from_bytes(head[10:12], "little")
    end = head.find(b"\x00", pos)
    if end <= pos:
        return None, mtime
    # RFC 1952 says ISO 8859-1, but gzip on Linux stores the raw bytes (UTF-8 today);
    # surrogate escapes keep any bytes exact either way.
    return head[pos:end].decode("utf-8", "surrogateescape"), mtime

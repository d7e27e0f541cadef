"""Tar archives, plain or inside gzip/bzip2/xz, read in tarfile's streaming mode.

Streaming (``r|``) reads the archive once from start to end, so memory stays
flat however many members there are (the member list tarfile keeps is cleared
as we go) and a compressed tar is decompressed exactly once. The price is the
stream contract: member data must be read in order, before the next member.

Links and special files (hard/symbolic links, devices, FIFOs) are listed with
status ``skipped``: they have no data of their own.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from vigil.sources.archives.base import ContainerReader, Member, MemberKind, Scan
from vigil.sources.archives.streams import limited_stream


class TarReader(ContainerReader):
    """Plain (uncompressed) tar; compressed tars are found through ``compressed.py``."""

    layer = "tar"

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        stream.seek(0)
        yield from iter_tar(stream, scan, compressed=False)


def iter_tar(data: BinaryIO, scan: Scan, *, compressed: bool) -> Iterator[Member]:
    """Members of the tar whose (already decompressed) bytes flow from ``data``.

    Where the tar came out of a decompressor, ``data`` must already charge the
    budget; member streams then only check the member-size limit.
    """
    ends: list[tarfile.HeaderError] = []
    source = cast(BinaryIO, _EndOfData(data))
    with tarfile.open(fileobj=source, mode="r|", tarinfo=_recording(ends)) as archive:
        while True:
            info = archive.next()
            if info is None:
                break
            # tarfile keeps every header it has read; we need none of them.
            cast(Any, archive).members.clear()
            yield _member(archive, info, scan, compressed)
        offset = archive.offset
    problem = _ending_problem(ends, offset)
    if problem is not None:
        yield scan.note("error", problem)


class _EndOfData:
    """Reads ``data`` and refuses to go on reading once it has ended.

    In streaming mode tarfile skips a member by reading its declared size in
    blocks; it does not stop at the end of the data, so a header that declares
    2^88 bytes (base-256 size field) would loop for ever on empty reads. tarfile
    itself reads past the end only once or twice (the final header, the
    truncation check); a run of empty reads means a size that lies.
    """

    EMPTY_READS_ALLOWED = 64

    def __init__(self, data: BinaryIO) -> None:
        self._data = data
        self._empty_reads = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; ``tarfile.ReadError`` after many reads at the end."""
        block = self._data.read(size)
        if block or size == 0:
            self._empty_reads = 0
            return block
        self._empty_reads += 1
        if self._empty_reads > self.EMPTY_READS_ALLOWED:
            raise tarfile.ReadError(
                "unexpected end of data: a member's declared size runs past the end of the archive"
            )
        return block


def _member(
    archive: tarfile.TarFile, info: tarfile.TarInfo, scan: Scan, compressed: bool
) -> Member:
    fields: dict[str, Any] = {
        "size": info.size,
        "compressed_size": None if compressed else info.size,
        "mtime": float(info.mtime),
    }
    if info.isdir():
        return scan.entry(info.name, kind="dir", **fields)
    special = _special(info)
    if special is not None:
        kind, reason = special
        return scan.entry(
            info.name,
            kind=kind,
            status="skipped",
            reason=reason,
            link_target=info.linkname or None,
            **fields,
        )

    def opener() -> BinaryIO:
        raw = archive.extractfile(info)
        if raw is None:  # cannot happen for the regular types we open; be explicit
            raise tarfile.ReadError(f"{info.name}: no data")
        return limited_stream(raw, info.name, scan.limits, None)

    return scan.entry(info.name, opener=opener, **fields)


def _special(info: tarfile.TarInfo) -> tuple[MemberKind, str] | None:
    if info.issym():
        return "symlink", "symbolic link, not followed"
    if info.islnk():
        return "hardlink", "hard link: its data is listed under the target's name"
    if info.ischr() or info.isblk() or info.isfifo():
        return "special", "device or FIFO entry: no data"
    return None  # regular, and unknown types (tarfile reads those as regular files)


def _recording(ends: list[tarfile.HeaderError]) -> type[tarfile.TarInfo]:
    """A TarInfo class that records why header parsing stopped.

    tarfile ends iteration silently on a bad or missing header past the first
    one; recording the reason lets us tell a clean end from a truncated archive.
    """

    class _Recording(tarfile.TarInfo):
        @classmethod
        def fromtarfile(cls, tar: tarfile.TarFile) -> _Recording:
            try:
                return super().fromtarfile(tar)
            except tarfile.HeaderError as exc:
                ends.append(exc)
                raise

    return _Recording


def _ending_problem(ends: list[tarfile.HeaderError], offset: int) -> str | None:
    # tarfile's header error subclasses are private (not in its __all__): match by name.
    last = type(ends[-1]).__name__ if ends else "EOFHeaderError"
    if last == "EOFHeaderError":
        return None  # the end-of-archive zero block was read
    if last in ("EmptyHeaderError", "TruncatedHeaderError"):
        return f"archive truncated at byte {offset}: no end-of-archive marker"
    return f"unreadable header at byte {offset} ({ends[-1]}); rest of the archive not listed"

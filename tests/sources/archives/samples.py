"""Build benign test archives in memory: every format, encrypted, bombs, damaged."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import py7zr

from vigil.sources.archives import CONTAINER_TYPES, Member, iter_nested
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

# (name, data); data None means a directory entry.
Entry = tuple[str, bytes | None]

STANDARD: list[Entry] = [
    ("docs/", None),
    ("docs/readme.txt", b"benign text\n" * 50),
    ("docs/empty.bin", b""),
    ("pictures/grey.raw", bytes(range(256)) * 64),
    ("../../etc/x", b"traversal name, listed only"),
    ("/abs/x", b"absolute name, listed only"),
]


def zip_bytes(
    entries: Iterable[Entry], method: int = zipfile.ZIP_DEFLATED, *, force_zip64: bool = False
) -> bytes:
    """A zip of ``entries`` (directories end in '/')."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 2, 3, 4, 6))
            info.compress_type = method
            if data is None:
                archive.writestr(info, b"")
            else:
                with archive.open(info, "w", force_zip64=force_zip64) as member:
                    member.write(data)
    return out.getvalue()


def tar_bytes(entries: Iterable[Entry], compression: str = "") -> bytes:
    """A tar (compression: '', 'gz', 'bz2' or 'xz') of ``entries``."""
    out = io.BytesIO()
    mode = f"w:{compression}" if compression else "w"
    with tarfile.open(fileobj=out, mode=mode, format=tarfile.PAX_FORMAT) as archive:
        for name, data in entries:
            info = tarfile.TarInfo(name.rstrip("/") if data is None else name)
            info.mtime = 1_600_000_000
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def sevenzip_bytes(
    entries: Iterable[Entry], *, password: str | None = None, header_encryption: bool = False
) -> bytes:
    """A 7z of ``entries`` (py7zr; optionally encrypted)."""
    out = io.BytesIO()
    with py7zr.SevenZipFile(
        out, "w", password=password, header_encryption=header_encryption
    ) as archive:
        for name, data in entries:
            if data is not None:
                archive.writestr(data, name)
    return out.getvalue()


def compress(data: bytes, kind: str) -> bytes:
    """Single-stream gzip/bzip2/xz of ``data``."""
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "bzip2":
        return bz2.compress(data)
    return lzma.compress(data)


def gzip_named(data: bytes, stored_name: str) -> bytes:
    """A gzip whose header carries FNAME ``stored_name`` and an MTIME."""
    out = io.BytesIO()
    with gzip.GzipFile(stored_name, "wb", fileobj=out, mtime=1_600_000_000) as writer:
        writer.write(data)
    return out.getvalue()


def patch_zip(data: bytes, *, flags: int = 0, method: int | None = None) -> bytes:
    """Set flag bits / the method in every local and central header (hand-made variants)."""
    raw = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        pos = raw.find(signature)
        while pos >= 0:
            (old,) = struct.unpack_from("<H", raw, pos + flag_at)
            struct.pack_into("<H", raw, pos + flag_at, old | flags)
            if method is not None:
                struct.pack_into("<H", raw, pos + method_at, method)
            pos = raw.find(signature, pos + 4)
    return bytes(raw)


def aes_extra() -> bytes:
    """A WinZip AES extra field (0x9901): AE-2, vendor 'AE', 256-bit, actual method deflate."""
    return struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)


def members(
    data: bytes,
    type_name: str,
    *,
    limits: Limits | None = None,
    budget: Budget | None = None,
    outer: str = "/evidence/sample",
) -> list[Member]:
    """All members of one container, listed without reading data."""
    stream = io.BytesIO(data)
    reader = CONTAINER_TYPES[type_name]
    return list(
        reader.iter_members(
            stream, Locator.for_path(outer), limits or Limits(), budget or Budget(10**12)
        )
    )


def read_all(
    data: BinaryIO | bytes,
    type_name: str,
    *,
    limits: Limits | None = None,
    budget: Budget | None = None,
    outer: str = "/evidence/sample",
    nested: bool = False,
) -> list[tuple[Member, bytes | str | None]]:
    """Every member with its data read fully in order (or the exception's text)."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    args = (
        stream,
        type_name,
        Locator.for_path(outer),
        limits or Limits(),
        budget or Budget(10**12),
    )
    if nested:
        found: Iterator[Member] = iter_nested(*args)
    else:
        found = CONTAINER_TYPES[type_name].iter_members(args[0], *args[2:])
    result: list[tuple[Member, bytes | str | None]] = []
    for member in found:
        content: bytes | str | None = None
        if member.status == "ok" and member.kind == "file":
            try:
                with member.open() as stream_:
                    content = stream_.read()
            except Exception as exc:  # recorded for the test to inspect
                content = f"{type(exc).__name__}: {exc}"
        result.append((member, content))
    return result

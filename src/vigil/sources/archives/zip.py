"""Zip and zip64 archives (also the zip-based documents: docx, odt, epub, jar, apk).

Encrypted members (ZipCrypto flag bit 0, strong-encryption bit 6, WinZip AES
method 99 / extra field 0x9901) are reported with status ``encrypted`` and never
attempted: Vigil does not guess passwords. Times come from the extended
timestamp field (UTC) when present, else from the DOS time, which carries no
time zone and is reported as if it were UTC.

When the central directory cannot be read (truncated or carved files),
members are recovered from the local headers (``zip_recover.py``), flagged
``recovered=True`` in their locators, and an ``error`` note ends the listing.
zipfile loads the whole central directory before ``max_entries`` applies
(roughly 0.5 KB of memory per entry).
"""

from __future__ import annotations

import stat
import struct
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.streams import describe, limited_stream, read_up_to
from vigil.sources.archives.zip_recover import recover
from vigil.sources.phones.ufdr import is_ufdr, ufdr_members

_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_METHOD_NAMES = {
    1: "shrink",
    6: "implode",
    9: "deflate64",
    10: "implode (old IBM TERSE)",
    18: "IBM TERSE",
    19: "IBM LZ77",
    93: "zstd",
    95: "xz",
    96: "jpeg",
    97: "wavpack",
    98: "ppmd",
    99: "aes",
}
_FLAG_ENCRYPTED = 0x1
_FLAG_STRONG = 0x40
_EXTRA_UT = 0x5455  # extended timestamp: UTC mtime
_EXTRA_AES = 0x9901  # WinZip AES encryption
_METHOD_AES = 99
_UNIX = 3
_LINK_TARGET_MAX = 4096


class ZipReader(ContainerReader):
    """Lists a zip's central directory; members can be read in any order, once each."""

    layer = "zip"

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
            recovered = 0
            for member in recover(stream, scan):
                recovered += 1
                yield member
            yield scan.note(
                "error",
                f"central directory unreadable ({describe(exc)}); "
                f"{recovered} entries recovered from local headers, listing may be incomplete",
            )
            return
        infos = archive.infolist()
        scan.total_entries = len(infos)
        if is_ufdr(archive):
            # A Cellebrite extraction: members named by their device paths (phones/ufdr.py).
            yield from ufdr_members(
                archive, scan, lambda info, name, attrs: _member(archive, info, scan, name, attrs)
            )
            return
        for info in infos:
            yield _member(archive, info, scan)


def _member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    scan: Scan,
    name: str | None = None,
    attrs: dict[str, Any] | None = None,
) -> Member:
    extras = _extras(info.extra)
    common: dict[str, Any] = {
        "size": info.file_size,
        "compressed_size": info.compress_size,
        "mtime": _mtime(info, extras),
        "attrs": attrs,
    }
    name = info.filename if name is None else name
    if info.is_dir():
        return scan.entry(name, kind="dir", **common)
    encryption = _encryption(info, extras)
    if encryption is not None:
        common["attrs"] = {**(attrs or {}), "encrypted": True}
        return scan.entry(name, status="encrypted", reason=encryption, **common)
    if info.compress_type not in _SUPPORTED_METHODS:
        method = _METHOD_NAMES.get(info.compress_type, "unknown")
        reason = f"compression method {info.compress_type} ({method}) not supported"
        return scan.entry(name, status="unsupported", reason=reason, **common)
    if _is_symlink(info):
        target = _link_target(archive, info)
        return scan.entry(
            name,
            kind="symlink",
            status="skipped",
            reason="symbolic link, not followed",
            link_target=target,
            **common,
        )
    return scan.entry(name, opener=lambda: _open(archive, info, scan), **common)


def _open(archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: Scan) -> BinaryIO:
    raw = archive.open(info)
    if info.compress_type == zipfile.ZIP_STORED:
        # Stored data cannot expand: no ratio check, no charge to the budget.
        return limited_stream(raw, info.filename, scan.limits, None)
    # zipfile never reads more than the declared compressed size, so ratios against
    # it are lower bounds of the true ratio.
    compressed = info.compress_size
    return limited_stream(raw, info.filename, scan.limits, scan.budget, lambda: compressed)


def _encryption(info: zipfile.ZipInfo, extras: dict[int, bytes]) -> str | None:
    if info.compress_type == _METHOD_AES or _EXTRA_AES in extras:
        return "encrypted (WinZip AES); no password attempted"
    if info.flag_bits & _FLAG_STRONG:
        return "encrypted (PKWARE strong encryption); no password attempted"
    if info.flag_bits & _FLAG_ENCRYPTED:
        return "encrypted (ZipCrypto); no password attempted"
    return None


def _extras(extra: bytes) -> dict[int, bytes]:
    """The extra fields of a header by id (malformed tails are ignored)."""
    fields: dict[int, bytes] = {}
    pos = 0
    while pos + 4 <= len(extra):
        field_id, size = struct.unpack_from("<HH", extra, pos)
        fields.setdefault(field_id, extra[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return fields


def _mtime(info: zipfile.ZipInfo, extras: dict[int, bytes]) -> float | None:
    ut = extras.get(_EXTRA_UT, b"")
    if len(ut) >= 5 and ut[0] & 0x1:
        return float(struct.unpack_from("<i", ut, 1)[0])
    try:
        return datetime(*info.date_time, tzinfo=UTC).timestamp()
    except (ValueError, OverflowError):
        return None  # DOS date fields out of range (zeroed or corrupt header)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == _UNIX and stat.S_ISLNK(info.external_attr >> 16)


def _link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """A Unix symlink's target (stored as the member's data), or None if unreadable."""
    if info.file_size > _LINK_TARGET_MAX:
        return None
    try:
        with archive.open(info) as raw:
            return read_up_to(raw, _LINK_TARGET_MAX).decode("utf-8", "surrogateescape")
    except Exception:
        return None  # a damaged link entry is still listed; its target is unknown

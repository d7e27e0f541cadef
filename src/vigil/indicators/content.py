"""Content checks on bytes: data appended after an image, encrypted volumes and documents.

Each function reads only what it needs and returns a small JSON-able dict
(or None). They run in the scan worker, on data already in memory.
"""

from __future__ import annotations

import re
import struct
from typing import Any, BinaryIO

from vigil.sources.identify import sniff

# --- data appended after an image -------------------------------------------

_PAD = re.compile(rb"[\x00\xff\r\n \t]*\Z")
# JPEG markers without a length field: TEM, RST0-7, SOI, EOI.
_STANDALONE = {0x01, *range(0xD0, 0xD8), 0xD8, 0xD9}


def jpeg_end(data: bytes | memoryview) -> int | None:
    """Offset just past the first image's EOI marker, walking segments (None if malformed)."""
    view = memoryview(data)
    if bytes(view[:3]) != b"\xff\xd8\xff":
        return None
    raw = bytes(view) if not isinstance(data, bytes) else data
    pos, size = 2, len(raw)
    while pos + 2 <= size:
        if raw[pos] != 0xFF:
            return None
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if marker in _STANDALONE:
            pos += 2
            continue
        if pos + 4 > size:
            return None
        length = struct.unpack_from(">H", raw, pos + 2)[0]
        pos += 2 + length
        if marker == 0xDA:  # start of scan: skip entropy-coded data to the next real marker
            pos = _skip_scan(raw, pos)
            if pos < 0:
                return None
    return None


def _skip_scan(raw: bytes, pos: int) -> int:
    # In entropy-coded data 0xFF is followed only by 0x00 (stuffing) or RSTn.
    while True:
        pos = raw.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(raw):
            return -1
        following = raw[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1
            continue
        return pos


def png_end(data: bytes | memoryview) -> int | None:
    """Offset just past the IEND chunk, walking chunks (None if malformed)."""
    raw = bytes(data[:8])
    if raw != b"\x89PNG\r\n\x1a\n":
        return None
    view = memoryview(data)
    pos = 8
    while pos + 12 <= len(view):
        length = struct.unpack_from(">I", view, pos)[0]
        kind = bytes(view[pos + 4 : pos + 8])
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= len(view) else None
    return None


def appended_data(file_type: str, data: bytes | memoryview) -> dict[str, Any] | None:
    """What follows a JPEG's EOI or a PNG's IEND, if anything but padding."""
    end = jpeg_end(data) if file_type == "jpeg" else png_end(data) if file_type == "png" else None
    if end is None or end >= len(data):
        return None
    tail = bytes(data[end : end + 4096])
    if len(data) - end <= 4096 and _PAD.match(tail):
        return None  # zero or 0xFF padding from cameras and editors
    kind = sniff(tail)
    head = bytes(data[: min(end, 65536)])
    if file_type == "jpeg" and kind.name == "jpeg" and b"MPF\x00" in head:
        return None  # a Multi-Picture Format file: further frames follow by design
    found = {
        "image": file_type,
        "end_offset": end,
        "bytes": len(data) - end,
        "type": kind.name,
        "family": kind.family,
    }
    trailer = camera_trailer(head, bytes(data[end:]))
    if trailer is not None:
        found["camera_trailer"] = trailer
    return found


_MOTION_MARKERS = (b"MotionPhoto", b"MicroVideo", b"Container:Directory")


def camera_trailer(head: bytes, tail: bytes) -> str | None:
    """Data that phones append by design: Samsung's SEF trailer, Motion/Micro-Video photos.

    Such a trailer still holds data (a motion photo holds a video), so it is
    kept in the facts; the shipped rules leave it out unless asked.
    """
    if tail.endswith(b"SEFT") or b"SEFH" in tail[:64] or b"Image_UTC_Data" in tail[:4096]:
        return "samsung-sef"
    if any(marker in head for marker in _MOTION_MARKERS):
        return "motion-photo"
    return None


# --- encrypted volumes -------------------------------------------------------

_LUKS = b"LUKS\xba\xbe"
_FVE = b"-FVE-FS-"


def _volume_at(head: bytes) -> str | None:
    if head[3:11] == _FVE:
        return "bitlocker"
    if head.startswith(_LUKS):
        return "luks"
    return None


VOLUME_HEAD_BYTES = 64 << 10
"""Enough of a disk image's start for its MBR, GPT header and first 128 GPT entries."""


def encrypted_volume(stream: BinaryIO, size: int) -> dict[str, Any] | None:
    """A BitLocker or LUKS header at offset 0, or at the start of an MBR/GPT partition."""
    stream.seek(0)
    head = stream.read(VOLUME_HEAD_BYTES)
    kind = _volume_at(head[:16])
    if kind is not None:
        return {"kind": kind, "offset": 0}
    for offset in _partition_offsets(head):
        if offset + 16 > size:
            continue
        stream.seek(offset)
        kind = _volume_at(stream.read(16))
        if kind is not None:
            return {"kind": kind, "offset": offset}
    return None


def _partition_offsets(head: bytes) -> list[int]:
    """Byte offsets of the partitions of an MBR (or of a GPT behind a protective MBR)."""
    if len(head) < 1024 or head[510:512] != b"\x55\xaa":
        return []
    offsets: list[int] = []
    gpt = False
    for i in range(4):
        entry = head[446 + 16 * i : 462 + 16 * i]
        ptype, start = entry[4], struct.unpack_from("<I", entry, 8)[0]
        if ptype == 0xEE:
            gpt = True
        elif ptype and start:
            offsets.append(start * 512)
    if gpt and head[512:520] == b"EFI PART":
        table_lba, count, entry_size = struct.unpack_from("<QII", head, 512 + 72)
        base = table_lba * 512
        for i in range(min(count, 128)):
            at = base + i * max(entry_size, 128)
            if at + 40 > len(head):
                break
            if any(head[at : at + 16]):  # a non-zero partition type GUID: a used entry
                offsets.append(struct.unpack_from("<Q", head, at + 32)[0] * 512)
    return offsets


# --- encrypted documents -------------------------------------------------------

_OLE_NAMES = {
    "EncryptionInfo".encode("utf-16-le"): "EncryptionInfo",
    "EncryptedPackage".encode("utf-16-le"): "EncryptedPackage",
}
_PDF_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d+\s+\d+\s+R|<<)")
PDF_WINDOW = 65536
"""The trailer (or cross-reference stream) is searched for /Encrypt in this many
bytes at each end: the last ones hold the trailer, the first a linearized file's."""


def ole2_encryption(data: bytes | memoryview) -> dict[str, Any] | None:
    """Streams that only an encrypted Office file has, found as OLE2 directory entries."""
    raw = data if isinstance(data, bytes) else bytes(data)
    found = []
    for encoded, name in _OLE_NAMES.items():
        pos = raw.find(encoded)
        while pos >= 0:
            # A directory entry is 128 bytes within a sector after the 512-byte header;
            # its name length (bytes, with the NUL) sits at entry offset 64.
            entry_ok = (pos - 512) % 128 == 0 and pos + 66 <= len(raw)
            if entry_ok and struct.unpack_from("<H", raw, pos + 64)[0] == len(encoded) + 2:
                found.append(name)
                break
            pos = raw.find(encoded, pos + 1)
    if not found:
        return None
    return {"format": "ole2", "markers": found}


def pdf_encryption(data: bytes | memoryview) -> dict[str, Any] | None:
    """An /Encrypt entry in the PDF's trailer or cross-reference stream dictionary."""
    size = len(data)
    windows = [(max(0, size - PDF_WINDOW), size), (0, min(size, PDF_WINDOW))]
    for start, end in windows:
        if _PDF_ENCRYPT.search(bytes(data[start:end])):
            return {"format": "pdf", "markers": ["/Encrypt"]}
    return None

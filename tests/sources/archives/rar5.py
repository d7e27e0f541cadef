"""Write real RAR 5 archives of stored (uncompressed) members, for the RAR reader's tests.

RAR archives can be made only by RARLAB's non-free ``rar``, which Debian main
does not ship; the stored form is simple enough to write from the published
RAR 5.0 format description (RARLAB's "technote"): a signature, a main archive
header, one file header plus data per member, and an end-of-archive header,
each header guarded by a CRC32. rarfile reads these without any external tool.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

SIGNATURE = b"Rar!\x1a\x07\x01\x00"
_MAIN, _FILE, _END = 1, 2, 5
_HAS_DATA = 0x0002
_IS_DIR, _HAS_TIME, _HAS_CRC = 0x0001, 0x0002, 0x0004
_VOLUME, _HAS_VOLUME_NUMBER = 0x0001, 0x0002
_UNIX = 1

# (name, data, unix mtime); data None means a directory.
RarEntry = tuple[str, bytes | None, int]


def vint(value: int) -> bytes:
    """RAR 5's variable-length integer: 7 bits a byte, low first, high bit = more follows."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _header(kind: int, flags: int, body: bytes, data_size: int | None = None) -> bytes:
    fields = vint(kind) + vint(flags)
    if data_size is not None:
        fields += vint(data_size)
    fields += body
    sized = vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized


def _file(name: str, data: bytes | None, mtime: int, method: int) -> bytes:
    payload = data or b""
    flags = _HAS_TIME | (_IS_DIR if data is None else _HAS_CRC)
    body = vint(flags) + vint(len(payload)) + vint(0o644 if data is not None else 0o755)
    body += struct.pack("<I", mtime)
    if data is not None:
        body += struct.pack("<I", zlib.crc32(payload))
    body += vint(method << 7) + vint(_UNIX)
    encoded = name.encode("utf-8")
    body += vint(len(encoded)) + encoded
    return _header(_FILE, _HAS_DATA, body, len(payload)) + payload


def rar5_bytes(
    entries: Iterable[RarEntry], *, volume_number: int | None = None, method: int = 0
) -> bytes:
    """A RAR 5 archive of ``entries``, stored; ``volume_number`` makes it a later volume.

    ``method`` other than 0 labels the members as compressed without compressing
    them (what a reader without an unpacking tool must report, never read).
    """
    archive_flags = 0
    main_body = b""
    if volume_number is not None:
        archive_flags = _VOLUME | _HAS_VOLUME_NUMBER
        main_body = vint(volume_number)
    out = SIGNATURE + _header(_MAIN, 0, vint(archive_flags) + main_body)
    for name, data, mtime in entries:
        out += _file(name, data, mtime, method if data is not None else 0)
    return out + _header(_END, 0, vint(0))

"""eMule ``known.met``: the files an eMule client has hashed to share or has downloaded.

Layout (little-endian): a header byte (0x0E, or 0x0F when 64-bit sizes may
occur), a uint32 record count, then per record a uint32 last-written time,
the 16-byte ed2k (MD4) file hash, a uint16 count of 16-byte part hashes, and a
uint32 count of tags. A tag is a type byte (bit 0x80: a one-byte name id
follows; otherwise a uint16-length name) and a value whose layout the type
gives. The file name, size, sharing statistics and last-shared time are tags.
"""

from __future__ import annotations

import struct
from typing import Any

from vigil.indicators.torrents import unix_time

HEADERS = (0x0E, 0x0F)

FT_FILENAME = 0x01
FT_FILESIZE = 0x02
FT_FILETYPE = 0x03
FT_AICH_HASH = 0x27
FT_LASTSHARED = 0x34
FT_FILESIZE_HI = 0x3A
FT_ATTRANSFERRED = 0x50
FT_ATREQUESTED = 0x51
FT_ATACCEPTED = 0x52
FT_ATTRANSFERREDHI = 0x54

# Fixed-size value types: HASH16, UINT32, FLOAT32, BOOL, UINT16, UINT8, UINT64.
_FIXED = {0x01: 16, 0x03: 4, 0x04: 4, 0x05: 1, 0x08: 2, 0x09: 1, 0x0B: 8}
_INT_FORMATS = {0x03: "<I", 0x08: "<H", 0x09: "<B", 0x0B: "<Q"}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"known.met truncated at byte {self.pos} (wanted {n} more)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> int:
        value: int = struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        return value


def _tag(r: _Reader) -> tuple[int | bytes, int, Any]:
    """(name id or name, type, value) of one tag."""
    kind = r.unpack("<B")
    name: int | bytes
    if kind & 0x80:
        kind &= 0x7F
        name = r.unpack("<B")
    else:
        length = r.unpack("<H")
        raw = r.take(length)
        name = raw[0] if length == 1 else raw
    if kind == 0x02:
        return name, kind, r.take(r.unpack("<H"))
    if 0x11 <= kind <= 0x20:  # STR1…STR16: the length is in the type
        return name, 0x02, r.take(kind - 0x10)
    if kind in _INT_FORMATS:
        return name, kind, r.unpack(_INT_FORMATS[kind])
    if kind in _FIXED:
        return name, kind, r.take(_FIXED[kind])
    if kind == 0x06:  # BOOLARRAY: length in bits
        return name, kind, r.take(r.unpack("<H") // 8 + 1)
    if kind == 0x07:  # BLOB
        return name, kind, r.take(r.unpack("<I"))
    if kind == 0x0A:  # BSOB
        return name, kind, r.take(r.unpack("<B"))
    raise ValueError(f"known.met: unknown tag type {kind:#04x} at byte {r.pos}")


def _name(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("cp1252", errors="replace")  # older eMule wrote the ANSI code page


def parse_known_met(data: bytes) -> list[dict[str, Any]]:
    """One record per known file: name, size, ed2k hash, times and sharing statistics."""
    r = _Reader(data)
    header = r.unpack("<B")
    if header not in HEADERS:
        raise ValueError(f"not a known.met: header byte {header:#04x} (expected 0x0e or 0x0f)")
    count = r.unpack("<I")
    records = []
    for _ in range(count):
        written = r.unpack("<I")
        ed2k = r.take(16).hex()
        parts = r.unpack("<H")
        r.take(16 * parts)
        record: dict[str, Any] = {
            "name": None,
            "size": None,
            "ed2k": ed2k,
            "parts": parts,
            "last_written": unix_time(written),
        }
        size_hi = transferred_hi = 0
        for _ in range(r.unpack("<I")):
            name, kind, value = _tag(r)
            if name == FT_FILENAME and kind == 0x02 and record["name"] is None:
                record["name"] = _name(value)
            elif name == FT_FILESIZE and isinstance(value, int):
                record["size"] = value
            elif name == FT_FILESIZE_HI and isinstance(value, int):
                size_hi = value
            elif name == FT_FILETYPE and kind == 0x02:
                record["file_type"] = _name(value)
            elif name == FT_AICH_HASH and kind == 0x02:
                record["aich"] = _name(value)
            elif name == FT_LASTSHARED and isinstance(value, int):
                record["last_shared"] = unix_time(value)
            elif name == FT_ATTRANSFERRED and isinstance(value, int):
                record["uploaded"] = value
            elif name == FT_ATTRANSFERREDHI and isinstance(value, int):
                transferred_hi = value
            elif name == FT_ATREQUESTED and isinstance(value, int):
                record["requests"] = value
            elif name == FT_ATACCEPTED and isinstance(value, int):
                record["accepted"] = value
        if size_hi and record["size"] is not None:
            record["size"] |= size_hi << 32
        if transferred_hi:
            record["uploaded"] = record.get("uploaded", 0) | (transferred_hi << 32)
        records.append(record)
    return records

"""Benign artefacts for indicator tests and demos, built in code in the real formats.

Chromium ``History`` and Firefox ``places.sqlite`` with the browsers' table
layouts, eMule ``known.met`` bytes, µTorrent ``resume.dat``, qBittorrent
``*.fastresume`` and ``.torrent`` files, an encrypted Office container, an
encrypted PDF, BitLocker/LUKS volume headers, and random "containers".
Nothing here is, or stands for, illegal material.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import struct
from datetime import UTC, datetime
from pathlib import Path

from vigil.indicators.bencode import encode as bencode

_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# The downloads tables of Chrome ~120 (columns in Chromium's order).
CHROMIUM_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
  visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
  last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE downloads (id INTEGER PRIMARY KEY, guid VARCHAR NOT NULL,
  current_path LONGVARCHAR NOT NULL, target_path LONGVARCHAR NOT NULL,
  start_time INTEGER NOT NULL, received_bytes INTEGER NOT NULL, total_bytes INTEGER NOT NULL,
  state INTEGER NOT NULL, danger_type INTEGER NOT NULL, interrupt_reason INTEGER NOT NULL,
  hash BLOB NOT NULL, end_time INTEGER NOT NULL, opened INTEGER NOT NULL,
  last_access_time INTEGER NOT NULL, transient INTEGER NOT NULL, referrer VARCHAR NOT NULL,
  site_url VARCHAR NOT NULL, embedder_download_data VARCHAR NOT NULL, tab_url VARCHAR NOT NULL,
  tab_referrer_url VARCHAR NOT NULL, http_method VARCHAR NOT NULL, by_ext_id VARCHAR NOT NULL,
  by_ext_name VARCHAR NOT NULL, by_web_app_id VARCHAR NOT NULL, etag VARCHAR NOT NULL,
  last_modified VARCHAR NOT NULL, mime_type VARCHAR(255) NOT NULL,
  original_mime_type VARCHAR(255) NOT NULL);
CREATE TABLE downloads_url_chains (id INTEGER NOT NULL, chain_index INTEGER NOT NULL,
  url LONGVARCHAR NOT NULL, PRIMARY KEY (id, chain_index));
"""

# moz_places and the annotation tables of Firefox 26 and later.
FIREFOX_SCHEMA = """
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,
  rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,
  typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
  last_visit_date INTEGER, guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL,
  url_hash INTEGER DEFAULT 0 NOT NULL, description TEXT, preview_image_url TEXT,
  origin_id INTEGER);
CREATE TABLE moz_anno_attributes (id INTEGER PRIMARY KEY, name VARCHAR(32) UNIQUE NOT NULL);
CREATE TABLE moz_annos (id INTEGER PRIMARY KEY, place_id INTEGER NOT NULL,
  anno_attribute_id INTEGER, content LONGVARCHAR, flags INTEGER DEFAULT 0,
  expiration INTEGER DEFAULT 0, type INTEGER DEFAULT 0, dateAdded INTEGER DEFAULT 0,
  lastModified INTEGER DEFAULT 0);
"""


def webkit(moment: datetime) -> int:
    """WebKit time (microseconds since 1601-01-01 UTC) of a moment."""
    return int((moment - _WEBKIT_EPOCH).total_seconds() * 1_000_000)


def write_chromium_history(
    path: Path, downloads: list[tuple[str, str, datetime, int]], wal: bool = False
) -> None:
    """A Chromium ``History`` with downloads given as (url, target path, start time, size)."""
    with sqlite3.connect(path) as conn:
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(CHROMIUM_SCHEMA)
        for number, (url, target, start, size) in enumerate(downloads, 1):
            begin = webkit(start)
            conn.execute(
                "INSERT INTO downloads VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, 0, x'', ?, 0, 0, 0, "
                "?, '', '', '', '', 'GET', '', '', '', '', '', 'image/jpeg', 'image/jpeg')",
                (number, f"guid-{number}", target, target, begin, size, size, begin + 2_000_000,
                 "https://example.org/"),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO downloads_url_chains VALUES (?, 0, ?)", (number, url + "?redirect")
            )
            conn.execute("INSERT INTO downloads_url_chains VALUES (?, 1, ?)", (number, url))
    conn.close()


def write_firefox_places(path: Path, downloads: list[tuple[str, str, datetime, int]]) -> None:
    """A Firefox ``places.sqlite`` with downloads as (url, file URI, start time, size) annos."""
    with sqlite3.connect(path) as conn:
        conn.executescript(FIREFOX_SCHEMA)
        conn.execute("INSERT INTO moz_anno_attributes VALUES (1, 'downloads/destinationFileURI')")
        conn.execute("INSERT INTO moz_anno_attributes VALUES (2, 'downloads/metaData')")
        for number, (url, uri, start, size) in enumerate(downloads, 1):
            micros = int(start.timestamp() * 1_000_000)
            conn.execute("INSERT INTO moz_places (id, url) VALUES (?, ?)", (number, url))
            conn.execute(
                "INSERT INTO moz_annos (place_id, anno_attribute_id, content, type, dateAdded, "
                "lastModified) VALUES (?, 1, ?, 3, ?, ?)",
                (number, uri, micros, micros),
            )
            meta = f'{{"state":1,"endTime":{micros // 1000 + 1500},"fileSize":{size}}}'
            conn.execute(
                "INSERT INTO moz_annos (place_id, anno_attribute_id, content, type, dateAdded, "
                "lastModified) VALUES (?, 2, ?, 3, ?, ?)",
                (number, meta, micros, micros),
            )
    conn.close()


def _tag_str(tag_id: int, text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<BBH", 0x82, tag_id, len(raw)) + raw


def _tag_u32(tag_id: int, value: int) -> bytes:
    return struct.pack("<BBI", 0x83, tag_id, value)


def known_met(files: list[tuple[str, int, bytes, int]]) -> bytes:
    """eMule ``known.met`` bytes for files given as (name, size, 16-byte ed2k hash, uploaded)."""
    out = bytearray(struct.pack("<BI", 0x0E, len(files)))
    for name, size, ed2k, uploaded in files:
        # Old-style tag (uint16 name length 1 + id) for the name, new-style for the rest.
        name_raw = name.encode("utf-8")
        tags = [
            struct.pack("<BHBH", 0x02, 1, 0x01, len(name_raw)) + name_raw,
            _tag_u32(0x02, size),
            _tag_str(0x03, "Image"),
            _tag_u32(0x50, uploaded),
            _tag_u32(0x51, 3),
            _tag_u32(0x52, 2),
            _tag_u32(0x34, 1_700_000_000),
        ]
        out += struct.pack("<I", 1_690_000_000) + ed2k + struct.pack("<H", 0)
        out += struct.pack("<I", len(tags)) + b"".join(tags)
    return bytes(out)


def torrent(name: str, files: list[tuple[str, int]]) -> tuple[bytes, str]:
    """A ``.torrent`` (multi-file) and its info-hash hex."""
    info = {
        "name": name,
        "piece length": 262144,
        "pieces": os.urandom(20),
        "files": [{"length": size, "path": [file]} for file, size in files],
    }
    data = bencode({"announce": "udp://tracker.example.invalid:80", "info": info,
                    "creation date": 1_700_000_000, "created by": "vigil-test"})  # fmt: skip
    return data, hashlib.sha1(bencode(info), usedforsecurity=False).hexdigest()


def utorrent_resume(entries: list[tuple[str, str, str, bytes]]) -> bytes:
    """A µTorrent ``resume.dat`` for (torrent file, caption, save path, 20-byte info-hash)."""
    value: dict[str, object] = {".fileguard": "0" * 40, "rec": {"v": 1}}
    for key, caption, path, info_hash in entries:
        value[key] = {"caption": caption, "path": path, "info": info_hash,
                      "added_on": 1_700_000_000, "completed_on": 1_700_000_600,
                      "downloaded": 123456, "uploaded": 654321}  # fmt: skip
    return bencode(value)


def qbittorrent_fastresume(name: str, save_path: str, info_hash: bytes) -> bytes:
    """A qBittorrent ``.fastresume`` (libtorrent resume file)."""
    return bencode({"file-format": "libtorrent resume file", "file-version": 1,
                    "info-hash": info_hash, "name": name, "qBt-savePath": save_path,
                    "save_path": save_path, "added_time": 1_700_000_000,
                    "completed_time": 1_700_000_900, "total_downloaded": 5555,
                    "total_uploaded": 7777, "qBt-category": ""})  # fmt: skip


def encrypted_ole2() -> bytes:
    """A compound file holding an encrypted OOXML package's streams (EncryptionInfo …)."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 44, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 76, 0)
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, free)
    fat = struct.pack("<II", fat_sector, end) + struct.pack("<I", free) * 126
    directory = b"".join(
        _dir_entry(name, kind) for name, kind in
        (("Root Entry", 5), ("EncryptionInfo", 2), ("EncryptedPackage", 2), ("", 0))
    )  # fmt: skip
    return bytes(header) + fat + directory


def _dir_entry(name: str, kind: int) -> bytes:
    entry = bytearray(128)
    raw = name.encode("utf-16-le")
    entry[: len(raw)] = raw
    struct.pack_into("<HBB", entry, 64, len(raw) + 2 if name else 0, kind, 1)
    struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    return bytes(entry)


def encrypted_pdf() -> bytes:
    """A small PDF whose trailer names an /Encrypt dictionary."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"5 0 obj << /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 >> endobj\n"
        b"xref\n0 1\n0000000000 65535 f \ntrailer << /Size 6 /Root 1 0 R /Encrypt 5 0 R >>\n"
        b"startxref\n0\n%%EOF\n"
    )


def bitlocker_volume(size: int = 2 << 20) -> bytes:
    """A volume that starts like a BitLocker one (boot sector OEM id ``-FVE-FS-``), then noise."""
    boot = bytearray(512)
    boot[0:3] = b"\xeb\x58\x90"
    boot[3:11] = b"-FVE-FS-"
    boot[510:512] = b"\x55\xaa"
    return bytes(boot) + os.urandom(size - 512)


def disk_with_partition(volume: bytes, start_lba: int = 2048) -> bytes:
    """A raw disk image: an MBR with one partition at ``start_lba`` holding ``volume``."""
    mbr = bytearray(512)
    sectors = len(volume) // 512
    struct.pack_into("<B3sB3sII", mbr, 446, 0, b"\x00\x02\x00", 0x07, b"\xff\xff\xff",
                     start_lba, sectors)  # fmt: skip
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr) + bytes(start_lba * 512 - 512) + volume


def luks_header(size: int = 2 << 20) -> bytes:
    """A volume that starts with a LUKS1 header magic, then noise."""
    return b"LUKS\xba\xbe\x00\x01aes\x00" + bytes(22) + os.urandom(size - 38)

"""A user profile full of benign concealment, downloading and sharing traces.

``make demo`` scans it as case ``demo-traces``, and the indicator tests check
every planted trace against it. Pictures are generated; the "tools" are a few
bytes at the paths the real products use; nothing here is or does what its
name says.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import py7zr

from vigil.demo import artefacts as A
from vigil.demo.imagegen import encode, make_picture
from vigil.demo.zipcrypto import write_encrypted_zip
from vigil.indicators.ed2k import md4

WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
STEGO_TOOL = b"MZ" + b"pretend steganography tool" * 40
"""The bytes of a file that the test NSRL set lists in a steganography package."""


@dataclass
class Exhibit:
    """The built folder and the facts the tests check against."""

    root: Path
    picture: bytes
    shared: bytes
    info_hash: str


def _write(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def build_exhibit(base: Path) -> Exhibit:
    """A user profile with Tor, P2P, browser, encryption and concealment traces."""
    root = base / "exhibit"
    pic = encode(make_picture(3), "JPEG")
    shared = encode(make_picture(4), "JPEG")
    _write(root, "Users/bob/Downloads/holiday.jpg", pic)
    _write(root, "Users/bob/Desktop/Tor Browser/Browser/TorBrowser/Tor/tor.exe", b"MZ" + bytes(64))
    history = root / "Users/bob/AppData/Local/Google/Chrome/User Data/Default/History"
    history.parent.mkdir(parents=True)
    A.write_chromium_history(
        history,
        [
            (
                "https://example.org/holiday.jpg",
                r"C:\Users\bob\Downloads\holiday.jpg",
                WHEN,
                len(pic),
            ),
            ("https://example.org/gone.zip", r"C:\Users\bob\Downloads\gone.zip", WHEN, 999),
        ],
    )
    places = root / "Users/bob/AppData/Roaming/Mozilla/Firefox/Profiles/x.default/places.sqlite"
    places.parent.mkdir(parents=True)
    uri = "file:///C:/Users/bob/Downloads/holiday.jpg"
    A.write_firefox_places(places, [("https://example.org/holiday.jpg", uri, WHEN, len(pic))])
    _write(root, "Users/bob/Downloads/eMule/Incoming/shared one.jpg", shared)
    renamed = encode(make_picture(5), "JPEG")
    _write(root, "Users/bob/Pictures/2019/IMG_0001.jpg", renamed)  # shared under another name
    met = A.known_met(
        [
            (
                "shared one.jpg",
                len(shared),
                hashlib.md5(shared, usedforsecurity=False).digest(),
                4096,
            ),
            ("as shared.jpg", len(renamed), md4(renamed), 0),
        ]
    )
    _write(root, "Users/bob/AppData/Local/eMule/config/known.met", met)
    data, info_hash = A.torrent("pack", [("holiday.jpg", len(pic))])
    _write(root, "Users/bob/AppData/Roaming/uTorrent/pack.torrent", data)
    resume = A.utorrent_resume(
        [("pack.torrent", "pack", r"C:\Users\bob\Downloads\pack", bytes.fromhex(info_hash))]
    )
    _write(root, "Users/bob/AppData/Roaming/uTorrent/resume.dat", resume)
    fast = A.qbittorrent_fastresume("pack", r"C:\Users\bob\Downloads", bytes.fromhex(info_hash))
    _write(root, f"Users/bob/AppData/Local/qBittorrent/BT_backup/{info_hash}.fastresume", fast)
    _write(root, "Users/bob/Documents/vault.hc", os.urandom(3 << 20))
    _write(root, "Users/bob/Documents/usb.img", A.disk_with_partition(A.bitlocker_volume()))
    _write(root, "Users/bob/Documents/luks.bin", A.luks_header())
    _write(root, "Users/bob/Documents/secret.docx", A.encrypted_ole2())
    _write(root, "Users/bob/Documents/locked.pdf", A.encrypted_pdf())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.txt", "hello")
    _write(root, "Users/bob/Pictures/cat.jpg", pic + buffer.getvalue())
    _write(root, "Users/bob/Pictures/notes.txt", pic)
    (root / "Users/bob/Documents").mkdir(parents=True, exist_ok=True)
    write_encrypted_zip(root / "Users/bob/Documents/private.zip", {"a.jpg": pic}, b"pw")
    with py7zr.SevenZipFile(root / "Users/bob/Documents/private.7z", "w", password="pw") as sz:
        sz.writestr(shared, "c.jpg")
    _write(root, "Users/bob/Downloads/Telegram Desktop/photo_2024.jpg", shared)
    _write(root, "Users/bob/Tools/hide.exe", STEGO_TOOL)
    return Exhibit(root, pic, shared, info_hash)


def write_nsrl(path: Path, content: bytes, application_type: str) -> Path:
    """An NSRL RDSv3-shaped set holding one file of one package of the given type."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size INTEGER,"
        " package_id INTEGER);"
        "CREATE TABLE PKG (package_id INTEGER, name TEXT, version TEXT, application_type TEXT);"
    )
    conn.execute(
        "INSERT INTO FILE VALUES (?, ?, ?, 'hide.exe', ?, 7)",
        (
            hashlib.sha256(content, usedforsecurity=False).hexdigest().upper(),
            hashlib.sha1(content, usedforsecurity=False).hexdigest().upper(),
            hashlib.md5(content, usedforsecurity=False).hexdigest().upper(),
            len(content),
        ),
    )
    conn.execute("INSERT INTO PKG VALUES (7, 'HideIt', '1.0', ?)", (application_type,))
    conn.commit()
    conn.close()
    return path

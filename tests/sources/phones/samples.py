"""Phone extractions built by code, as the formats specify (no real device data)."""

from __future__ import annotations

import hashlib
import io
import os
import plistlib
import random
import sqlite3
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from Cryptodome.Cipher import AES

from vigil.sources.phones.adb import AdbHeader, key_checksum

from ..archives.samples import Entry, tar_bytes

PASSWORD = "correct horse"
ROUNDS = 1000  # Android uses 10 000; fewer keep the tests quick, the format allows any


def _pad(data: bytes) -> bytes:
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


def adb_bytes(
    entries: Iterable[Entry],
    *,
    compressed: bool = True,
    password: str | None = None,
    version: int = 5,
) -> bytes:
    """An ``adb backup`` file holding a tar of ``entries``."""
    payload = tar_bytes(entries)
    if compressed:
        payload = zlib.compress(payload, 6)
    head = b"ANDROID BACKUP\n%d\n%d\n" % (version, int(compressed))
    if password is None:
        return head + b"none\n" + payload
    rng = random.Random(7)
    user_salt, ck_salt = rng.randbytes(64), rng.randbytes(64)
    user_iv, master_iv, master = rng.randbytes(16), rng.randbytes(16), rng.randbytes(32)
    header = AdbHeader(version, compressed, "AES-256", 0, user_salt, ck_salt, ROUNDS)
    checksum = key_checksum(header, master)
    blob = bytes([16]) + master_iv + bytes([32]) + master + bytes([32]) + checksum
    user_key = hashlib.pbkdf2_hmac("sha1", password.encode(), user_salt, ROUNDS, 32)
    enc_blob = AES.new(user_key, AES.MODE_CBC, user_iv).encrypt(_pad(blob))
    body = AES.new(master, AES.MODE_CBC, master_iv).encrypt(_pad(payload))
    lines = [
        b"AES-256",
        user_salt.hex().upper().encode(),
        ck_salt.hex().upper().encode(),
        str(ROUNDS).encode(),
        user_iv.hex().upper().encode(),
        enc_blob.hex().upper().encode(),
    ]
    return head + b"\n".join(lines) + b"\n" + body


def _mbfile(size: int, mtime: int, target: str | None = None) -> bytes:
    """The NSKeyedArchiver ``MBFile`` blob of a Manifest.db row."""
    root: dict[str, object] = {
        "$class": plistlib.UID(2),
        "Size": size,
        "LastModified": mtime,
        "Birth": mtime,
        "Mode": 0o100644,
    }
    objects: list[object] = [
        "$null",
        root,
        {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]},
    ]
    if target is not None:
        root["Target"] = plistlib.UID(3)
        objects.append(target)
    archive = {
        "$archiver": "NSKeyedArchiver",
        "$version": 100000,
        "$top": {"root": plistlib.UID(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


IosFile = tuple[str, str, bytes]  # domain, relative path, content


def ios_backup(
    folder: Path,
    files: Iterable[IosFile],
    *,
    encrypted: bool = False,
    dirs: Iterable[tuple[str, str]] = (),
    mtime: int = 1_700_000_000,
) -> Path:
    """Write an iOS 10+ backup folder (Manifest.plist, Manifest.db, stored files)."""
    folder.mkdir(parents=True)
    manifest = {
        "BackupKeyBag": b"\x00" * 64,
        "Date": "2026-11-30T10:00:00Z",
        "IsEncrypted": encrypted,
        "Lockdown": {"DeviceName": "Test iPhone", "ProductVersion": "17.1"},
        "Version": "10.0",
        "WasPasscodeSet": True,
        "Applications": {"net.whatsapp.WhatsApp": {"CFBundleIdentifier": "net.whatsapp.WhatsApp"}},
    }
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    (folder / "Info.plist").write_bytes(plistlib.dumps({"Device Name": "Test iPhone"}))
    rows = []
    for domain, relative, content in files:
        file_id = hashlib.sha1(f"{domain}-{relative}".encode(), usedforsecurity=False).hexdigest()
        stored = folder / file_id[:2] / file_id
        stored.parent.mkdir(exist_ok=True)
        stored.write_bytes(os.urandom(len(content)) if encrypted else content)
        rows.append((file_id, domain, relative, 1, _mbfile(len(content), mtime)))
    for domain, relative in dirs:
        file_id = hashlib.sha1(f"{domain}-{relative}".encode(), usedforsecurity=False).hexdigest()
        rows.append((file_id, domain, relative, 2, _mbfile(0, mtime)))
    db = folder / "Manifest.db"
    if encrypted:
        db.write_bytes(os.urandom(8192))  # encrypted backups encrypt Manifest.db too
        return folder
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, "
            "relativePath TEXT, flags INTEGER, file BLOB)"
        )
        conn.execute("CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)")
        conn.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", rows)
    conn.close()
    return folder


UfdrFile = tuple[str, str, bytes]  # device path, path in the zip, content


def ufdr_bytes(
    files: Iterable[UfdrFile], *, wrong_hash_for: str | None = None, extra: Iterable[Entry] = ()
) -> bytes:
    """A Cellebrite-style UFDR zip: report.xml (project, device, taggedFiles) and the files."""
    rows = []
    for device, local, content in files:
        md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
        sha = hashlib.sha256(content).hexdigest()
        if device == wrong_hash_for:
            sha = "0" * 64
        windows = local.replace("/", "\\")  # Cellebrite writes Windows separators
        rows.append(
            f'<file fs="File System" path="{device}" size="{len(content)}" deleted="Intact" '
            f'id="x" extractionId="0"><accessInfo><timestamp name="ModifyTime">'
            f"2026-11-01T10:00:00.000+00:00</timestamp></accessInfo>"
            f'<metadata section="File"><item name="Local Path"><![CDATA[{windows}]]></item>'
            f'<item name="MD5">{md5}</item><item name="SHA256">{sha}</item></metadata></file>'
        )
    report = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<project name="OP-TEST" extractionType="FileSystem" reportVersion="7.60" '
        'xmlns="http://pa.cellebrite.com/report/2.0">'
        '<sourceExtractions><extractionInfo id="0" name="File System" type="FileDump" '
        'deviceName="Test phone" /></sourceExtractions>'
        '<metadata section="Extraction Data">'
        '<item name="DeviceInfoSelectedManufacturer">Samsung</item>'
        '<item name="DeviceInfoSelectedDeviceName">Galaxy Test</item>'
        '<item name="DeviceInfoExtractionStartDateTime">01/11/2026 10:00:00(UTC+0)</item>'
        "</metadata><taggedFiles>" + "".join(rows) + "</taggedFiles></project>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", report)
        for _device, local, content in files:
            archive.writestr(local, content)
        for name, content in extra:
            archive.writestr(name, content)
    return out.getvalue()

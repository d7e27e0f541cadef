"""iOS backups: on-phone paths, sizes and times from Manifest.db; encrypted ones reported."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.archives import CONTAINER_TYPES
from vigil.sources.archives.base import Member
from vigil.sources.folder import walk
from vigil.sources.identify import sniff
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator
from vigil.sources.phones.ios_backup import device_path, without_stored_files
from vigil.sources.reopen import open_item, read_all
from vigil.store.engine import Store
from vigil.store.schema import item

from .samples import _mbfile, ios_backup

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
FILES = [
    ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG", JPEG),
    ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "Message/Media/a/b.jpg", b"wa" * 50),
    ("HomeDomain", "Library/SMS/sms.db", b"not really sqlite"),
]


def _members(folder: Path) -> list[Member]:
    plist = folder / "Manifest.plist"
    reader = CONTAINER_TYPES["ios-backup"]
    with plist.open("rb") as handle:
        data = handle.read()
    outer = Locator.for_path(str(plist))
    return list(reader.iter_members(io.BytesIO(data), outer, Limits(), Budget(10**9)))


def test_manifest_plist_is_sniffed(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES)
    assert sniff((folder / "Manifest.plist").read_bytes()).name == "ios-backup"
    assert sniff((folder / "Info.plist").read_bytes()).name == "unknown"


def test_files_carry_their_on_phone_paths_sizes_and_times(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES, dirs=[("CameraRollDomain", "Media/DCIM")])
    found = {m.name: m for m in _members(folder)}
    photo = found["/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG"]
    assert (photo.size, photo.mtime, photo.status) == (len(JPEG), 1_700_000_000.0, "ok")
    assert photo.locator.leaf.type == "ios-backup"
    assert photo.locator.leaf.get("domain") == "CameraRollDomain"
    with photo.open() as stream:
        assert stream.read() == JPEG
    assert found["/private/var/mobile/Media/DCIM"].kind == "dir"
    whatsapp = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared/Message/Media/a/b.jpg"
    assert found[whatsapp].size == 100


def test_missing_stored_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES)
    file_id = hashlib.sha1(b"HomeDomain-Library/SMS/sms.db", usedforsecurity=False).hexdigest()
    os.unlink(folder / file_id[:2] / file_id)
    found = {m.name: m for m in _members(folder)}
    sms = found["/private/var/mobile/Library/SMS/sms.db"]
    assert (sms.status, sms.reason) == ("error", "listed in Manifest.db but not in the backup")


def test_encrypted_backup_is_reported_file_by_file(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES, encrypted=True)
    found = _members(folder)
    assert (found[0].kind, found[0].status) == ("container", "encrypted")
    assert "password" in found[0].reason
    assert len(found) == 1 + len(FILES)
    assert all(m.status == "encrypted" and m.locator.leaf.get("encrypted") for m in found[1:])


def test_damaged_manifest_db_becomes_a_note(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES)
    (folder / "Manifest.db").write_bytes(b"SQLite format 3\x00" + b"\x01" * 2000)
    found = _members(folder)
    assert (found[0].kind, found[0].status) == ("container", "error")
    # The walk hides the stored-file folders: their files are listed all the same, and read.
    stored = {m.name: m for m in found[1:]}
    assert len(stored) == len(FILES) and all(m.status == "ok" for m in stored.values())
    assert all(m.locator.leaf.get("unnamed") and m.locator.leaf.get("file_id") == name
               for name, m in stored.items())  # fmt: skip
    with stored[_file_id(*FILES[0][:2])].open() as stream:
        assert stream.read() == JPEG


def test_stored_files_manifest_db_does_not_name_are_listed(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES[:1])
    stray = folder / "ab" / "notes.txt"  # any name: the walk hides the whole folder
    stray.parent.mkdir()
    stray.write_bytes(b"stray")
    found = {m.name: m for m in _members(folder)}
    assert "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG" in found
    assert _file_id(*FILES[0][:2]) not in found  # named once, by its on-phone path
    assert found["notes.txt"].status == "ok" and found["notes.txt"].size == 5


def _file_id(domain: str, relative: str) -> str:
    return hashlib.sha1(f"{domain}-{relative}".encode(), usedforsecurity=False).hexdigest()


def test_pre_ios10_backup_is_unsupported(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES)
    (folder / "Manifest.db").unlink()
    (folder / "Manifest.mbdb").write_bytes(b"mbdb\x05\x00")
    found = _members(folder)
    assert [(m.status, m.reason) for m in found[:1]] == [
        ("unsupported", "iOS backup before iOS 10 (Manifest.mbdb)")
    ]
    assert sorted(m.name for m in found[1:]) == sorted(_file_id(d, r) for d, r, _ in FILES)


def test_inside_another_container_is_unsupported(tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "b", FILES)
    outer = Locator.for_path("/e/x.zip").child("zip", "b/Manifest.plist")
    data = (folder / "Manifest.plist").read_bytes()
    found = list(
        CONTAINER_TYPES["ios-backup"].iter_members(io.BytesIO(data), outer, Limits(), Budget(1))
    )
    assert [m.status for m in found] == ["unsupported"]


def test_walk_leaves_stored_files_to_the_reader(tmp_path: Path) -> None:
    ios_backup(tmp_path / "ev" / "backup", FILES)
    (tmp_path / "ev" / "00").mkdir()  # a folder called 00 outside a backup stays
    (tmp_path / "ev" / "00" / "loose.txt").write_bytes(b"x")
    entries = without_stored_files(walk(tmp_path / "ev"))
    names = [os.path.relpath(os.fsdecode(e.path), tmp_path) for e in entries]
    assert "ev/00/loose.txt" in names
    assert all(len(os.path.basename(n)) != 40 for n in names)
    assert "ev/backup/Manifest.plist" in names


@pytest.mark.parametrize(
    ("domain", "relative", "expected"),
    [
        ("CameraRollDomain", "Media/DCIM", "/private/var/mobile/Media/DCIM"),
        ("RootDomain", "", "/private/var/root"),
        ("AppDomain-com.kik.chat", "Documents/x", "AppDomain-com.kik.chat/Documents/x"),
    ],
)
def test_device_paths(domain: str, relative: str, expected: str) -> None:
    assert device_path(domain, relative) == expected


def test_scan_counts_each_file_once_and_reopens_it(store: Store, tmp_path: Path) -> None:
    folder = ios_backup(tmp_path / "ev" / "backup", FILES)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    run_scan(store, [tmp_path / "ev"], ScanOptions(case="c", workers=1))
    with store.connect() as conn:
        rows = conn.execute(sa.select(item.c.locator, item.c.sha256, item.c.kind)).all()
    phone = [r for r in rows if '"ios-backup"' in r.locator]
    assert len(phone) == len(FILES)
    assert not [r for r in rows if len(Locator.from_json(r.locator).name) == 40]
    photo = next(r for r in phone if "IMG_0001" in r.locator)
    assert read_all(open_item(photo.locator, photo.sha256)) == JPEG
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before


def test_sizes_and_times_no_column_can_hold_are_stored_as_unknown(
    store: Store, tmp_path: Path
) -> None:
    """A Manifest.db may state any size and time: 2**64 - 1 bytes, a date past year 9999."""
    folder = ios_backup(tmp_path / "ev" / "backup", FILES[:1])
    conn = sqlite3.connect(folder / "Manifest.db")
    with conn:
        conn.execute("UPDATE Files SET file = ?", (_mbfile(2**64 - 1, 10**15),))
    conn.close()
    run_scan(store, [tmp_path / "ev"], ScanOptions(case="c", workers=1))
    with store.connect() as db:
        rows = db.execute(sa.select(item.c.locator, item.c.size, item.c.mtime)).all()
    photo = next(r for r in rows if "IMG_0001" in r.locator)
    assert (photo.size, photo.mtime) == (None, None)

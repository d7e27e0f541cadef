"""iOS backups (iTunes / Finder, iOS 10 and later) read as one container.

A backup is a folder: ``Manifest.plist`` (backup properties, ``IsEncrypted``),
``Manifest.db`` (SQLite: table ``Files`` maps each stored file, named by its
``fileID`` and kept in the sub-folder of its first two hex digits, to its
domain and relative path on the phone) and the stored files themselves.

The reader is keyed on ``Manifest.plist`` (sniffed from its content); given the
plist of a top-level folder it lists the files of ``Manifest.db`` with their
on-phone paths (``CameraRollDomain`` + ``Media/DCIM/…`` becomes
``/private/var/mobile/Media/DCIM/…``; app domains keep their domain name, since
the container's UUID is not in the backup), sizes and times. The stored files
are read from the folder read-only; the walk leaves them to this reader
(:func:`stored_file_dirs`) so that nothing is counted twice. Since the walk
hides them, every stored file Manifest.db does not name (it is damaged,
missing, or simply leaves one out) is listed too, by its stored name, and read.

An encrypted backup (``IsEncrypted``) is not decrypted: its ``Manifest.db`` is
itself encrypted, so the names are unknown. The reader says so in a note and
lists every stored file with status ``encrypted``, never as opaque data.
Backups before iOS 10 (``Manifest.mbdb``) get an ``unsupported`` note.
"""

from __future__ import annotations

import functools
import os
import plistlib
import re
import sqlite3
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO

from vigil.sources.archives.base import ContainerReader, Member, Scan
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import describe, read_up_to
from vigil.sources.folder import FsEntry, open_readonly
from vigil.sources.identify import SNIFF_BYTES, is_ios_manifest
from vigil.sources.limits import LimitExceeded, MiB
from vigil.sources.locator import Locator

LAYER = "ios-backup"
PLIST_MAX_BYTES = 64 * MiB
"""Manifest.plist lists the installed apps; tens of MB would already be unusual."""
MANIFEST_DB_MAX_BYTES = 1024 * MiB
"""Manifest.db of a full 512 GB phone is a few hundred MB."""
MANIFEST_SECONDS = 600.0
MANIFEST_STEPS = 2_000_000_000

_FLAG_FILE, _FLAG_DIR, _FLAG_LINK = 1, 2, 4
_STORED_DIR = re.compile(rb"^[0-9a-f]{2}$")
_HEX_ID = re.compile(r"^[0-9a-f]{40}$")

# Where the fixed domains live on the phone (as iOS forensic tools map them).
DOMAIN_ROOTS = {
    "CameraRollDomain": "/private/var/mobile",
    "MediaDomain": "/private/var/mobile",
    "HomeDomain": "/private/var/mobile",
    "RootDomain": "/private/var/root",
    "SystemPreferencesDomain": "/private/var/preferences",
    "WirelessDomain": "/private/var/wireless",
    "KeychainDomain": "/private/var/Keychains",
    "MobileDeviceDomain": "/private/var/MobileDevice",
    "ManagedPreferencesDomain": "/private/var/Managed Preferences",
    "DatabaseDomain": "/private/var/db",
    "HealthDomain": "/private/var/mobile/Library/Health",
    "KeyboardDomain": "/private/var/mobile/Library/Keyboard",
    "InstallDomain": "/private/var/installd",
    "TonesDomain": "/private/var/mobile/Media",
    "BooksDomain": "/private/var/mobile/Media/Books",
}


def device_path(domain: str, relative: str) -> str:
    """The path of a backed-up file as it was on the phone, as far as the backup tells."""
    root = DOMAIN_ROOTS.get(domain)
    if root is None:
        # AppDomain-<bundle>, AppDomainGroup-<group>, AppDomainPlugin-<id>, SysContainerDomain-…:
        # the container UUID is not recorded, so the domain itself names the folder.
        return f"{domain}/{relative}" if relative else domain
    return f"{root}/{relative}" if relative else root


def stored_file_dirs(folder: bytes) -> bool:
    """True when ``folder`` is an iOS backup whose stored files this reader lists.

    The walk then leaves out its two-hex-digit sub-folders: their files are
    members of the backup (named by their on-phone paths), not loose files.
    """
    path = os.path.join(folder, b"Manifest.plist")
    try:
        with open_readonly(path) as handle:
            head = read_up_to(handle, SNIFF_BYTES)
    except Exception:
        return False
    return is_ios_manifest(head)


def without_stored_files(entries: Iterator[FsEntry]) -> Iterator[FsEntry]:
    """A folder walk less the stored-file folders of the iOS backups met in it."""
    backups: set[bytes] = set()
    for entry in entries:
        parent = os.path.dirname(entry.path)
        if is_stored_dir(os.path.basename(parent)) and os.path.dirname(parent) in backups:
            continue  # a stored file
        if parent in backups and is_stored_dir(os.path.basename(entry.path)):
            continue  # a stored-file folder (00 … ff)
        if entry.kind == "dir" and stored_file_dirs(entry.path):
            backups.add(entry.path)
        yield entry


def is_stored_dir(name: bytes) -> bool:
    """True for the name of a sub-folder that holds a backup's stored files (``00``…``ff``)."""
    return _STORED_DIR.match(name) is not None


class IosBackupReader(ContainerReader):
    """Lists an iOS backup from its ``Manifest.plist``, reading the folder beside it."""

    layer = LAYER

    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        folder = _backup_folder(scan.outer)
        named: set[bytes] = set()  # stored files Manifest.db names (their paths)
        encrypted = False
        try:
            for member in _named(stream, scan, folder, named):
                encrypted = encrypted or member.status == "encrypted"
                yield member
        except LimitExceeded as exc:
            yield scan.note("limit", exc.reason)
        except Exception as exc:
            yield scan.note("error", describe(exc))
        if folder is not None:
            # The walk leaves the stored-file folders to this reader: a stored file
            # Manifest.db does not name (damaged, missing, encrypted) is listed all the same.
            yield from _unnamed(folder, scan, named, encrypted)


def _named(
    stream: BinaryIO, scan: Scan, folder: bytes | None, named: set[bytes]
) -> Iterator[Member]:
    """The notes and the files that Manifest.plist and Manifest.db name."""
    stream.seek(0)
    data = read_up_to(stream, PLIST_MAX_BYTES + 1)
    if len(data) > PLIST_MAX_BYTES:
        raise LimitExceeded(f"Manifest.plist larger than {PLIST_MAX_BYTES} bytes")
    manifest = plistlib.loads(data)
    if not isinstance(manifest, dict):
        raise ValueError("Manifest.plist is not a dictionary")
    if folder is None:
        yield scan.note(
            "unsupported",
            "an iOS backup inside another container is not read: "
            "extract the backup folder and scan it",
        )
        return
    if manifest.get("IsEncrypted") is True:
        yield scan.note(
            "encrypted",
            "iOS backup is encrypted (Manifest.plist IsEncrypted): file names and contents "
            "cannot be read without the backup password; Vigil does not decrypt iOS backups yet",
        )
        return
    db_path = os.path.join(folder, b"Manifest.db")
    if not os.path.lexists(db_path):
        if os.path.lexists(os.path.join(folder, b"Manifest.mbdb")):
            yield scan.note("unsupported", "iOS backup before iOS 10 (Manifest.mbdb)")
        else:
            yield scan.note("error", "Manifest.db is missing: the files cannot be named")
        return
    yield from _listed(folder, db_path, scan, named)


def _backup_folder(outer: Locator) -> bytes | None:
    if outer.depth != 0 or outer.leaf.type != "os":
        return None
    return os.path.dirname(os.fsencode(outer.leaf.path))


def _unnamed(folder: bytes, scan: Scan, named: set[bytes], encrypted: bool) -> Iterator[Member]:
    """Every entry of the stored-file folders (``00``…``ff``) that was not listed by name.

    The walk hides all of them, whatever their names, so all of them are listed
    here: by their stored name, read as they are (``encrypted`` when the backup is).
    """
    for sub in sorted(os.listdir(folder)):
        sub_path = os.path.join(folder, sub)
        if not is_stored_dir(sub) or not _is_real_dir(sub_path):
            continue
        for name in sorted(os.listdir(sub_path)):
            path = os.path.join(sub_path, name)
            if path in named:
                continue
            info = os.lstat(path)
            text = os.fsdecode(name)
            attrs = {"file_id": text, "unnamed": True}
            if stat.S_ISDIR(info.st_mode):
                continue  # the walk lists what a folder in here holds
            if not stat.S_ISREG(info.st_mode):
                yield scan.entry(
                    text, kind="special", status="skipped", attrs=attrs,
                    reason="not a regular file, in a stored-file folder of an iOS backup",
                )  # fmt: skip
            elif encrypted:
                yield scan.entry(
                    text, size=info.st_size, status="encrypted", attrs={**attrs, "encrypted": True},
                    reason="stored file of an encrypted iOS backup",
                )  # fmt: skip
            else:
                yield scan.entry(
                    text, size=info.st_size, mtime=float(info.st_mtime), attrs=attrs,
                    opener=functools.partial(open_readonly, path),
                )  # fmt: skip


def _is_real_dir(path: bytes) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _listed(folder: bytes, db_path: bytes, scan: Scan, named: set[bytes]) -> Iterator[Member]:
    # Imported here: the indicators package imports the sources package at load time.
    from vigil.indicators.sqlite_copy import private_sqlite

    with open_readonly(db_path) as handle:
        data = read_up_to(handle, MANIFEST_DB_MAX_BYTES + 1)
    if len(data) > MANIFEST_DB_MAX_BYTES:
        raise LimitExceeded(f"Manifest.db larger than {MANIFEST_DB_MAX_BYTES} bytes")
    with private_sqlite(data, None, seconds=MANIFEST_SECONDS, steps=MANIFEST_STEPS) as conn:
        rows = conn.execute(
            "SELECT fileID, domain, relativePath, flags, file FROM Files "
            "ORDER BY domain, relativePath"
        )
        for row in rows:
            yield _member(folder, row, scan, named)


def _member(
    folder: bytes, row: sqlite3.Row | tuple[Any, ...], scan: Scan, named: set[bytes]
) -> Member:
    file_id, domain, relative, flags, blob = (
        str(row[0]),
        str(row[1]),
        str(row[2] or ""),
        row[3],
        row[4],
    )
    path = device_path(domain, relative)
    meta = _file_meta(blob)
    attrs = {"domain": domain, "file_id": file_id}
    common: dict[str, Any] = {"size": meta.get("size"), "mtime": meta.get("mtime")}
    if flags == _FLAG_DIR:
        return scan.entry(path, kind="dir", attrs=attrs, **common)
    if flags == _FLAG_LINK:
        return scan.entry(
            path,
            kind="symlink",
            status="skipped",
            reason="symbolic link, not followed",
            link_target=meta.get("target"),
            attrs=attrs,
            **common,
        )
    if flags != _FLAG_FILE or _HEX_ID.match(file_id) is None:
        return scan.entry(
            path,
            status="error",
            reason=f"unexpected Manifest.db entry (flags {flags})",
            attrs=attrs,
            **common,
        )
    stored = os.path.join(folder, os.fsencode(file_id[:2]), os.fsencode(file_id))
    if not os.path.lexists(stored):
        return scan.entry(
            path,
            status="error",
            reason="listed in Manifest.db but not in the backup",
            attrs=attrs,
            **common,
        )
    named.add(stored)
    return scan.entry(path, opener=lambda: open_readonly(stored), attrs=attrs, **common)


def _file_meta(blob: object) -> dict[str, Any]:
    """Size, modification time and link target from the NSKeyedArchiver ``MBFile`` blob."""
    if not isinstance(blob, bytes):
        return {}
    try:
        archive = plistlib.loads(blob)
        objects = archive["$objects"]
        root = objects[archive["$top"]["root"].data]
    except Exception:
        return {}  # a damaged blob: the file is still listed, without its metadata
    meta: dict[str, Any] = {}
    size = root.get("Size")
    if isinstance(size, int) and size >= 0:
        meta["size"] = size
    mtime = root.get("LastModified")
    if isinstance(mtime, int | float):
        meta["mtime"] = float(mtime)
    target = root.get("Target")
    if isinstance(target, plistlib.UID) and target.data < len(objects):
        value = objects[target.data]
        if isinstance(value, str):
            meta["target"] = value
    return meta


CONTAINER_TYPES["ios-backup"] = IosBackupReader()

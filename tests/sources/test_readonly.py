"""Evidence stays untouched: bytes and times are identical after walking and reading all."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from vigil.errors import VigilError
from vigil.sources.archives import iter_nested
from vigil.sources.folder import open_readonly, walk
from vigil.sources.identify import SNIFF_BYTES, sniff
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

from .archives.samples import (
    STANDARD,
    compress,
    patch_zip,
    sevenzip_bytes,
    tar_bytes,
    zip_bytes,
)

OLD_ATIME_NS = 1_000_000_000_000_000_000  # 2001, before every mtime: relatime would update it
_NOATIME = getattr(os, "O_NOATIME", 0)


def _build(root: Path) -> list[bytes]:
    inner = zip_bytes([("inner.txt", b"inner")])
    files = {
        "plain.txt": b"benign\n",
        "pics/fake.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 500,
        "arch/a.zip": zip_bytes([*STANDARD, ("nested.zip", inner)]),
        "arch/a.tar": tar_bytes(STANDARD),
        "arch/a.tgz": tar_bytes(STANDARD, "gz"),
        "arch/a.tbz2": tar_bytes(STANDARD, "bz2"),
        "arch/a.txz": tar_bytes(STANDARD, "xz"),
        "arch/one.txt.gz": compress(b"one", "gzip"),
        "arch/one.txt.bz2": compress(b"one", "bzip2"),
        "arch/one.txt.xz": compress(b"one", "xz"),
        "arch/a.7z": sevenzip_bytes(  # py7zr refuses to write traversal names
            [(n, d) for n, d in STANDARD if d is not None and not n.startswith(("/", ".."))]
        ),
        "arch/locked.7z": sevenzip_bytes([("x.txt", b"x")], password="pw"),
        "arch/locked.zip": patch_zip(zip_bytes([("x.txt", b"x")]), flags=0x1),
        "arch/truncated.zip": zip_bytes(STANDARD)[:300],
        "arch/bomb.zip": zip_bytes([("zeros", bytes(5 * 1024 * 1024))]),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    fd = os.open(os.fsencode(root) + b"/odd-\xff.bin", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"odd")
    os.close(fd)
    os.symlink("plain.txt", root / "link")
    os.mkfifo(root / "fifo")
    (root / "empty-dir").mkdir()
    paths = _all_paths(root)
    # Make every atime older than its mtime, so that any ordinary read would move it.
    # Listing came first: listing a folder is itself a read of it.
    for path in paths:
        st = os.lstat(path)
        os.utime(path, ns=(OLD_ATIME_NS, st.st_mtime_ns), follow_symlinks=False)
    return paths


def _all_paths(root: Path) -> list[bytes]:
    """Every path under root, without following links (os.walk's is_dir() follows
    them, and following a link updates the link's atime)."""
    top = os.fsencode(root)
    found, pending = [top], [top]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                found.append(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
    return sorted(found)


def _snapshot(paths: list[bytes]) -> dict[bytes, tuple[int, ...]]:
    """Metadata and content digest of each path, read with lstat and O_NOATIME only."""
    shot = {}
    for path in paths:
        st = os.lstat(path)
        digest = b""
        if stat.S_ISREG(st.st_mode):
            fd = os.open(path, os.O_RDONLY | _NOATIME)
            with os.fdopen(fd, "rb") as stream:
                digest = hashlib.sha256(stream.read()).digest()
        shot[path] = (
            st.st_mode,
            st.st_size,
            st.st_mtime_ns,
            st.st_atime_ns,
            st.st_ctime_ns,
            int.from_bytes(digest[:8], "big"),
        )
    return shot


def _read_everything(root: Path, read_links: bool) -> int:
    members_read = 0
    for entry in walk(root, read_links=read_links):
        if entry.kind != "file" or entry.status != "ok":
            continue
        with open_readonly(entry.path) as stream:
            ftype = sniff(stream.read(SNIFF_BYTES))
            stream.seek(0)
            if ftype.family == "archive":
                budget = Budget(Limits(), entry.size)
                for member in iter_nested(stream, ftype.name, entry.locator, Limits(), budget):
                    if member.status == "ok" and member.kind == "file":
                        try:
                            with member.open() as data:
                                data.read()
                        except VigilError:
                            pass  # damaged members fail cleanly; the evidence stays untouched
                        members_read += 1
            else:
                stream.read()
    return members_read


@pytest.mark.parametrize("read_links", [False, True])
def test_walking_and_reading_everything_changes_nothing(tmp_path: Path, read_links: bool) -> None:
    root = tmp_path / "exhibit"
    root.mkdir()
    paths = _build(root)
    before = _snapshot(paths)
    assert _read_everything(root, read_links) >= 35
    after = _snapshot(paths)
    assert before[os.fsencode(root / "plain.txt")][3] == OLD_ATIME_NS  # the trap is set
    if read_links:
        # readlink(2) updates a symlink's own atime and no flag prevents it; the
        # link target and everything else must still be untouched.
        link = os.fsencode(root / "link")
        before[link] = before[link][:3] + before[link][4:]
        after[link] = after[link][:3] + after[link][4:]
    assert after == before


def test_locators_name_the_evidence_path(tmp_path: Path) -> None:
    root = tmp_path / "exhibit"
    root.mkdir()
    (root / "a.zip").write_bytes(zip_bytes([("x.txt", b"x")]))
    entry = next(e for e in walk(root) if e.kind == "file")
    with open_readonly(entry.path) as stream:
        (member,) = iter_nested(stream, "zip", entry.locator, Limits(), Budget(10**9))
    assert member.locator.parent == Locator.for_path(entry.path)

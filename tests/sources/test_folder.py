"""Folder walking: order, entry kinds, odd names, unreadable items, laziness."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.errors import SourceError
from vigil.sources import folder
from vigil.sources.folder import FsEntry, open_readonly, walk

ODD_NAME = b"caf\xe9-\xff.bin"  # not valid UTF-8


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "evidence"
    (root / "b" / "d").mkdir(parents=True)
    (root / "b" / "e").mkdir()
    (root / "a.txt").write_bytes(b"alpha")
    (root / "b" / "c.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 100)
    (root / "b" / "e" / "f.txt").write_bytes(b"f")
    os.symlink("a.txt", root / "link_file")
    os.symlink("b", root / "link_dir")
    os.mkfifo(root / "fifo")
    fd = os.open(os.fsencode(root) + b"/" + ODD_NAME, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"odd")
    os.close(fd)
    monkeypatch.chdir(root)  # AF_UNIX paths are short: bind relative to the folder
    server = socket.socket(socket.AF_UNIX)
    server.bind("sock")
    try:
        yield root
    finally:
        server.close()


def _rel(entry: FsEntry, root: Path) -> bytes:
    return os.path.relpath(entry.path, os.fsencode(root))


def test_order_is_preorder_sorted_by_name_bytes(tree: Path) -> None:
    names = [_rel(e, tree) for e in walk(tree)]
    assert names == [
        b".",
        b"a.txt",
        b"b",
        b"b/c.jpg",
        b"b/d",
        b"b/e",
        b"b/e/f.txt",
        ODD_NAME,
        b"fifo",
        b"link_dir",
        b"link_file",
        b"sock",
    ]


def test_entry_kinds_and_statuses(tree: Path) -> None:
    entries = {_rel(e, tree): e for e in walk(tree)}
    assert entries[b"."].kind == "dir"
    assert entries[b"b/d"].kind == "dir"  # empty folders are entries too
    assert (entries[b"a.txt"].kind, entries[b"a.txt"].size) == ("file", 5)
    assert entries[b"a.txt"].mtime == pytest.approx((tree / "a.txt").stat().st_mtime)
    link = entries[b"link_dir"]
    assert (link.kind, link.status, link.link_target) == ("symlink", "ok", "b")
    assert entries[b"link_file"].link_target == "a.txt"
    for name, kind in ((b"fifo", "fifo"), (b"sock", "socket")):
        assert (entries[name].kind, entries[name].status) == (kind, "skipped")
        assert "not read" in entries[name].reason
    assert all(e.status == "ok" for k, e in entries.items() if k not in (b"fifo", b"sock"))


def test_symlinked_directory_is_not_followed(tree: Path) -> None:
    paths = [_rel(e, tree) for e in walk(tree)]
    assert not any(p.startswith(b"link_dir/") for p in paths)


def test_non_utf8_name_is_byte_exact(tree: Path) -> None:
    entry = next(e for e in walk(tree) if e.path.endswith(ODD_NAME))
    assert os.fsencode(entry.locator.leaf.path) == entry.path
    with open_readonly(os.fsencode(entry.locator.leaf.path)) as stream:
        assert stream.read() == b"odd"


def test_locators_are_absolute_os_paths(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree.parent)
    first = next(walk("evidence"))
    assert first.locator.leaf.type == "os"
    assert first.locator.leaf.path == str(tree)


def test_unreadable_file_and_dir_via_monkeypatch(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod 000 blocks nothing: simulate the refusal instead.
    denied = {os.fsencode(tree / "a.txt"), os.fsencode(tree / "b" / "e")}
    real_open = os.open

    def fake_open(path: bytes, flags: int, *args: int, **kwargs: int) -> int:
        if os.fsencode(path) in denied:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    entries = {_rel(e, tree): e for e in walk(tree)}
    assert (entries[b"a.txt"].status, entries[b"a.txt"].reason) == ("error", "permission denied")
    assert (entries[b"b/e"].status, entries[b"b/e"].reason) == ("error", "permission denied")
    assert b"b/e/f.txt" not in entries
    assert entries[b"b/c.jpg"].status == "ok"


NOBODY = 65534


def _walk_statuses(root: Path) -> dict[str, str]:
    """Statuses from a walk by a user whom permissions bind (as root: a child running as nobody).

    The child is forked, not spawned: the interpreter lives under /root, which
    nobody cannot enter, but a fork has everything loaded already.
    """
    if os.geteuid() != 0:
        return {_rel(e, root).decode(errors="replace"): e.status for e in walk(root)}
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's work is checked through the pipe
        code = 1
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            found = {_rel(e, root).decode(errors="replace"): e.status for e in walk(root)}
            os.write(write_end, json.dumps(found).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the walk as nobody failed"
    statuses: dict[str, str] = json.loads(output)
    return statuses


def test_unreadable_file_and_dir_for_real(tree: Path) -> None:
    """Real permissions, not a monkeypatch: as root the walk runs as the user nobody."""
    shared = Path(tempfile.mkdtemp(prefix="vigil-perm-"))
    shared.chmod(0o755)  # nobody must reach the tree to be refused inside it
    try:
        root = shared / "evidence"
        shutil.copytree(tree, root, symlinks=True, ignore=shutil.ignore_patterns("sock", "fifo"))
        (root / "a.txt").chmod(0)
        (root / "b" / "e").chmod(0)
        statuses = _walk_statuses(root)
    finally:
        (root / "a.txt").chmod(0o644)
        (root / "b" / "e").chmod(0o755)
        shutil.rmtree(shared)
    assert statuses["a.txt"] == "error"
    assert statuses["b/e"] == "error"
    assert statuses["b/c.jpg"] == "ok"
    assert "b/e/f.txt" not in statuses


def test_probe_can_be_turned_off(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_open = os.open

    def counting_open(path: bytes, flags: int, *args: int, **kwargs: int) -> int:
        calls.append(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    list(walk(tree, probe_files=False, read_links=False))
    assert calls  # directories are still opened to be listed
    assert not any(os.path.isfile(p) for p in calls)


def test_single_file_root(tree: Path) -> None:
    (entry,) = list(walk(tree / "a.txt"))
    assert (entry.kind, entry.size, entry.status) == ("file", 5, "ok")


def test_symlink_root_is_recorded_not_followed(tree: Path) -> None:
    (entry,) = list(walk(tree / "link_dir"))
    assert entry.kind == "symlink"


def test_device_root_is_skipped() -> None:
    (entry,) = list(walk("/dev/null"))
    assert (entry.kind, entry.status) == ("device", "skipped")


def test_missing_root_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        walk(tmp_path / "nope")  # at call time, before any iteration


def test_deep_tree_needs_no_recursion(tmp_path: Path) -> None:
    top = tmp_path / "deep"
    chain = [top / ("d/" * i).rstrip("/") for i in range(1501)]  # deeper than the recursion limit
    for path in chain:
        path.mkdir()
    (chain[-1] / "leaf.txt").write_bytes(b"leaf")
    try:
        entries = list(walk(top))
        assert len(entries) == 1502
        assert entries[-1].path.endswith(b"/d/leaf.txt")
    finally:
        # shutil.rmtree (pytest's cleanup) recurses per level: take the chain down here.
        (chain[-1] / "leaf.txt").unlink()
        for path in reversed(chain):
            path.rmdir()


def test_walk_is_lazy(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listed: list[bytes] = []
    real = folder._list_dir

    def counting(path: bytes) -> list[bytes]:
        listed.append(path)
        return real(path)

    monkeypatch.setattr(folder, "_list_dir", counting)
    entries = walk(tree)
    next(entries)
    assert len(listed) == 1  # only the root so far
    next(entries)  # a.txt
    assert len(listed) == 1


def test_open_readonly_keeps_atime(tree: Path) -> None:
    path = tree / "a.txt"
    os.utime(
        path, ns=(1_000_000_000, 2_000_000_000_000_000_000)
    )  # atime < mtime: relatime would update
    with open_readonly(path) as stream:
        assert stream.read() == b"alpha"
    assert os.stat(path).st_atime_ns == 1_000_000_000


def test_open_readonly_refuses_links_and_special_files(tree: Path) -> None:
    with pytest.raises(SourceError, match="symbolic link"):
        open_readonly(tree / "link_file")
    with pytest.raises(SourceError, match="not a regular file"):
        open_readonly(tree / "fifo")  # must not block waiting for a writer
    with pytest.raises(SourceError, match="not found"):
        open_readonly(tree / "missing")

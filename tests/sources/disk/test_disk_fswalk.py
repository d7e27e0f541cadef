"""Deleted NTFS folders: their deleted files listed under the folder's path, loops bounded."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from vigil.sources.reopen import open_locator

from . import ntfs_tree
from .conftest import Found, list_image
from .images import sha256

FILES = {
    "Pics/a.txt": b"first deleted file\n",
    "Pics/b.bin": bytes(range(256)) * 20,  # non-resident: data runs, not in the MFT record
    "Pics/sub/c.txt": b"one folder deeper\n",
    "keep.txt": b"still here\n",
}
GONE = ["/Pics/sub/c.txt", "/Pics/sub", "/Pics/a.txt", "/Pics/b.bin", "/Pics"]
DELETED_FILES = {"/Pics/a.txt", "/Pics/b.bin", "/Pics/sub/c.txt"}


@dataclass
class Volumes:
    windows: Path  # deleted as Windows does (sequence numbers bumped)
    unbumped: Path  # same, sequence numbers left: TSK lists the files as orphans
    loop: Path  # the deleted folders' parent references point at each other


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> Volumes:
    missing = ntfs_tree.missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/system-deps.sh test installs them)")
    folder = tmp_path_factory.mktemp("ntfs-tree")
    made = []
    for name, bump in (("windows", True), ("unbumped", False), ("loop", False)):
        image = ntfs_tree.tree_image(folder / f"{name}.img", FILES)
        pics, sub = ntfs_tree.inode(image, "/Pics"), ntfs_tree.inode(image, "/Pics/sub")
        ntfs_tree.delete(image, GONE, bump=bump)
        if name == "loop":
            ntfs_tree.set_parent(image, pics, sub, 1)
            ntfs_tree.set_parent(image, sub, pics, 1)
        made.append(image)
    return Volumes(*made)


def _deleted(found: list[Found]) -> dict[str, Found]:
    return {f.locator.leaf.path: f for f in found if f.locator.leaf.get("deleted")}


def _contents_ok(deleted: dict[str, Found], prefix: str = "") -> None:
    for name in DELETED_FILES:
        found = deleted[prefix + name]
        assert (found.status, found.kind) == ("ok", "file")
        assert found.sha256 == sha256(FILES[name.lstrip("/")])


def test_files_in_a_deleted_folder_are_listed_under_it(volumes: Volumes) -> None:
    deleted = _deleted(list_image(volumes.windows))
    _contents_ok(deleted)
    assert deleted["/Pics"].kind == deleted["/Pics/sub"].kind == "dir"
    assert not any(path.startswith("/$OrphanFiles/") and "OrphanFile-" not in path
                   for path in deleted)  # fmt: skip


def test_orphans_go_back_under_their_deleted_folder(volumes: Volumes) -> None:
    deleted = _deleted(list_image(volumes.unbumped))
    _contents_ok(deleted)
    inodes = [f.locator.leaf.get("inode") for f in deleted.values()]
    assert len(inodes) == len(set(inodes))  # each record once, not again as an orphan


def test_parent_references_that_loop_end(volumes: Volumes) -> None:
    found = list_image(volumes.loop)
    deleted = _deleted(found)
    inodes = [f.locator.leaf.get("inode") for f in deleted.values()]
    assert len(inodes) == len(set(inodes))
    # /Pics and /Pics/sub name each other as parent: no path to the root, so /Pics
    # stays where TSK put it, and what names it as parent goes under that path.
    assert deleted["/$OrphanFiles/Pics"].kind == "dir"
    _contents_ok(deleted, prefix="/$OrphanFiles")


def _fls(image: Path) -> set[tuple[str, int]]:
    """(path, record) of every deleted file The Sleuth Kit's ``fls -rdFp`` lists."""
    out = subprocess.run(["fls", "-rdFp", str(image)], check=True, capture_output=True,
                         text=True).stdout  # fmt: skip
    listed = set()
    for line in out.splitlines():
        head, _, path = line.partition("\t")
        address = head.split()[-1].rstrip(":")
        listed.add(("/" + path, int(address.split("-")[0])))
    return listed


@pytest.mark.skipif(shutil.which("fls") is None, reason="needs fls (Debian sleuthkit)")
def test_deleted_files_agree_with_the_sleuth_kit(volumes: Volumes) -> None:
    for image in (volumes.windows, volumes.unbumped):
        ours = {
            (path, int(f.locator.leaf.get("inode")))
            for path, f in _deleted(list_image(image)).items()
            if f.kind == "file"
        }
        theirs = _fls(image)
        if image == volumes.windows:
            assert ours == theirs
        else:  # TSK calls them orphans; the same records, under their folder here
            assert {i for _, i in ours} == {i for _, i in theirs}
            assert {p for p, _ in theirs} - {p for p, _ in ours} == {
                "/$OrphanFiles/" + name.rsplit("/", 1)[-1] for name in DELETED_FILES
            }


def test_files_of_a_deleted_folder_reopen(volumes: Volumes) -> None:
    for image in (volumes.windows, volumes.unbumped):
        deleted = _deleted(list_image(image))
        for name in DELETED_FILES:
            with open_locator(deleted[name].locator) as stream:
                assert hashlib.sha256(stream.read()).hexdigest() == deleted[name].sha256

"""A volume holding two file systems at once: both read, a warning naming both, files reopen."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cases.counting import case_summary
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.disk import fswalk
from vigil.sources.disk.info import describe_image
from vigil.sources.reopen import open_locator
from vigil.store.engine import Store
from vigil.store.schema import item

from . import images
from .conftest import Found, list_image
from .images import sha256

WARNING = (
    "two file systems recognised in the same space (fat16 and iso9660): each is read; "
    "the files of one may be hidden from a system that mounts the other"
)
FAT_FILES = {"FAT.JPG": images.picture(31)}
ISO_FILES = {"iso.jpg": images.picture(32)}


@dataclass
class Hybrids:
    bare: Path
    partitioned: Path


@pytest.fixture(scope="module")
def hybrids(tmp_path_factory: pytest.TempPathFactory) -> Hybrids:
    missing = [t for t in images.missing_tools() if t in ("mkfs.vfat", "mcopy", "genisoimage",
                                                          "sfdisk")]  # fmt: skip
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/system-deps.sh test installs them)")
    folder = tmp_path_factory.mktemp("hybrid")
    bare = images.iso_fat_hybrid(folder / "hybrid.img", FAT_FILES, ISO_FILES)
    disk = folder / "disk.img"
    images.partitioned(disk, [bare])
    return Hybrids(bare, disk)


def _files(found: list[Found]) -> dict[tuple[str, str], Found]:
    return {(f.locator.leaf.type, f.locator.leaf.path): f for f in found if f.sha256}


@pytest.mark.parametrize("which", ["bare", "partitioned"])
def test_both_file_systems_are_read_with_a_warning(hybrids: Hybrids, which: str) -> None:
    found = list_image(getattr(hybrids, which))
    files = _files(found)
    assert files[("fat", "/FAT.JPG")].sha256 == sha256(FAT_FILES["FAT.JPG"])
    assert files[("iso9660", "/iso.jpg")].sha256 == sha256(ISO_FILES["iso.jpg"])
    notes = [f for f in found if f.kind == "container" and f.status != "ok"]
    assert [n.reason for n in notes] == [WARNING]
    assert notes[0].status == "error"  # counted in "Errors and limits"
    assert not any("no file system" in f.reason for f in found)


@pytest.mark.parametrize("which", ["bare", "partitioned"])
def test_files_of_both_reopen(hybrids: Hybrids, which: str) -> None:
    files = _files(list_image(getattr(hybrids, which)))
    assert {layer for layer, _ in files} >= {"fat", "iso9660"}
    for member in files.values():
        with open_locator(member.locator) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == member.sha256, member.locator


def test_image_info_names_both(hybrids: Hybrids) -> None:
    info = describe_image(bytes(hybrids.partitioned))
    assert info is not None
    assert [v.get("file_system") for v in info["volumes"] if v["slot"] == "1"] == [
        "fat16 + iso9660"
    ]


def test_scan_counts_the_warning_in_errors_and_limits(store: Store, hybrids: Hybrids) -> None:
    run_scan(store, [hybrids.bare], ScanOptions(case="c", workers=1))
    with store.connect() as conn:
        problems = list(conn.execute(sa.select(item.c.status, item.c.reason).where(
            item.c.status != "ok")))  # fmt: skip
    assert problems == [("error", WARNING)]
    assert case_summary(store, "c").problems == {"error": 1}


def test_a_capped_first_walk_still_reads_the_second(
    hybrids: Hybrids, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fswalk, "MAX_FS_ENTRIES", 2)
    found = list_image(hybrids.bare)
    assert [f.locator.leaf.type for f in found if f.status == "limit"] == ["fat"]
    assert ("iso9660", "/iso.jpg") in _files(found)  # the FAT walk stopped, the ISO's did not
    assert not any(f.locator.flag("carved") for f in found)  # free space unknown: not carved

"""Files inside disk images: locators, deleted and carved files, streams, caps, damage."""

from __future__ import annotations

import errno
import io
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from vigil.errors import SourceError
from vigil.sources.archives.nested import iter_nested
from vigil.sources.disk import fswalk
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator
from vigil.sources.reopen import open_locator

from .conftest import DiskSet, Found, by_path, list_image
from .images import file_sha256, sha256


def _ok(found: Found, data: bytes) -> None:
    assert (found.status, found.kind) == ("ok", "file")
    assert found.sha256 == sha256(data)


def _layers(found: Found) -> list[str]:
    return [layer.type for layer in found.locator.layers]


def test_fat_files_deleted_archive_and_carved(disks: DiskSet) -> None:
    found = list_image(disks.fat)
    paths = by_path(found)
    f = disks.files
    _ok(paths["/DCIM/a.jpg"], f["a.jpg"])
    _ok(paths["/DCIM/b.png"], f["b.png"])
    _ok(paths["/c.gif"], f["c.gif"])
    _ok(paths["inner.jpg"], f["inner.jpg"])  # opened inside the zip inside the image
    assert _layers(paths["inner.jpg"]) == ["os", "fat", "zip"]
    assert paths["/DCIM"].kind == "dir"
    assert isinstance(paths["/DCIM/a.jpg"].locator.leaf.get("inode"), int)
    gone = [x for x in found if x.locator.leaf.get("deleted")]
    assert len(gone) == 1  # FAT keeps the name without its first letter
    _ok(gone[0], f["gone.jpg"])
    assert gone[0].locator.leaf.path.endswith("one.jpg")
    carved = [x for x in found if x.locator.flag("carved")]
    assert [c.locator.leaf.get("offset") for c in carved] == [disks.offsets["carved.png"]]
    _ok(carved[0], f["carved.png"])
    assert carved[0].locator.leaf.get("length") == len(f["carved.png"])
    # the truncated and the unaligned JPEG are not carved; TSK's $MBR, $FAT1 … are not items
    assert not any(x.locator.leaf.path.startswith(("/$MBR", "/$FAT")) for x in found)


def test_ext4_tree_and_deleted(disks: DiskSet) -> None:
    paths = by_path(list_image(disks.ext4))
    _ok(paths["/home/user/pics/d.jpg"], disks.files["d.jpg"])
    _ok(paths["/e.png"], disks.files["e.png"])
    deleted = paths["/home/user/pics/f.jpg"]
    assert deleted.locator.leaf.get("deleted") is True
    _ok(deleted, disks.files["f.jpg"])
    assert paths["/home/user/pics/d.jpg"].locator.leaf.get("deleted") is None


def test_ntfs_alternate_stream_and_deleted(disks: DiskSet) -> None:
    paths = by_path(list_image(disks.ntfs))
    _ok(paths["/g.jpg"], disks.files["g.jpg"])
    stream = paths["/readme.txt:hidden"]
    _ok(stream, disks.files["hidden.png"])
    assert stream.locator.leaf.get("ads") == "hidden"
    assert stream.locator.leaf.get("inode") == paths["/readme.txt"].locator.leaf.get("inode")
    _ok(paths["/readme.txt"], b"hello\n")
    bad = paths["/$BadClus:$Bad"]  # as large as the volume, all sparse: not read
    assert (bad.status, bad.reason) == ("skipped", "sparse: no data stored (reads as zeros)")
    deleted = paths["/i.jpg"]
    assert deleted.locator.leaf.get("deleted") is True
    _ok(deleted, disks.files["i.jpg"])


def test_iso9660(disks: DiskSet) -> None:
    paths = by_path(list_image(disks.iso))
    _ok(paths["/photos/j.jpg"], disks.files["j.jpg"])
    assert _layers(paths["/photos/j.jpg"]) == ["os", "iso9660"]


def test_exfat_volume_walked_and_free_space_carved(disks: DiskSet) -> None:
    found = list_image(disks.exfat)
    assert {x.locator.layers[1].type for x in found} == {"exfat", "carved"}
    assert all(x.status == "ok" for x in found)
    carved = [x for x in found if x.locator.flag("carved")]
    assert [c.locator.leaf.get("offset") for c in carved] == [disks.offsets["exfat.png"]]
    _ok(carved[0], disks.files["b.png"])


def test_mbr_partitions_and_unpartitioned_space(disks: DiskSet) -> None:
    found = list_image(disks.mbr)
    paths = by_path(found)
    a = paths["/a.jpg"]
    _ok(a, disks.files["a.jpg"])
    assert _layers(a) == ["os", "partition", "fat"]
    part = a.locator.layers[1]
    assert (part.path, part.get("offset")) == ("1", disks.offsets["p1"])
    d = paths["/home/user/pics/d.jpg"]
    assert (d.locator.layers[1].path, d.locator.layers[1].get("offset")) == (
        "2",
        disks.offsets["p2"],
    )
    assert d.locator.layers[2].type == "ext"
    carved = [x for x in found if x.locator.flag("carved")]
    assert [c.locator.leaf.get("offset") for c in carved] == [disks.offsets["carved.gif"]]
    _ok(carved[0], disks.files["carved.gif"])


def test_gpt(disks: DiskSet) -> None:
    paths = by_path(list_image(disks.gpt))
    _ok(paths["/gpt.jpg"], disks.files["gpt.jpg"])
    assert _layers(paths["/gpt.jpg"]) == ["os", "partition", "ntfs"]


def _without_root(found: list[Found]) -> list[tuple[object, ...]]:
    return [
        (tuple(layer for layer in x.locator.layers[1:] if layer.type != "ewf"), x.status, x.sha256)
        for x in found
    ]


def test_e01_matches_the_raw_image(disks: DiskSet) -> None:
    e01, raw = list_image(disks.e01), list_image(disks.mbr)
    assert all(x.locator.layers[1].type == "ewf" for x in e01)
    assert _without_root(e01) == _without_root(raw)


def test_split_raw_numbered_from_000_reads_every_segment(disks: DiskSet, tmp_path: Path) -> None:
    for index, segment in enumerate(disks.split):
        shutil.copyfile(segment, tmp_path / f"usb.{index:03d}")
    assert _without_root(list_image(tmp_path / "usb.000")) == _without_root(list_image(disks.fat))


def test_split_raw_matches_the_whole_image(disks: DiskSet) -> None:
    assert len(disks.split) == 3
    assert _without_root(list_image(disks.split[0])) == _without_root(list_image(disks.fat))


def test_images_unchanged_by_reading(disks: DiskSet) -> None:
    paths = [disks.fat, disks.ntfs, disks.mbr, *disks.e01.parent.glob("exhibit.E*")]
    before = {p: (file_sha256(p), p.stat().st_mtime_ns) for p in paths}
    list_image(disks.fat)
    list_image(disks.ntfs)
    list_image(disks.e01)
    assert {p: (file_sha256(p), p.stat().st_mtime_ns) for p in paths} == before


def test_entry_and_depth_caps(disks: DiskSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fswalk, "MAX_FS_ENTRIES", 3)
    found = list_image(disks.ext4)
    notes = [x for x in found if x.status == "limit"]
    assert notes and all(x.kind == "container" for x in notes)
    assert any("more than 3 entries" in x.reason for x in notes)
    assert len([x for x in found if x.status == "ok"]) <= 3


def test_depth_cap_stops_descent(disks: DiskSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fswalk, "MAX_DIR_DEPTH", 2)
    paths = by_path(list_image(disks.ext4))
    assert paths["/home/user"].status == "limit"
    assert "deeper than 2" in paths["/home/user"].reason
    assert "/home/user/pics/d.jpg" not in paths


def test_directory_loop_is_noted_not_followed(disks: DiskSet, tmp_path: Path) -> None:
    from .images import fat_loop

    image = fat_loop(tmp_path / "loop.img")
    found = list_image(image, Limits())
    assert any(x.status == "limit" and "loop" in x.reason for x in found)
    assert len(found) < 50


class _BadSectors(io.BytesIO):
    """An image whose reads fail with EIO over one byte range (damaged media)."""

    def __init__(self, data: bytes, bad: tuple[int, int]) -> None:
        super().__init__(data)
        self.bad = bad

    def read(self, size: int | None = -1) -> bytes:
        start = self.tell()
        end = start + (len(self.getbuffer()) - start if size is None or size < 0 else size)
        if start < self.bad[1] and end > self.bad[0]:
            raise OSError(errno.EIO, "Input/output error")
        return super().read(size)


def test_unreadable_region_gives_an_error_item(disks: DiskSet) -> None:
    data = disks.fat.read_bytes()
    offset = data.find(disks.files["b.png"][:4096])
    assert offset > 0
    stream = _BadSectors(data, (offset + 4096, offset + 8192))
    limits = Limits()
    members = iter_nested(
        stream, "fs-image", Locator.for_path("/ev/usb.img"), limits, Budget(limits)
    )
    outcome: dict[str, bytes | str] = {}
    for member in members:  # each member's data is read before the next is asked for
        if member.kind != "file":
            continue
        if member.status != "ok":  # the sniff read already failed
            outcome[member.locator.leaf.path] = member.reason
            continue
        try:
            with member.open() as handle:
                outcome[member.locator.leaf.path] = handle.read()
        except SourceError as exc:
            outcome[member.locator.leaf.path] = str(exc)
    damaged = outcome["/DCIM/b.png"]
    assert isinstance(damaged, str) and "b.png" in damaged and "unreadable" in damaged
    assert outcome["/DCIM/a.jpg"] == disks.files["a.jpg"]
    assert outcome["/c.gif"] == disks.files["c.gif"]


def test_missing_ewf_segments_are_reported(disks: DiskSet, tmp_path: Path) -> None:
    segments = sorted(disks.e01.parent.glob("exhibit.E*"))
    assert len(segments) >= 3
    for path in segments[:2]:
        shutil.copyfile(path, tmp_path / path.name)
    found = list_image(tmp_path / "exhibit.E01")
    notes = [x for x in found if x.kind == "container" and x.status == "error"]
    assert notes and "EWF set incomplete: segment 2" in notes[0].reason
    assert not [x for x in list_image(disks.e01) if x.kind == "container"]


@pytest.mark.parametrize("name", ["fat", "ntfs", "ext4", "mbr"])
@pytest.mark.parametrize("seed", range(4))
def test_damaged_metadata_never_raises(
    disks: DiskSet, tmp_path: Path, name: str, seed: int
) -> None:
    rng = random.Random(seed)
    data = bytearray(getattr(disks, name).read_bytes())
    for _ in range(200):  # random bytes over the first 2 MiB: tables, boot sectors, folders
        data[rng.randrange(0, 2 << 20)] = rng.randrange(256)
    damaged = tmp_path / "damaged.img"
    damaged.write_bytes(bytes(data))
    found = list_image(damaged)  # every problem is an item or a note, never an exception
    assert found, "a damaged image listed nothing: it must at least say why"
    assert {x.status for x in found} <= {"ok", "error", "limit", "skipped", "unsupported"}
    unexplained = [x for x in found if x.status != "ok" and not (x.reason or "").strip()]
    assert unexplained == []
    # Every file listed as ok was read to its end by list_image (its digest is set).
    assert all(x.sha256 for x in found if x.status == "ok" and x.kind == "file")


def test_compressed_e01_inside_a_zip(disks: DiskSet, tmp_path: Path) -> None:
    from .images import ewf

    single = ewf(disks.fat, tmp_path / "stick", segment="64MiB", compression="fast")
    archive = tmp_path / "handover.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(single, "stick.E01")
    found = by_path(list_image(archive))
    a = found["/DCIM/a.jpg"]
    _ok(a, disks.files["a.jpg"])
    assert _layers(a) == ["os", "zip", "ewf", "fat"]
    with open_locator(a.locator) as stream:
        assert sha256(stream.read()) == a.sha256

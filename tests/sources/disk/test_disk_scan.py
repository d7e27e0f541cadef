"""`vigil scan` of disk images end to end: items, locations, matches, evidence info, read-only."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cli.main import run
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.locator import Locator
from vigil.sources.reopen import open_item
from vigil.store.engine import Store
from vigil.store.schema import evidence, item, match

from .conftest import DiskSet
from .images import file_sha256


def _items(store: Store) -> list[sa.Row[object]]:
    with store.connect() as conn:
        return list(conn.execute(sa.select(item)))


def _state(paths: list[Path]) -> dict[Path, tuple[str, int, int]]:
    return {p: (file_sha256(p), p.stat().st_mtime_ns, p.stat().st_atime_ns) for p in paths}


def test_e01_scan_items_info_verification_and_evidence_untouched(
    store: Store, disks: DiskSet, tmp_path: Path
) -> None:
    folder = tmp_path / "ewf"
    shutil.copytree(disks.e01.parent, folder)
    segments = sorted(folder.glob("exhibit.E*"))
    for path in segments:  # atimes in the past, so that any read that updates them shows
        st = path.stat()
        os.utime(path, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns))
    before = _state(segments)
    e01 = folder / "exhibit.E01"
    run_scan(store, [e01], ScanOptions(case="c", workers=1, verify=True))
    assert _state(segments) == before

    with store.connect() as conn:
        row = conn.execute(sa.select(evidence)).one()
    assert row.sha256 == file_sha256(e01)
    info = row.info
    assert info["format"] == "ewf"
    assert [s["name"] for s in info["segments"]] == [p.name for p in segments]
    acquisition = info["acquisition"]
    assert acquisition["case_number"] == "CASE-1"
    assert acquisition["examiner_name"] == "DC Example"
    assert acquisition["description"] == "USB stick"
    assert acquisition["notes"] == "benign test image"
    assert acquisition["acquiry_date"]
    assert info["stored_hashes"]["md5"] == hashlib.md5(disks.mbr.read_bytes()).hexdigest()
    assert info["verification"]["status"] == "verified"
    assert [v["file_system"] for v in info["volumes"] if "file_system" in v] == ["fat12", "ext4"]

    rows = {r.display.split(" → ", 2)[-1]: r for r in _items(store)}
    a = rows["partition:1 → fat:/a.jpg"]
    assert (a.location, a.status, a.family, a.review) == ("live", "ok", "image", "unknown")
    assert a.pdq is not None
    deleted = rows["partition:2 → ext:/home/user/pics/f.jpg"]
    assert deleted.location == "deleted"
    carved = [r for r in rows.values() if r.location == "carved"]
    assert len(carved) == 1
    offset = disks.offsets["carved.gif"]
    assert Locator.from_json(carved[0].locator).leaf.get("offset") == offset
    # the web app reopens any item from its locator and checks its hash
    with open_item(carved[0].locator, carved[0].sha256) as stream:
        assert stream.read() == disks.files["carved.gif"]
    with open_item(deleted.locator, deleted.sha256) as stream:
        assert stream.read() == disks.files["f.jpg"]


def test_folder_with_segmented_images_and_matches(
    store: Store, disks: DiskSet, tmp_path: Path
) -> None:
    folder = tmp_path / "exhibits"
    shutil.copytree(disks.e01.parent, folder / "pc")
    shutil.copytree(disks.split[0].parent, folder / "usb")
    wanted = ("carved.gif", "f.jpg", "gone.jpg", "carved.png")
    listing = tmp_path / "set.md5"
    listing.write_text("".join(f"{hashlib.md5(disks.files[n]).hexdigest()}  {n}\n" for n in wanted))
    library.import_file(store, listing, "planted")
    before = _state(sorted(p for p in folder.rglob("*") if p.is_file()))
    run_scan(store, [folder], ScanOptions(case="c", workers=2))
    assert _state(sorted(p for p in folder.rglob("*") if p.is_file())) == before

    rows = _items(store)
    by_name = {r.display: r for r in rows}
    later = [r for r in rows if r.attrs and "segment" in r.attrs]
    assert sorted(Path(Locator.from_json(r.locator).leaf.path).name for r in later) == sorted(
        [p.name for p in sorted((folder / "pc").glob("exhibit.E*"))[1:]] + ["usb.002", "usb.003"]
    )
    # each image opened once, from its first segment
    assert sum(r.display.endswith("fat:/a.jpg") for r in rows) == 1
    assert sum(r.display.endswith("fat:/DCIM/a.jpg") for r in rows) == 1
    e01_top = by_name[f"os:{folder / 'pc' / 'exhibit.E01'}"]
    assert e01_top.file_type == "ewf" and e01_top.attrs["acquisition"]["case_number"] == "CASE-1"
    with store.connect() as conn:
        hits = conn.execute(
            sa.select(item.c.display, item.c.location).join(match, match.c.item_id == item.c.id)
        ).all()
    locations = sorted(location for _, location in hits)
    assert locations == ["carved", "carved", "deleted", "deleted"]
    zipped = [r for r in rows if r.display.endswith("zip:inner.jpg")]
    assert [r.location for r in zipped] == ["archive"]


def test_damaged_e01_fails_verification_but_the_scan_finishes(
    store: Store, disks: DiskSet, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(disks.e01.parent, folder)
    e01 = folder / "exhibit.E01"
    data = bytearray(e01.read_bytes())
    # damage a picture's bytes (libewf zero-fills a chunk whose checksum fails)
    position = data.find(disks.files["a.jpg"][:256]) + 100
    assert position > 100
    data[position : position + 64] = bytes(b ^ 0x5A for b in data[position : position + 64])
    e01.write_bytes(bytes(data))
    run_scan(store, [e01], ScanOptions(case="c", workers=1, verify=True))
    with store.connect() as conn:
        info = conn.execute(sa.select(evidence.c.info)).scalar_one()
    assert info["verification"]["status"] in ("mismatch", "unreadable")
    assert _items(store)  # the image was still read as far as it goes


def test_cli_scan_prints_what_the_image_says(
    db_url: str, disks: DiskSet, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--db", db_url, "scan", str(disks.e01), "--case", "c", "--verify", "--workers", "1"]
    assert run(argv) in (0, 3)
    out = capsys.readouterr().out
    assert "disk image (ewf," in out
    assert "case_number CASE-1" in out and "examiner_name DC Example" in out
    assert "verification: verified" in out
    assert "deleted (recovered)" in out and "carved from free space" in out


def test_split_raw_verify_gives_the_media_hash(store: Store, disks: DiskSet) -> None:
    run_scan(store, [disks.split[0]], ScanOptions(case="c", workers=1, verify=True))
    with store.connect() as conn:
        row = conn.execute(sa.select(evidence)).one()
    assert [s["name"] for s in row.info["segments"]] == ["usb.001", "usb.002", "usb.003"]
    check = row.info["verification"]
    assert check["status"] == "no-stored-hash"
    assert check["computed"]["md5"] == hashlib.md5(disks.fat.read_bytes()).hexdigest()
    assert check["computed"]["sha1"] == hashlib.sha1(disks.fat.read_bytes()).hexdigest()
    assert row.sha256 == file_sha256(disks.split[0])  # the evidence file itself: segment 1

"""Scan-level handling of odd entries, bombs and disagreeing hash sets."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import sqlalchemy as sa

from vigil.cases.counting import CONFLICT, case_summary
from vigil.demo.imagegen import encode, make_picture
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.limits import Limits
from vigil.sources.locator import Locator
from vigil.store.engine import Store
from vigil.store.schema import item


def rows(store: Store) -> list[sa.Row[object]]:
    with store.connect() as conn:
        return list(conn.execute(sa.select(item).order_by(item.c.id)))


def test_links_fifos_and_odd_names_are_recorded(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "real.txt").write_text("x")
    os.symlink(root / "real.txt", root / "link.txt")
    os.symlink(tmp_path, root / "dirlink")  # never followed: would loop into the store
    os.mkfifo(root / "pipe")
    odd = os.path.join(os.fsencode(root), b"caf\xe9.bin")
    with open(odd, "wb") as handle:
        handle.write(b"odd")
    run_scan(store, [root], ScanOptions(case="c", workers=1))
    by_name = {Locator.from_json(r.locator).name: r for r in rows(store)}
    assert by_name["link.txt"].kind == "symlink" and by_name["link.txt"].md5 is None
    assert by_name["dirlink"].kind == "symlink"
    assert by_name["pipe"].kind == "fifo" and by_name["pipe"].status == "skipped"
    [odd_row] = [r for r in rows(store) if r.name == "caf\\xe9.bin"]
    assert odd_row.md5 == hashlib.md5(b"odd").digest()
    assert os.fsencode(Locator.from_json(odd_row.locator).leaf.path) == odd
    assert not any("vigil-home" in r.display for r in rows(store))


def test_bomb_becomes_a_limit_item(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    with zipfile.ZipFile(root / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\0" * (20 << 20))
        z.writestr("fine.txt", b"hello")
    limits = Limits(max_ratio=50)
    run_scan(store, [root], ScanOptions(case="c", workers=1, limits=limits))
    by_name = {Locator.from_json(r.locator).name: r for r in rows(store)}
    assert by_name["zeros.bin"].status == "limit"
    assert "ratio" in by_name["zeros.bin"].reason
    assert by_name["fine.txt"].md5 == hashlib.md5(b"hello").digest()
    assert case_summary(store, "c").problems == {"limit": 1}


def test_sets_that_disagree_are_a_conflict(store: Store, tmp_path: Path) -> None:
    picture = encode(make_picture(1))
    digest = hashlib.md5(picture).hexdigest()
    for name, category in (("force-a", "A"), ("force-b", "C")):
        path = tmp_path / f"{name}.csv"
        path.write_text(f"md5,category\n{digest},{category}\n")
        library.import_file(store, path, name)
    root = tmp_path / "ev"
    root.mkdir()
    (root / "p.jpg").write_bytes(picture)
    run_scan(store, [root], ScanOptions(case="c", workers=1))
    summary = case_summary(store, "c")
    assert summary.conflicts == 1
    assert set(summary.exact) == {CONFLICT}


def test_single_archive_as_evidence_records_its_hash(store: Store, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a.txt", "a")
    archive = tmp_path / "exhibit.zip"
    archive.write_bytes(buffer.getvalue())
    run_scan(store, [archive], ScanOptions(case="c", workers=1))
    [run] = case_summary(store, "c").runs
    assert run.evidence[0]["sha256"] == hashlib.sha256(buffer.getvalue()).hexdigest()
    assert run.evidence[0]["kind"] == "file"

"""Reopening scanned items from their locators: plain files, zip-in-zip, tar.gz members."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.demo.evidence import DemoLayout, build_demo
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources import reopen
from vigil.sources.locator import Locator
from vigil.store.engine import Store, open_store
from vigil.store.schema import item


@pytest.fixture
def scanned(tmp_path: Path) -> Iterator[tuple[Store, DemoLayout]]:
    demo = build_demo(tmp_path / "demo")
    store = open_store()
    run_scan(store, [demo.evidence], ScanOptions(case="c", workers=1))
    yield store, demo
    store.close()


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def _media(store: Store) -> list[sa.Row[object]]:
    with store.connect() as conn:
        return list(
            conn.execute(
                sa.select(item).where(item.c.family == "image", item.c.status == "ok")
            ).all()
        )


def test_every_scanned_picture_reopens_to_its_bytes(scanned: tuple[Store, DemoLayout]) -> None:
    store, demo = scanned
    before = _tree_digest(demo.evidence)
    rows = _media(store)
    depths = set()
    for row in rows:
        with reopen.open_item(row.locator, row.sha256) as stream:
            data = stream.read()
        assert hashlib.sha256(data).digest() == row.sha256
        depths.add(Locator.from_json(row.locator).depth)
    assert depths == {0, 1, 2}  # plain files, tar.gz members, zip-in-zip members
    assert _tree_digest(demo.evidence) == before


def test_changed_evidence_is_refused(scanned: tuple[Store, DemoLayout]) -> None:
    store, _ = scanned
    row = next(r for r in _media(store) if r.name == "camera_100.jpg")
    target = Path(Locator.from_json(row.locator).leaf.path)
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(reopen.EvidenceChangedError, match="changed since it was scanned"):
        reopen.open_item(row.locator, row.sha256)


def test_missing_sha256_is_refused(scanned: tuple[Store, DemoLayout]) -> None:
    store, _ = scanned
    row = _media(store)[0]
    with pytest.raises(reopen.EvidenceChangedError, match="no stored SHA-256"):
        reopen.open_item(row.locator, None)


def test_missing_member_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    import zipfile

    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("x.txt", "x")
    gone = Locator.for_path(str(archive)).child("zip", "y.txt")
    with pytest.raises(reopen.ReopenError, match="no such member"):
        reopen.open_locator(gone)
    with pytest.raises(reopen.ReopenError, match="not found"):
        reopen.open_locator(Locator.for_path(str(tmp_path / "none.jpg")))


def test_unknown_layer_names_the_known_ones(tmp_path: Path) -> None:
    loc = Locator.for_path(str(tmp_path)).child("ntfs-nothing", "x")
    with pytest.raises(reopen.ReopenError, match=r"known: .*os"):
        reopen.open_locator(loc)


def test_registered_layer_is_used(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"0123456789")

    def slice_layer(parent: object, locator: Locator) -> object:
        import io

        assert parent is not None
        start = int(locator.leaf.get("offset"))
        return io.BytesIO(parent.read()[start:])  # type: ignore[attr-defined]

    reopen.register("test-slice", slice_layer)  # type: ignore[arg-type]
    try:
        loc = Locator.for_path(str(tmp_path / "f.bin")).child("test-slice", "", offset=4)
        with reopen.open_locator(loc) as stream:
            assert stream.read() == b"456789"
    finally:
        reopen.OPENERS.pop("test-slice")

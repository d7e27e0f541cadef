"""Thumbnails and reveals: blurred by default, only for items of visible cases, never by path."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image
from web_helpers import PASSWORD, Site, app_client, csrf_of, login, make_video

from vigil.accounts import assignments
from vigil.audit import case_scope, entries
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.schema import case, item
from vigil.web.app import create_app


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def _item(site: Site, **where: object) -> sa.Row[object]:
    with site.store.connect() as conn:
        query = sa.select(item).where(*(item.c[k] == v for k, v in where.items()))
        return conn.execute(query.order_by(item.c.id)).first()  # type: ignore[return-value]


def _detail(image: Image.Image) -> float:
    """Mean absolute difference between neighbouring pixels: high for sharp, low for blurred."""
    pixels = np.asarray(image, dtype=np.float32)
    return float(np.abs(np.diff(pixels, axis=1)).mean() + np.abs(np.diff(pixels, axis=0)).mean())


@contextmanager
def _tampered(site: Site, item_id: int, **values: object) -> Iterator[None]:
    with site.store.begin() as conn:
        before = conn.execute(sa.select(item).where(item.c.id == item_id)).one()
        conn.execute(sa.update(item).where(item.c.id == item_id).values(**values))
    try:
        yield
    finally:
        with site.store.begin() as conn:
            restore = {k: getattr(before, k) for k in values}
            conn.execute(sa.update(item).where(item.c.id == item_id).values(**restore))


def test_thumbnail_is_small_greyscale_blurred_and_not_cached(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    row = _item(sqlite_site, name="camera_100.jpg")
    before = _tree(sqlite_site.demo.evidence)
    blurred = eve.get(f"/items/{row.id}/thumb")
    assert blurred.status_code == 200
    assert blurred.headers["content-type"] == "image/jpeg"
    assert blurred.headers["cache-control"] == "no-store"
    revealed = eve.post(f"/items/{row.id}/reveal", headers={"X-CSRF-Token": csrf_of(eve)})
    assert revealed.status_code == 200
    assert revealed.headers["cache-control"] == "no-store"
    soft, sharp = Image.open(io.BytesIO(blurred.content)), Image.open(io.BytesIO(revealed.content))
    assert soft.mode == "L" and sharp.mode == "L"
    assert max(soft.size) == sqlite_site.settings.thumb_px == max(sharp.size)
    assert _detail(sharp) > 4 * _detail(soft)
    assert _tree(sqlite_site.demo.evidence) == before  # evidence untouched


def test_reveal_is_audited_and_counted(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    row = _item(sqlite_site, name="camera_101.jpg")
    start = eve.get("/api/me/exposure").json()
    eve.get(f"/items/{row.id}/thumb")
    eve.post(f"/items/{row.id}/reveal", headers={"X-CSRF-Token": csrf_of(eve)})
    now = eve.get("/api/me/exposure").json()
    assert now["thumbnails"] == start["thumbnails"] + 1
    assert now["reveals"] == start["reveals"] + 1
    with sqlite_site.store.connect() as conn:
        log = list(entries(conn, case_scope(sqlite_site.case_id)))
    reveal = [e for e in log if e.action == "media.reveal" and e.target == f"item:{row.id}"]
    assert reveal and reveal[-1].actor == "eve"
    assert reveal[-1].detail is not None and reveal[-1].detail["md5"] == row.md5.hex()


def test_reveal_needs_post(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    row = _item(sqlite_site, name="camera_100.jpg")
    assert client_for("eve").get(f"/items/{row.id}/reveal").status_code == 405


def test_no_path_reaches_the_file_system(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    row = _item(sqlite_site, name="camera_100.jpg")
    for bad in (
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        f"{row.id}%2F..%2F..%2Fetc%2Fpasswd",
        "-1",
        "99999999",
        "1e3",
    ):
        response = eve.get(f"/items/{bad}/thumb")
        assert response.status_code in (404, 422), (bad, response.status_code)
        assert response.headers["content-type"] != "image/jpeg"
    # Query parameters are not read: still the item's own blurred thumbnail.
    plain = eve.get(f"/items/{row.id}/thumb").content
    assert eve.get(f"/items/{row.id}/thumb?path=/etc/passwd&locator=x").content == plain


def test_tampered_locator_is_refused(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site, tmp_path: Path
) -> None:
    eve = client_for("eve")
    row = _item(sqlite_site, name="camera_100.jpg")
    other = _item(sqlite_site, name="camera_102.jpg")
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(Path(json.loads(other.locator)[0]["path"]).read_bytes())
    for locator in (
        json.dumps(json.loads(other.locator)),  # another picture of the evidence
        json.dumps([{"type": "os", "path": str(outside)}]),  # a file elsewhere
        json.dumps([{"type": "os", "path": "/etc/passwd"}]),
        json.dumps([{"type": "os", "path": "/proc/self/environ"}]),
    ):
        with _tampered(sqlite_site, row.id, locator=locator):
            for response in (
                eve.get(f"/items/{row.id}/thumb"),
                eve.post(f"/items/{row.id}/reveal", headers={"X-CSRF-Token": csrf_of(eve)}),
            ):
                assert response.status_code == 409, locator
                assert response.headers["content-type"] == "application/json"
                assert "changed since it was scanned" in response.json()["detail"]


def test_changed_evidence_gives_one_clear_error(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    row = _item(sqlite_site, name="camera_103.jpg")
    path = Path(json.loads(row.locator)[0]["path"])
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-10] + b"0123456789")
        response = client_for("eve").get(f"/items/{row.id}/thumb")
        assert response.status_code == 409
        assert response.json()["detail"].endswith("…)")
        assert "changed since it was scanned" in response.json()["detail"]
    finally:
        path.write_bytes(original)


def test_only_media_awaiting_review_are_shown(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    hit = _item(sqlite_site, name="IMG_1000.jpg", review="hit")
    text = _item(sqlite_site, name="readme.txt")
    known = _item(sqlite_site, review="known")
    for row in (hit, text, known):
        assert eve.get(f"/items/{row.id}/thumb").status_code == 404


def test_items_nested_in_archives_are_shown(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    for name in ("new.jpg", "p500.jpg"):  # zip inside a zip; a member of a tar.gz
        row = _item(sqlite_site, name=name)
        response = eve.get(f"/items/{row.id}/thumb")
        assert response.status_code == 200, response.text


def test_video_items_show_a_contact_sheet(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site, tmp_path: Path
) -> None:
    folder = tmp_path / "phone"
    folder.mkdir()
    make_video(folder / "VID_0001.mp4")
    run_scan(sqlite_site.store, [folder], ScanOptions(case="op-video", workers=1))
    assignments.assign(sqlite_site.store, "eve", "op-video", "test")
    row = _item(sqlite_site, name="VID_0001.mp4")
    assert row.family == "video" and row.review == "unknown"
    eve = client_for("eve")
    with sqlite_site.store.connect() as conn:
        case_id = conn.execute(sa.select(case.c.id).where(case.c.name == "op-video")).scalar_one()
    groups = eve.get(f"/api/cases/{case_id}/queue").json()["groups"]
    assert [g["pictures"][0]["family"] for g in groups] == ["video"]
    sheet = eve.get(f"/items/{row.id}/thumb")
    assert sheet.status_code == 200
    image = Image.open(io.BytesIO(sheet.content))
    assert image.mode == "L" and image.width == 3 * sqlite_site.settings.thumb_px


def test_break_reminder_comes_every_n_pictures(sqlite_site: Site) -> None:
    settings = replace(sqlite_site.settings, break_every=3)
    client = app_client(create_app(sqlite_site.store, settings), follow_redirects=False)
    assert login(client, "rex", PASSWORD).status_code == 303
    start = client.get("/api/me/exposure").json()["thumbnails"]
    row = _item(sqlite_site, name="camera_104.jpg")
    due = []
    for _ in range(6):
        shown = client.get(f"/items/{row.id}/thumb")
        assert int(shown.headers["x-exposure-thumbnails"]) == start + len(due) + 1
        due.append(client.get("/api/me/exposure").json()["break_due"])
    expected = [(start + i + 1) % 3 == 0 for i in range(6)]
    assert due == expected and due.count(True) == 2
    page = client.get("/cases").text
    assert 'data-break-every="3"' in page

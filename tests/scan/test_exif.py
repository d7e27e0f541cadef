"""EXIF read at scan time: fields, hostile blocks, and what the store keeps."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from vigil.scan.exif import MAX_TEXT_CHARS, Exif, read_exif
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import item


def _jpeg(exif: Image.Exif | None = None) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 60, 200)).save(
        out, "JPEG", exif=exif if exif is not None else Image.Exif()
    )
    out.seek(0)
    return out


def _camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Google"
    exif[0x0110] = "Pixel 7"
    exif[0x0131] = "HDR+ 1.0"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:05:17 14:03:59"
    sub[0x9011] = "+01:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)
    gps[3], gps[4] = "W", (0.0, 7.0, 30.0)
    return exif


def test_camera_fields_and_gps_are_read() -> None:
    found = read_exif(_jpeg(_camera_exif()))
    assert found == Exif(
        taken="2024-05-17T14:03:59+01:00",
        make="Google",
        model="Pixel 7",
        software="HDR+ 1.0",
        gps_present=True,
        latitude=51.5,
        longitude=-0.125,
    )
    assert found.camera == "Google Pixel 7"


def test_picture_without_exif_has_none() -> None:
    assert read_exif(_jpeg()) is None


def test_unset_camera_clock_is_no_date_and_texts_are_cut() -> None:
    exif = Image.Exif()
    exif[0x0110] = "M" * 5000
    exif.get_ifd(0x8769)[0x9003] = "0000:00:00 00:00:00"
    found = read_exif(_jpeg(exif))
    assert found is not None
    assert found.taken is None
    assert found.model == "M" * MAX_TEXT_CHARS


def test_truncated_or_garbage_input_is_no_exif() -> None:
    data = _jpeg(_camera_exif()).getvalue()
    for cut in (2, 20, 40, 120):
        assert read_exif(io.BytesIO(data[:cut])) is None or cut > 100
    assert read_exif(io.BytesIO(b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00MM" + b"\x00" * 64)) is None


def test_out_of_range_coordinates_keep_only_gps_present() -> None:
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (95.0, 0.0, 0.0)
    gps[3], gps[4] = "E", (10.0, 0.0, 0.0)
    found = read_exif(_jpeg(exif))
    assert found is not None
    assert found.gps_present and found.latitude is None and found.longitude is None


def test_scan_stores_exif_per_item_and_leaves_evidence_alone(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    picture = folder / "camera.jpg"
    picture.write_bytes(_jpeg(_camera_exif()).getvalue())
    plain = folder / "plain.jpg"
    plain.write_bytes(_jpeg().getvalue())
    before = picture.read_bytes()
    run_scan(store, [folder], ScanOptions(case="c", workers=1))
    with store.connect() as conn:
        rows = {r.name: r for r in conn.execute(sa.select(item))}
    cam = rows["camera.jpg"]
    assert (cam.exif_taken, cam.camera_make, cam.camera_model) == (
        "2024-05-17T14:03:59+01:00",
        "Google",
        "Pixel 7",
    )
    assert cam.gps_present is True and cam.gps_lat == 51.5 and cam.gps_lon == -0.125
    assert rows["plain.jpg"].exif_taken is None and rows["plain.jpg"].gps_present is None
    assert picture.read_bytes() == before

"""Cellebrite UFDR: device paths, the extraction's metadata, stated hashes checked."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.phones.ufdr import read_report
from vigil.sources.reopen import open_item, read_all
from vigil.store.engine import Store
from vigil.store.schema import item

from ..archives.samples import members
from ..disk.images import picture
from .samples import ufdr_bytes

PHOTO = "/data/media/0/DCIM/Camera/IMG_1.jpg"
FILES = [
    (PHOTO, "files/Image/IMG_1.jpg", picture(1)),
    ("/data/data/com.whatsapp/databases/msgstore.db", "files/Database/msgstore.db", b"m" * 99),
]


def test_members_carry_device_paths_and_stated_hashes() -> None:
    found = members(ufdr_bytes(FILES, extra=[("unlisted.txt", b"u")]), "zip", outer="/e/x.ufdr")
    note = found[0]
    assert (note.kind, note.status) == ("container", "skipped")
    assert "Samsung Galaxy Test" in note.reason and "2 files listed" in note.reason
    by_name = {m.name: m for m in found[1:]}
    assert set(by_name) == {"report.xml", PHOTO, FILES[1][0], "unlisted.txt"}
    photo = by_name[PHOTO]
    assert photo.locator.leaf.type == "ufdr"
    assert photo.locator.leaf.get("zip_path") == "files/Image/IMG_1.jpg"
    assert len(photo.locator.leaf.get("stated_sha256")) == 64


def test_a_doctype_cut_in_two_by_a_read_is_refused() -> None:
    prolog = '<?xml version="1.0"?><!--' + "x" * (4096 - 21 - 4 - 3 - 4) + "-->"
    hostile = (prolog + '<!DOCTYPE x [<!ENTITY a "aaaa">]><project>&a;</project>').encode()
    assert hostile[4092:4096] == b"<!DO"  # the first read ends inside the word
    with pytest.raises(ValueError, match="DOCTYPE"):
        read_report(io.BytesIO(hostile))


def test_a_doctype_is_refused() -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><project/>'
    try:
        read_report(io.BytesIO(hostile))
    except ValueError as exc:
        assert "DOCTYPE" in str(exc)
    else:
        raise AssertionError("a DOCTYPE must be refused")


def test_broken_report_keeps_every_member() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("report.xml", '<project xmlns="http://pa.cellebrite.com/report/2.0"><x')
        archive.writestr("files/a.jpg", b"a")
    found = members(out.getvalue(), "zip")
    assert (found[0].status, found[0].kind) == ("error", "container")
    assert [m.name for m in found[1:]] == ["report.xml", "files/a.jpg"]


def test_scan_checks_stated_hashes_and_reopens(store: Store, tmp_path: Path) -> None:
    (tmp_path / "phone.ufdr").write_bytes(ufdr_bytes(FILES, wrong_hash_for=FILES[1][0]))
    run_scan(store, [tmp_path / "phone.ufdr"], ScanOptions(case="U", workers=1))
    with store.connect() as conn:
        rows = {r.display: r for r in conn.execute(sa.select(item))}
    photo = next(r for d, r in rows.items() if d.endswith("ufdr:" + PHOTO))
    msgstore = next(r for d, r in rows.items() if d.endswith("msgstore.db"))
    assert photo.reason is None
    assert "differs from the hash" in msgstore.reason and "SHA-256" in msgstore.reason
    assert read_all(open_item(photo.locator, photo.sha256)) == FILES[0][2]


def test_device_metadata_is_read_past_deep_nesting_and_unknown_elements() -> None:
    """Ended elements are dropped as the parse goes; what the report says is still read."""
    report = (
        '<project name="OP" xmlns="http://pa.cellebrite.com/report/2.0"><x><y/><y/></x>'
        "<metadata>" + "<item>" * 5000 + "</item>" * 5000
        + '<item name="DeviceInfoSelectedManufacturer">Acme</item></metadata>'
        '<taggedFiles><z/><file path="/d/a.jpg" size="3"><metadata section="File">'
        '<item name="Local Path">files\\a.jpg</item></metadata></file></taggedFiles></project>'
    )  # fmt: skip
    parsed = read_report(io.BytesIO(report.encode()))
    assert parsed.project["DeviceInfoSelectedManufacturer"] == "Acme"
    assert parsed.project["name"] == "OP"
    assert list(parsed.files) == ["files/a.jpg"] and parsed.files["files/a.jpg"].size == 3


def test_a_size_in_other_digits_is_unknown_not_fatal() -> None:
    report = (
        '<project xmlns="http://pa.cellebrite.com/report/2.0"><taggedFiles>'
        '<file path="/d/a" size="\u00b2"><metadata section="File"><item name="Local Path">a'
        '</item></metadata></file><file path="/d/b" size="' + "9" * 5000 + '">'
        '<metadata section="File"><item name="Local Path">b</item></metadata></file>'
        "</taggedFiles></project>"
    )
    parsed = read_report(io.BytesIO(report.encode()))
    assert (parsed.files["a"].size, parsed.files["b"].size) == (None, None)


def test_a_report_in_an_unknown_encoding_is_a_broken_report() -> None:
    """A flipped byte in the XML declaration ("uuf-8") raised LookupError past the zip reader."""
    for name in ("uuf-8", "rot13"):
        head = f'<?xml version="1.0" encoding="{name}"?>'
        with pytest.raises(ValueError, match="encoding"):
            read_report(io.BytesIO(head.encode() + b"<project/>"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ufdr_bytes(FILES))) as good, zipfile.ZipFile(out, "w") as bad:
        for info in good.infolist():
            data = good.read(info)
            bad.writestr(info, data.replace(b'encoding="utf-8"', b'encoding="uuf-8"'))
    hurt = out.getvalue()
    found = members(hurt, "zip", outer="/e/x.ufdr")
    assert (found[0].status, found[0].kind) == ("error", "container")
    assert {m.name for m in found[1:]} == {"report.xml", *(local for _, local, _ in FILES)}

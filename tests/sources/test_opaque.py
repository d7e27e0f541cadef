"""Containers Vigil recognises but cannot open are never ``ok`` (sources/opaque.py)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cases.counting import case_summary
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.disk.crypt import CRYPT_TYPES
from vigil.sources.disk.layers import LVM
from vigil.sources.identify import TYPES, sniff
from vigil.sources.locator import Locator
from vigil.sources.opaque import OPAQUE, TRAILER_ONLY, opaque_trailer, opaque_type
from vigil.store.engine import Store
from vigil.store.schema import item

SIZE = 64 * 1024
READ_AS_VOLUMES = (*CRYPT_TYPES, LVM)


def _at(offset: int, data: bytes, size: int = SIZE, *more: tuple[int, bytes]) -> bytes:
    """``size`` zero bytes with ``data`` written at ``offset`` (and any ``more`` pairs)."""
    buf = bytearray(size)
    for at, value in ((offset, data), *more):
        buf[at : at + len(value)] = value
    return bytes(buf)


def _fve() -> bytes:
    boot = bytearray(_at(3, b"-FVE-FS-"))
    boot[0:3], boot[510:512] = b"\xeb\x58\x90", b"\x55\xaa"
    return bytes(boot)


def _dmg() -> bytes:
    body = bytearray(os.urandom(SIZE))  # a compressed DMG starts with plain data
    body[-512:] = _at(0, b"koly\x00\x00\x00\x04\x00\x00\x02\x00", 512)
    return bytes(body)


HEADERS: dict[str, bytes] = {
    "vdi": _at(0, b"<<< Oracle VM VirtualBox Disk Image >>>\n", SIZE, (64, b"\x7f\x10\xda\xbe")),
    "apfs": _at(32, b"NXSB"),
    "lvm": _at(512, b"LABELONE", SIZE, (536, b"LVM2 001")),
    "dmg": _dmg(),
    "bitlocker": _fve(),
    "luks": _at(0, b"LUKS\xba\xbe\x00\x02"),
    "filevault": _at(88, b"CS\x01\x00"),
}
"""One hand-built header (or trailer) per recognised container type that Vigil does not open."""

VM_HEADERS: dict[str, bytes] = {
    "vhdx": _at(0, b"vhdxfile"),
    "vhd": _at(0, b"conectix\x00\x00\x00\x02"),
    "vmdk": _at(0, b"KDMV\x01\x00\x00\x00"),
    "qcow": _at(0, b"QFI\xfb\x00\x00\x00\x03"),
}
"""VM disks are recognised here and opened by disk/vdisk.py: a bare header is a damaged disk."""

VMDK_DESCRIPTOR = b'# Disk DescriptorFile\nversion=1\nRW 2048 FLAT "disk-flat.vmdk" 0\n'


def test_every_opaque_type_has_a_header_here_and_no_reader() -> None:
    assert set(HEADERS) == set(OPAQUE)
    # Encrypted volumes and LVM have a reader: opened (with a key), else one note saying why;
    # a DMG is named by its trailer alone, so it stays in the table for the sniffing.
    assert set(OPAQUE) & set(CONTAINER_TYPES) == set(READ_AS_VOLUMES) | TRAILER_ONLY
    assert set(OPAQUE) <= set(TYPES)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header_is_recognised(name: str) -> None:
    data = HEADERS[name]
    found = opaque_trailer(data[-512:]) if name == "dmg" else opaque_type(data)
    assert found == name
    if name != "dmg":
        assert sniff(data).name == name


def test_vmdk_descriptor_is_recognised() -> None:
    assert sniff(VMDK_DESCRIPTOR).name == "vmdk"


@pytest.mark.parametrize("name", sorted(VM_HEADERS))
def test_vm_disk_is_recognised_opened_and_a_bare_header_is_an_error(
    store: Store, tmp_path: Path, name: str
) -> None:
    assert opaque_type(VM_HEADERS[name]) == name and sniff(VM_HEADERS[name]).name == name
    assert name in CONTAINER_TYPES and name not in OPAQUE
    root = tmp_path / "ev"
    root.mkdir()
    (root / f"exhibit.{name}").write_bytes(VM_HEADERS[name])
    run_scan(store, [root], ScanOptions(case="c", workers=1))
    with store.connect() as conn:
        notes = conn.execute(sa.select(item).where(item.c.kind == "marker")).all()
    assert [n.status for n in notes] == ["error"]
    assert notes[0].reason.startswith("not a readable ")
    assert case_summary(store, "c").problems == {"error": 1}


@pytest.mark.parametrize(
    "header", [b"", bytes(SIZE), b"conectiX" + bytes(600), b"koly" + bytes(508)]
)
def test_near_misses_are_not_containers(header: bytes) -> None:
    assert opaque_type(header) is None
    assert opaque_trailer(header[-512:]) is None


def _rows(store: Store) -> dict[str, sa.Row[object]]:
    with store.connect() as conn:
        found = conn.execute(sa.select(item).where(item.c.kind == "file"))
        return {Locator.from_json(r.locator).name: r for r in found}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_scanned_container_is_counted_not_clean(store: Store, tmp_path: Path, name: str) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / f"exhibit.{name}").write_bytes(HEADERS[name])
    with zipfile.ZipFile(root / "inside.zip", "w") as z:  # nested in an archive too
        z.writestr(f"nested.{name}", HEADERS[name])
    run_scan(store, [root], ScanOptions(case="c", workers=1))
    rows = _rows(store)
    expected = OPAQUE[name]
    if name in TRAILER_ONLY:  # opened at the top level (a bare trailer: an error note)
        assert rows[f"exhibit.{name}"].status == "ok"
        assert case_summary(store, "c").problems == {"error": 1, expected.status: 1}
        row = rows[f"nested.{name}"]
        assert (row.file_type, row.status, row.reason) == (name, expected.status, expected.reason)
        return
    for key in (f"exhibit.{name}", f"nested.{name}"):
        row = rows[key]
        assert row.file_type == name
        if name in READ_AS_VOLUMES:  # read as a volume; a note says why it could not be
            assert row.status == "ok"
        else:
            assert (row.status, row.reason) == (expected.status, expected.reason)
        assert row.sha256 is not None  # still hashed: a hash-set hit on the whole file counts
    if name in CRYPT_TYPES:
        with store.connect() as conn:
            notes = conn.execute(sa.select(item.c.reason).where(item.c.status == "encrypted"))
            reasons = sorted(r.reason for r in notes)
        # The crafted LUKS2 header has no metadata: named as unreadable before any key.
        why = (
            "LUKS2 volume: not decrypted" if name == "luks" else f"no key given for exhibit {root}"
        )
        assert len(reasons) == 2 and all(why in r for r in reasons), reasons
    assert case_summary(store, "c").problems == {expected.status: 2}


def test_summary_shows_errors_and_limits_first(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vigil.cli.summary_view import print_summary

    root = tmp_path / "ev"
    root.mkdir()
    (root / "vm.vdi").write_bytes(HEADERS["vdi"])
    run_scan(store, [root], ScanOptions(case="c", workers=1))
    print_summary(case_summary(store, "c"))
    out = capsys.readouterr().out
    assert "Errors and limits" in out and "unsupported" in out
    assert out.index("Errors and limits") < out.index("Found")


def test_report_warns_first_and_lists_the_container(store: Store, tmp_path: Path) -> None:
    from vigil.reports import build_report
    from vigil.reports.html import render_html

    root = tmp_path / "ev"
    root.mkdir()
    (root / "laptop.vdi").write_bytes(HEADERS["vdi"])
    (root / "usb.img").write_bytes(HEADERS["bitlocker"])
    run_scan(store, [root], ScanOptions(case="c", workers=1))
    with store.connect() as conn:
        html = render_html(build_report(conn, "c", "tester"))
    warning = html.index('id="unread-warning"')
    assert warning < html.index('id="counts"')
    assert "2 item(s) were not read whole" in html
    assert html.index('data-status="encrypted"') < html.index('data-status="unsupported"')
    assert OPAQUE["vdi"].reason in html and "BitLocker volume; no key given" in html

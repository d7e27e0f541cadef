"""Encrypted volumes (sources/disk/crypt.py): opened with the exhibit's key, else ``encrypted``."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cases.counting import case_summary
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.disk.crypt import CryptOpenError, unlock
from vigil.sources.keys import KeyRing, keys_scope, parse_key
from vigil.sources.locator import Locator
from vigil.sources.reopen import ReopenError, open_item
from vigil.store.engine import Store
from vigil.store.schema import audit_log, item, scan_run

from . import images
from .conftest import list_image

PASSWORD = "correct horse battery staple 7"


@dataclass
class Crypt:
    files: dict[str, bytes]
    luks: Path  # a whole-file LUKS1 volume holding a FAT file system
    disk: Path  # an MBR disk: a plain FAT partition, then a LUKS1 partition
    keyfile: Path  # a LUKS key file (its content is the passphrase)
    keyfile_luks: Path
    luks2: dict[str, Path]  # by key derivation: pbkdf2, argon2id


@pytest.fixture(scope="module")
def crypt(tmp_path_factory: pytest.TempPathFactory) -> Crypt:
    missing = [t for t in ("cryptsetup", "mkfs.vfat", "mcopy", "sfdisk") if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/system-deps.sh test installs them)")
    folder = tmp_path_factory.mktemp("crypt")
    files = {"/DCIM/a.jpg": images.picture(31), "/b.png": images.picture(32, "PNG")}
    fat = images.fat_image(folder / "fat.img", files, size_mib=8, fat_bits=12)
    luks = images.luks1_image(folder / "secret.luks", fat, PASSWORD)
    plain = images.fat_image(
        folder / "plain.img", {"/p.jpg": images.picture(33)}, size_mib=8, fat_bits=12
    )
    disk = folder / "disk.img"
    images.partitioned(disk, [plain, luks])
    keyfile = folder / "stick.key"
    keyfile.write_text("key-file-secret-42")
    keyfile_luks = images.luks1_image(folder / "k.luks", fat, keyfile.read_text())
    luks2 = {
        kdf: images.luks2_image(folder / f"{kdf}.luks2", fat, PASSWORD, kdf)
        for kdf in ("pbkdf2", "argon2id")
    }
    return Crypt(files, luks, disk, keyfile, keyfile_luks, luks2)


def _ring(*keys: str) -> KeyRing:
    return KeyRing("EX1", tuple(parse_key(k) for k in keys))


def _listed(path: Path, ring: KeyRing) -> dict[str, tuple[str, str, str | None]]:
    with keys_scope(ring):
        return {
            f.locator.display(): (f.status, f.reason, f.sha256)
            for f in list_image(path)
            if f.kind in ("file", "container")
        }


def test_right_key_lists_every_file_with_its_hash(crypt: Crypt) -> None:
    found = _listed(crypt.luks, _ring(f"EX1=passphrase:{PASSWORD}"))
    root = f"os:{crypt.luks} → luks → fat:"
    for name, data in crypt.files.items():
        assert found[root + name] == ("ok", "", images.sha256(data))


def test_key_file_opens_a_luks_volume(crypt: Crypt) -> None:
    found = _listed(crypt.keyfile_luks, _ring(f"EX1=keyfile:{crypt.keyfile}"))
    assert found[f"os:{crypt.keyfile_luks} → luks → fat:/b.png"][2] == images.sha256(
        crypt.files["/b.png"]
    )


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        ((), "LUKS volume; no key given for exhibit EX1 (--key EX1=…)"),
        (("EX1=passphrase:wrong",), "LUKS volume; the key given for exhibit EX1 does not open it"),
        (
            ("EX1=recovery-password:111111-222222",),
            "LUKS volume; no key of a kind that fits given for exhibit EX1 (--key EX1=…)",
        ),
    ],
)
def test_without_the_right_key_the_volume_stays_encrypted(
    crypt: Crypt, keys: tuple[str, ...], reason: str
) -> None:
    found = _listed(crypt.luks, _ring(*keys))
    assert found == {f"os:{crypt.luks} → luks": ("encrypted", reason, None)}


def test_second_key_is_tried_when_the_first_fails(crypt: Crypt) -> None:
    found = _listed(crypt.luks, _ring("EX1=passphrase:wrong", f"EX1=passphrase:{PASSWORD}"))
    assert found[f"os:{crypt.luks} → luks → fat:/b.png"][0] == "ok"


def test_encrypted_partition_in_an_mbr_disk(crypt: Crypt) -> None:
    part2 = f"os:{crypt.disk} → partition:2 → luks"
    found = _listed(crypt.disk, _ring(f"EX1=passphrase:{PASSWORD}"))
    assert found[f"os:{crypt.disk} → partition:1 → fat:/p.jpg"][0] == "ok"
    assert found[f"{part2} → fat:/DCIM/a.jpg"][2] == images.sha256(crypt.files["/DCIM/a.jpg"])
    locked = _listed(crypt.disk, _ring())
    assert locked[part2][:2] == (
        "encrypted",
        "LUKS volume; no key given for exhibit EX1 (--key EX1=…)",
    )
    assert f"os:{crypt.disk} → partition:1 → fat:/p.jpg" in locked  # the scan carries on


@pytest.mark.parametrize("kdf", ["pbkdf2", "argon2id"])
def test_luks2_opened_with_its_passphrase(crypt: Crypt, kdf: str) -> None:
    volume = crypt.luks2[kdf]
    found = _listed(volume, _ring("EX1=passphrase:wrong", f"EX1=passphrase:{PASSWORD}"))
    for name, data in crypt.files.items():
        assert found[f"os:{volume} → luks → fat:{name}"] == ("ok", "", images.sha256(data))
    shut = _listed(volume, _ring("EX1=passphrase:wrong"))
    reason = "LUKS2 volume; the key given for exhibit EX1 does not open it"
    assert shut == {f"os:{volume} → luks": ("encrypted", reason, None)}


def test_luks2_header_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    volume = tmp_path / "v2"
    volume.write_bytes(b"LUKS\xba\xbe\x00\x02" + bytes(8192))
    with volume.open("rb") as stream, pytest.raises(CryptOpenError, match="LUKS2 volume: not"):
        unlock("luks", stream, _ring("EX1=passphrase:x"))


def _scan(store: Store, crypt: Crypt, tmp_path: Path, *keys: str) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    shutil.copy(crypt.disk, evidence / "disk.img")
    options = ScanOptions(case="C", workers=1, keys=[parse_key(k) for k in keys])
    run_scan(store, [evidence], options)


def test_scan_with_key_hides_the_secret_and_leaves_evidence_alone(
    store: Store, crypt: Crypt, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = images.file_sha256(crypt.disk)
    caplog.set_level(logging.DEBUG)
    _scan(store, crypt, tmp_path, f"ev=passphrase:{PASSWORD}")
    with store.connect() as conn:
        rows = conn.execute(sa.select(item.c.display, item.c.sha256, item.c.status)).all()
        audit = [
            json.dumps(dict(r._mapping), default=str) for r in conn.execute(audit_log.select())
        ]
        params = conn.execute(sa.select(scan_run.c.params)).scalar_one()
    by_display = {r.display: r for r in rows}
    inside = [d for d in by_display if "→ luks → fat:/DCIM/a.jpg" in d]
    assert len(inside) == 1
    digest = hashlib.sha256(crypt.files["/DCIM/a.jpg"]).digest()
    assert by_display[inside[0]].sha256 == digest
    everything = "\n".join([*audit, json.dumps(params), caplog.text, str(rows)])
    assert PASSWORD not in everything
    start = next(a for a in audit if "scan.start" in a)
    assert hashlib.sha256(PASSWORD.encode()).hexdigest() in start  # that a key was used
    assert images.file_sha256(tmp_path / "ev" / "disk.img") == before


def test_scan_without_key_counts_the_volume_in_errors_and_limits(
    store: Store, crypt: Crypt, tmp_path: Path
) -> None:
    from vigil.indicators.findings import case_findings

    _scan(store, crypt, tmp_path)
    rules = {f["rule_id"] for f in case_findings(store, "C")}
    assert "enc-luks-volume" in rules  # the volume's own rule names it ...
    assert "enc-archive-protected" not in rules  # ... it is no protected archive
    problems = case_summary(store, "C").problems
    assert problems.get("encrypted") == 1
    with store.connect() as conn:
        reasons = [
            r.reason for r in conn.execute(sa.select(item).where(item.c.status == "encrypted"))
        ]
    exhibit = tmp_path / "ev"  # no reference given: the exhibit is named by its PATH
    assert reasons == [f"LUKS volume; no key given for exhibit {exhibit} (--key {exhibit}=…)"]


def test_reopen_needs_the_key_again(store: Store, crypt: Crypt, tmp_path: Path) -> None:
    _scan(store, crypt, tmp_path, f"ev=passphrase:{PASSWORD}")
    with store.connect() as conn:
        row = next(
            r
            for r in conn.execute(sa.select(item.c.locator, item.c.sha256, item.c.display))
            if r.display.endswith("luks → fat:/b.png")
        )
    locator = Locator.from_json(row.locator)
    with pytest.raises(ReopenError, match="no key given"):
        open_item(locator, row.sha256)
    ring = KeyRing("ev", (parse_key(f"ev=passphrase:{PASSWORD}"),))
    with keys_scope(ring), open_item(locator, row.sha256) as stream:
        assert stream.read() == crypt.files["/b.png"]


def _crafted(kind: str) -> bytes:
    """A volume header with the signature only: recognised, not openable (no real sample here)."""
    data = bytearray(64 * 1024)
    if kind == "bitlocker":
        data[0:11], data[510:512] = b"\xeb\x58\x90-FVE-FS-", b"\x55\xaa"
    else:
        data[88:92] = b"CS\x01\x00"
    return bytes(data)


@pytest.mark.parametrize(
    ("kind", "name"), [("bitlocker", "BitLocker volume"), ("filevault", "FileVault 2 volume")]
)
def test_bitlocker_and_filevault_without_a_key_that_opens_them(
    tmp_path: Path, kind: str, name: str
) -> None:
    volume = tmp_path / "vol.img"
    volume.write_bytes(_crafted(kind))
    locator = f"os:{volume} → {kind}"
    assert _listed(volume, _ring()) == {
        locator: ("encrypted", f"{name}; no key given for exhibit EX1 (--key EX1=…)", None)
    }
    keys = ("EX1=recovery-password:111111-222222-333333-444444-555555-666666-777777-888888",)
    status, reason, _ = _listed(volume, _ring(*keys))[locator]
    assert status == "encrypted"
    assert reason.startswith(f"{name}; the key given for exhibit EX1 does not open it")
    assert "111111" not in reason


def test_cli_scan_report_and_audit_never_show_the_secret(
    db_url: str, crypt: Crypt, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vigil.cli.main import run

    evidence = tmp_path / "ev"
    evidence.mkdir()
    shutil.copy(crypt.disk, evidence / "disk.img")
    scan = ["--db", db_url, "scan", str(evidence), "--case", "K", "--workers", "1"]
    key = f"LAPTOP/1=passphrase:{PASSWORD}"
    assert run([*scan, "--exhibit", "LAPTOP/1", "--key", key, "--json"]) == 0
    page = tmp_path / "r.html"
    assert run(["--db", db_url, "report", "K", "-o", str(page)]) == 0
    assert run(["--db", db_url, "audit", "show", "K", "--json"]) == 0
    out = capsys.readouterr()
    html = page.read_text()
    assert hashlib.sha256(PASSWORD.encode()).hexdigest() in out.out  # the audit: that, and how
    for text in (out.out, out.err, html):
        assert PASSWORD not in text
    assert run([*scan, "--rescan", "--key", "LAPTOP/1=pin:1"]) == 2  # a bad key: one line
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err

"""The rule engine end to end: scan a built exhibit, read the findings back."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import py7zr
import pytest
from sqlalchemy import delete, func, select, update

from vigil.errors import RuleFileError
from vigil.indicators.engine import evaluate_run
from vigil.indicators.findings import case_findings
from vigil.indicators.loader import load_ruleset
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import audit_log, finding, item, scan_run, scan_task

EXPECTED = {
    "conceal-appended-archive": "Pictures/cat.jpg",
    "conceal-renamed-media": "Pictures/notes.txt",
    "enc-archive-protected": "Documents/private.zip",
    "enc-bitlocker-volume": "Documents/usb.img",
    "enc-container-random": "Documents/vault.hc",
    "enc-luks-volume": "Documents/luks.bin",
    "enc-office-protected": "Documents/secret.docx",
    "enc-pdf-protected": "Documents/locked.pdf",
    "msg-telegram-media": "Downloads/Telegram Desktop",
    "p2p-emule-incoming": "eMule/Incoming",
    "p2p-emule-known-met": "eMule/config/known.met",
    "p2p-qbittorrent-fastresume": ".fastresume",
    "p2p-utorrent-resume": "uTorrent/resume.dat",
    "p2p-utorrent-data": "AppData/Roaming/uTorrent",
    "p2p-torrent-file": "uTorrent/pack.torrent",
    "tor-browser-windows": "Tor/tor.exe",
    "dl-chromium-history": "Default/History",
    "dl-firefox-history": "places.sqlite",
    "stego-nsrl-type": "Users/bob/Tools",
}


def _scan(store: Store, exhibit: Any, case: str = "OP-IND") -> int:
    outcome = run_scan(store, [exhibit.root], ScanOptions(case=case, workers=1))
    return outcome.run_id


def _sha256_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _by_rule(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in found:
        out.setdefault(f["rule_id"], []).append(f)
    return out


def test_scan_finds_every_planted_trace_and_nothing_else(nsrl_store: Store, exhibit: Any) -> None:
    before = _sha256_tree(exhibit.root)
    _scan(nsrl_store, exhibit)
    found = _by_rule(case_findings(nsrl_store, "OP-IND"))
    assert set(found) == set(EXPECTED)
    for rule_id, where in EXPECTED.items():
        assert any(where in (f["item"] or "") for f in found[rule_id]), (rule_id, found[rule_id])
    # Evidence is read-only: no byte changed, no -wal/-shm/-journal appeared beside a database.
    assert _sha256_tree(exhibit.root) == before


def test_archive_findings_group_their_encrypted_members(nsrl_store: Store, exhibit: Any) -> None:
    _scan(nsrl_store, exhibit)
    protected = _by_rule(case_findings(nsrl_store, "OP-IND"))["enc-archive-protected"]
    assert {f["item"].rsplit("/", 1)[-1] for f in protected} == {"private.zip", "private.7z"}
    for f in protected:
        assert f["detail"]["items"] >= 1 and f["severity"] == "high"
        assert f["locators"][0].endswith('"type":"os"}]')  # the container first, then members


def test_downloads_are_linked_to_the_scanned_file_at_their_path(
    nsrl_store: Store, exhibit: Any
) -> None:
    _scan(nsrl_store, exhibit)
    found = _by_rule(case_findings(nsrl_store, "OP-IND"))
    chrome = found["dl-chromium-history"][0]["detail"]
    assert chrome["records_total"] == 2 and chrome["linked_records"] == 1
    first, second = chrome["records"]
    assert first["url"] == "https://example.org/holiday.jpg"
    assert first["start_time"] == "2024-03-01T12:00:00+00:00"
    assert first["total_bytes"] == len(exhibit.picture)
    assert [link["by"] for link in first["linked"]] == ["path"]
    assert first["linked"][0]["display"].endswith("Users/bob/Downloads/holiday.jpg")
    assert second["linked"] == []  # gone.zip was not on the exhibit
    firefox = found["dl-firefox-history"][0]
    assert firefox["detail"]["records"][0]["target_path"] == r"C:\Users\bob\Downloads\holiday.jpg"
    assert any(key.endswith('holiday.jpg","type":"os"}]') for key in firefox["locators"])


def test_shared_files_are_linked_by_name_and_size_and_info_hash(
    nsrl_store: Store, exhibit: Any
) -> None:
    _scan(nsrl_store, exhibit)
    found = _by_rule(case_findings(nsrl_store, "OP-IND"))
    emule, renamed = found["p2p-emule-known-met"][0]["detail"]["records"]
    assert emule["name"] == "shared one.jpg" and emule["size"] == len(exhibit.shared)
    assert emule["ed2k"] == hashlib.md5(exhibit.shared).hexdigest()
    assert emule["uploaded"] == 4096
    assert {link["by"] for link in emule["linked"]} == {"name+size"}
    # The same picture saved by Telegram under another name is not claimed: names must agree.
    assert [link["display"].rsplit("/", 2)[-2] for link in emule["linked"]] == ["Incoming"]
    # A file renamed after sharing is found by its ed2k hash among the items of its size.
    assert [(link["by"], link["display"].rsplit("/", 1)[-1]) for link in renamed["linked"]] == [
        ("ed2k", "IMG_0001.jpg")
    ]
    (resume,) = found["p2p-utorrent-resume"][0]["detail"]["records"]
    assert resume["info_hash"] == exhibit.info_hash
    assert [link["by"] for link in resume["linked"]] == ["info_hash"]
    (torrent,) = found["p2p-torrent-file"][0]["detail"]["records"]
    assert torrent["info_hash"] == exhibit.info_hash
    assert {link["by"] for link in torrent["linked"]} == {"name+size"}


def test_nsrl_application_type_feeds_a_rule(nsrl_store: Store, exhibit: Any) -> None:
    _scan(nsrl_store, exhibit)
    (stego,) = _by_rule(case_findings(nsrl_store, "OP-IND"))["stego-nsrl-type"]
    assert stego["detail"]["matches"][0]["nsrl_application_types"] == ["Steganography"]


def test_evaluating_again_rewrites_the_same_findings(nsrl_store: Store, exhibit: Any) -> None:
    run_id = _scan(nsrl_store, exhibit)
    before = case_findings(nsrl_store, "OP-IND")
    with nsrl_store.begin() as conn:
        evaluate_run(conn, run_id, load_ruleset(), "tester")
    after = case_findings(nsrl_store, "OP-IND")
    assert after == before
    with nsrl_store.connect() as conn:
        actions = conn.execute(
            select(func.count()).where(audit_log.c.action == "indicators.evaluate")
        ).scalar_one()
    assert actions == 2


def test_user_rules_add_override_and_disable(store: Store, exhibit: Any, vigil_home: Path) -> None:
    rules = vigil_home / "rules"
    rules.mkdir(parents=True)
    digest = hashlib.sha256(exhibit.picture).hexdigest()
    (rules / "force.yaml").write_text(
        "family: force-list\n"
        "rules:\n"
        "  - id: force-known-picture\n"
        "    description: A picture on the force's own watch list\n"
        "    severity: high\n"
        f"    match: {{hash: [{digest}]}}\n"
        "  - id: tor-browser-windows\n"
        "    enabled: false\n"
        "  - id: conceal-renamed-media\n"
        "    family: concealment\n"
        "    description: Renamed picture (force wording)\n"
        "    severity: low\n"
        "    match: {check: {name: ext_mismatch, families: [image]}}\n",
        encoding="utf-8",
    )
    _scan(store, exhibit)
    found = _by_rule(case_findings(store, "OP-IND"))
    assert "tor-browser-windows" not in found
    assert found["conceal-renamed-media"][0]["severity"] == "low"
    # cat.jpg starts with the same picture but has data appended: another digest.
    hits = found["force-known-picture"]
    assert {f["item"].rsplit("/", 1)[-1] for f in hits} == {"holiday.jpg", "notes.txt"}
    assert hits[0]["detail"]["hash"] == [digest]


def test_a_bad_user_rule_file_stops_the_scan_before_it_starts(
    store: Store, exhibit: Any, vigil_home: Path
) -> None:
    rules = vigil_home / "rules"
    rules.mkdir(parents=True)
    (rules / "bad.yaml").write_text("rules:\n  - id: x\n    severity: urgent\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"bad.yaml: rule 'x' \(#1\): family"):
        _scan(store, exhibit)
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scan_run)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(finding)).scalar_one() == 0


def _comparable(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (f["rule_id"], f["severity"], f["item"], sorted(f["locators"]), repr(f["detail"]))
        for f in found
    )


def test_a_resumed_scan_ends_with_the_findings_of_an_uninterrupted_one(
    store: Store, exhibit: Any
) -> None:
    _scan(store, exhibit, "whole")
    run_id = _scan(store, exhibit, "cut")
    # Make "cut" look killed before its Documents folder and before indicator evaluation.
    with store.begin() as conn:
        lost = conn.execute(
            select(item.c.id, item.c.locator).where(
                item.c.run_id == run_id, item.c.locator.like("%/Documents%")
            )
        ).all()
        assert lost
        conn.execute(delete(finding).where(finding.c.run_id == run_id))
        conn.execute(delete(item).where(item.c.id.in_([r.id for r in lost])))
        conn.execute(
            delete(scan_task).where(
                scan_task.c.run_id == run_id, scan_task.c.task_key.like("%/Documents%")
            )
        )
        conn.execute(update(scan_run).where(scan_run.c.id == run_id).values(status="running"))
    run_scan(store, [], ScanOptions(case="cut", workers=1, resume=True))
    assert _comparable(case_findings(store, "cut")) == _comparable(case_findings(store, "whole"))


def test_an_archive_whose_names_are_encrypted_is_flagged_too(store: Store, tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    with py7zr.SevenZipFile(
        evidence / "names-hidden.7z", "w", password="pw", header_encryption=True
    ) as archive:
        archive.writestr(b"data" * 100, "x.jpg")
    run_scan(store, [evidence], ScanOptions(case="hdr", workers=1))
    (found,) = case_findings(store, "hdr")
    assert found["rule_id"] == "enc-archive-protected"
    assert found["item"].endswith("names-hidden.7z")
    assert "header is encrypted" in found["detail"]["matches"][0]["reason"]


@pytest.mark.skipif(
    not (shutil.which("mkfs.vfat") and shutil.which("mcopy")), reason="dosfstools/mtools missing"
)
def test_inside_a_disk_image_rules_group_by_folder_of_the_file_system(
    store: Store, exhibit: Any, tmp_path: Path
) -> None:
    image = tmp_path / "disk.img"
    with image.open("wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run(["mkfs.vfat", "-F", "32", str(image)], check=True, capture_output=True)
    subprocess.run(
        ["mcopy", "-s", "-i", str(image), str(exhibit.root / "Users"), "::/"],
        check=True,
        capture_output=True,
        env={**os.environ, "MTOOLS_SKIP_CHECK": "1"},
    )
    run_scan(store, [image], ScanOptions(case="img", workers=1))
    found = _by_rule(case_findings(store, "img"))
    assert set(found) == set(EXPECTED) - {"stego-nsrl-type"}  # no NSRL set in this store
    (telegram,) = found["msg-telegram-media"]
    assert telegram["item"].endswith("/Users/bob/Downloads/Telegram Desktop")
    assert telegram["item"].startswith("os:")  # the image, then its file system layer
    (history,) = found["dl-chromium-history"]
    assert history["detail"]["linked_records"] == 1  # linked inside the image too
    protected = {f["item"].rsplit("/", 1)[-1] for f in found["enc-archive-protected"]}
    assert protected == {"private.zip", "private.7z"}

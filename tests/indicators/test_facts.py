"""Per-item facts in the scan worker: which files get which work, and failures stay contained."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import vigil.indicators.facts as facts_module
from vigil.demo import artefacts as A
from vigil.indicators.facts import artefact_kind, item_facts
from vigil.sources.identify import SNIFF_BYTES, by_name, sniff
from vigil.sources.locator import Locator


def _facts(name: str, data: bytes) -> dict[str, object]:
    locator = Locator.for_path(f"/nowhere/{name}")
    return item_facts(locator, sniff(data[:SNIFF_BYTES]), io.BytesIO(data), len(data), None)


def test_artefacts_are_recognised_by_name_and_type() -> None:
    sqlite = by_name("sqlite").name
    assert artefact_kind("History", sqlite) == "chromium_history"
    assert artefact_kind("History", "unknown") is None  # a text file called History
    assert artefact_kind("places.sqlite", sqlite) == "firefox_places"
    assert artefact_kind("KNOWN.MET", "unknown") == "emule_known_met"
    assert artefact_kind("resume.dat", "unknown") == "utorrent_resume"
    assert artefact_kind("abc.fastresume", "unknown") == "qbittorrent_fastresume"
    assert artefact_kind("x.torrent", "unknown") == "torrent"
    assert artefact_kind("photo.jpg", "jpeg") is None


def test_most_files_get_no_facts() -> None:
    assert _facts("a.txt", b"hello") == {}
    assert _facts("small.bin", os.urandom(4096)) == {}  # under 1 MiB: no entropy


def test_a_malformed_artefact_is_an_error_fact_not_a_failure() -> None:
    facts = _facts("known.met", b"\x0e\xff\xff\xff\x00")
    assert "artefact" not in facts
    (error,) = facts["errors"]  # type: ignore[misc]
    assert error.startswith("artefact: known.met truncated")


def test_records_are_capped_and_the_total_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts_module, "MAX_RECORDS", 2)
    data = A.known_met([(f"{i}.jpg", i, bytes(16), 0) for i in range(5)])
    artefact = _facts("known.met", data)["artefact"]
    assert artefact["total"] == 5 and len(artefact["records"]) == 2  # type: ignore[index]
    assert artefact["truncated"] is True  # type: ignore[index]


def test_a_wal_beside_a_database_is_read_from_a_private_copy(tmp_path: Path) -> None:
    evidence = tmp_path / "profile"
    evidence.mkdir()
    live = tmp_path / "live.sqlite"
    when = datetime(2024, 1, 2, tzinfo=UTC)
    A.write_firefox_places(live, [("https://e.org/old.jpg", "file:///h/old.jpg", when, 1)])
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO moz_places (id, url) VALUES (9, 'https://e.org/new.jpg')")
    writer.execute(
        "INSERT INTO moz_annos (place_id, anno_attribute_id, content) VALUES (9, 1, 'file:///h/new.jpg')"
    )
    writer.commit()
    # The seized state: the new download is only in the WAL.
    shutil.copy(live, evidence / "places.sqlite")
    shutil.copy(f"{live}-wal", evidence / "places.sqlite-wal")
    writer.close()
    before = {p.name: p.read_bytes() for p in evidence.iterdir()}
    data = (evidence / "places.sqlite").read_bytes()
    private = tmp_path / "private"
    private.mkdir()
    facts = item_facts(
        Locator.for_path(str(evidence / "places.sqlite")),
        by_name("sqlite"),
        io.BytesIO(data),
        len(data),
        str(private),
    )
    artefact = facts["artefact"]
    assert artefact["wal_bytes"] > 0  # type: ignore[index]
    targets = {r["target_path"] for r in artefact["records"]}  # type: ignore[index]
    assert targets == {"/h/old.jpg", "/h/new.jpg"}
    assert {p.name: p.read_bytes() for p in evidence.iterdir()} == before  # no -shm, no change
    assert list(private.iterdir()) == []

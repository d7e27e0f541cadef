"""Hostile evidence built to hang a parser: every scan finishes and the item says why."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.demo import artefacts as A
from vigil.indicators import facts
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.limits import LimitExceeded
from vigil.store.engine import Store
from vigil.store.schema import item, scan_run

WHEN = datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)
RECURSIVE = (
    "WITH RECURSIVE r(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM r) "
    "SELECT id, 'C:\\x.jpg' AS target_path, 0 AS start_time FROM r"
)


def recursive_view_history(path: Path) -> None:
    """A 4 KB Chromium History whose ``downloads`` is a view that never ends."""
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE VIEW downloads AS {RECURSIVE}")
    conn.close()


def items(store: Store) -> dict[str, Any]:
    """The scanned items by name (one case, one run)."""
    with store.connect() as conn:
        columns = (item.c.name, item.c.status, item.c.reason, item.c.attrs, item.c.sha256)
        rows = conn.execute(sa.select(*columns, item.c.file_type))
        return {str(r.name): r for r in rows}


def test_a_recursive_view_history_is_refused_and_no_temp_file_grows(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "sqlite-temp"
    temp.mkdir()
    monkeypatch.setenv("SQLITE_TMPDIR", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    evidence = tmp_path / "ev"
    (evidence / "Chrome").mkdir(parents=True)
    recursive_view_history(evidence / "Chrome" / "History")
    assert (evidence / "Chrome" / "History").stat().st_size <= 4096
    (evidence / "note.txt").write_text("an ordinary file")
    started = time.monotonic()
    run_scan(store, [evidence], ScanOptions(case="c", workers=1))
    assert time.monotonic() - started < 60
    found = items(store)
    history = found["History"]
    assert history.status == "limit"
    assert history.reason == (
        "artefact not read: 'downloads' is a view, not a table (only real tables are read)"
    )
    assert found["note.txt"].status == "ok"
    assert [p for p in temp.rglob("*") if p.is_file()] == []  # nothing spilled to disk
    with store.connect() as conn:
        assert conn.execute(sa.select(scan_run.c.finished_at)).scalar_one() is not None


def test_the_bomb_inside_a_zip_and_in_worker_processes(store: Store, tmp_path: Path) -> None:
    bomb = tmp_path / "History"
    recursive_view_history(bomb)
    evidence = tmp_path / "ev"
    evidence.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("Default/History", bomb.read_bytes())
    (evidence / "profile.zip").write_bytes(buffer.getvalue())
    run_scan(store, [evidence], ScanOptions(case="c", workers=2))
    history = items(store)["History"]
    assert history.status == "limit" and "is a view, not a table" in history.reason


def test_firefox_places_with_a_recursive_moz_places_view_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    A.write_firefox_places(path, [("https://e.org/a.jpg", "file:///C:/a.jpg", WHEN, 5)])
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE moz_places RENAME TO real_places")
        conn.execute(
            "CREATE VIEW moz_places AS WITH RECURSIVE r(id, url) AS "
            "(SELECT 1, 'u' UNION ALL SELECT id + 1, url FROM r) SELECT * FROM r"
        )
    conn.close()
    with pytest.raises(LimitExceeded, match="'moz_places' is a view"):
        facts.parse_artefact("firefox_places", path.read_bytes(), str(tmp_path))


def test_a_virtual_table_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "History"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE VIRTUAL TABLE downloads USING fts5(target_path)")
    conn.close()
    with pytest.raises(LimitExceeded, match="'downloads' is a virtual, not a table"):
        facts.parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))


def test_a_trigger_bearing_history_is_read_and_its_triggers_never_run(
    store: Store, tmp_path: Path
) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    path = evidence / "History"
    A.write_chromium_history(path, [("https://e.org/a.jpg", r"C:\U\a.jpg", WHEN, 42)])
    with sqlite3.connect(path) as conn:
        # Would flood the table if it ever ran (a read fires none; writes are off).
        conn.execute(
            "CREATE TRIGGER flood AFTER INSERT ON downloads BEGIN "
            f"INSERT INTO downloads (id, target_path) SELECT id + 1000, target_path "
            f"FROM ({RECURSIVE}) LIMIT 1000000; END"
        )
        conn.execute(
            "CREATE TRIGGER on_chain AFTER UPDATE ON downloads_url_chains BEGIN "
            "DELETE FROM downloads; END"
        )
    conn.close()
    run_scan(store, [evidence], ScanOptions(case="c", workers=1))
    history = items(store)["History"]
    assert history.status == "ok", history.reason
    artefact = history.attrs["facts"]["artefact"]
    assert artefact["total"] == 1 and artefact["records"][0]["target_path"] == r"C:\U\a.jpg"
    assert artefact["triggers_not_run"] == ["flood", "on_chain"]


def test_a_scan_that_would_read_too_many_rows_stops_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigil.indicators import sqlite_copy

    monkeypatch.setattr(sqlite_copy, "MAX_ROWS", 2)
    path = tmp_path / "History"
    downloads = [(f"https://e.org/{i}.jpg", rf"C:\U\{i}.jpg", WHEN, i) for i in range(3)]
    A.write_chromium_history(path, downloads)
    with pytest.raises(LimitExceeded, match="a query gave more than 2 rows"):
        facts.parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))


def test_an_item_past_a_tiny_item_timeout_is_a_limit_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    torrent, _ = A.torrent("stuck", [("a.jpg", 5)])
    (evidence / "stuck.torrent").write_bytes(torrent)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("inner/also-stuck.torrent", torrent)
        z.writestr("inner/fine.txt", "fine")
    (evidence / "pack.zip").write_bytes(buffer.getvalue())
    (evidence / "after.txt").write_text("read after the stuck ones")
    monkeypatch.setattr(facts, "parse_torrent", _stuck_parser)
    argv = ["scan", str(evidence), "--case", "C", "--workers", "1", "--item-timeout", "0.3"]
    started = time.monotonic()
    assert run(argv) == ExitCode.OK
    assert time.monotonic() - started < 60
    capsys.readouterr()
    store_items = _cli_items()
    reason = (
        "reading stopped after 0.3 s: the item's time budget (vigil scan --item-timeout) ran out"
    )
    assert (store_items["stuck.torrent"].status, store_items["stuck.torrent"].reason) == (
        "limit",
        reason,
    )
    assert store_items["also-stuck.torrent"].status == "limit"
    assert store_items["also-stuck.torrent"].reason.startswith("reading stopped after 0.3")
    for name in ("fine.txt", "after.txt", "pack.zip"):
        assert store_items[name].status == "ok", name
    digest = hashlib.sha256(torrent).digest()
    for name in ("stuck.torrent", "also-stuck.torrent"):  # hashed: hash sets still match it
        assert bytes(store_items[name].sha256) == digest, name
        assert store_items[name].file_type is not None, name


def test_resume_after_a_timed_out_item_does_not_read_it_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    torrent, _ = A.torrent("stuck", [("a.jpg", 5)])
    (evidence / "stuck.torrent").write_bytes(torrent)
    (evidence / "b.txt").write_text("b")
    calls: list[int] = []

    def counted(data: bytes) -> list[dict[str, Any]]:
        calls.append(1)
        return _stuck_parser(data)

    monkeypatch.setattr(facts, "parse_torrent", counted)

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # killed after every task was committed

    from vigil.scan import pipeline

    with monkeypatch.context() as m:
        m.setattr(pipeline, "evaluate_run", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_scan(store, [evidence], ScanOptions(case="c", workers=1, item_timeout=0.3))
    assert calls == [1]
    outcome = run_scan(store, [], ScanOptions(case="c", workers=1, resume=True))
    assert calls == [1]  # the bomb is not met again
    assert outcome.tasks_done == 0 and outcome.tasks_skipped == 3  # the folder, two files
    stuck = items(store)["stuck.torrent"]
    assert stuck.status == "limit" and "0.3 s" in stuck.reason


def _stuck_parser(data: bytes) -> list[dict[str, Any]]:
    """A parser caught in a loop by its input: pure Python that never checks a deadline."""
    while True:
        time.sleep(0.01)


def _cli_items() -> dict[str, Any]:
    from vigil.store.engine import open_store

    store = open_store(None)
    try:
        return items(store)
    finally:
        store.close()


def test_the_item_budget_holds_for_a_file_inside_a_disk_image(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigil.demo.diskimage import write_fat12

    evidence = tmp_path / "ev"
    evidence.mkdir()
    live = {"KNOWN.MET": b"\x0e" + bytes(4), "NOTES.TXT": b"shopping list\n"}
    write_fat12(evidence / "usb.img", live, {}, [])
    monkeypatch.setattr(facts, "parse_known_met", _stuck_parser)
    run_scan(store, [evidence], ScanOptions(case="c", workers=1, item_timeout=0.3))
    found = {name.lower(): row for name, row in items(store).items()}
    assert found["known.met"].status == "limit"
    assert found["known.met"].reason.startswith("reading stopped after 0.3 s")
    assert found["notes.txt"].status == "ok" and found["usb.img"].status == "ok"

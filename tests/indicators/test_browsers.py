"""Browser download histories, read from private read-only copies."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.demo import artefacts as A
from vigil.indicators import sqlite_copy
from vigil.indicators.browsers import (
    chromium_downloads,
    file_uri_path,
    firefox_downloads,
    prtime,
    webkit_time,
)
from vigil.indicators.facts import parse_artefact
from vigil.indicators.sqlite_copy import private_sqlite
from vigil.sources.limits import Deadline, ItemTimeout, LimitExceeded, deadline_scope

WHEN = datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_chromium_downloads_with_url_chains_and_webkit_times(tmp_path: Path) -> None:
    path = tmp_path / "History"
    A.write_chromium_history(path, [("https://e.org/a.jpg", r"C:\U\a.jpg", WHEN, 42)])
    (record,) = parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))
    assert record["url"] == "https://e.org/a.jpg"
    assert record["url_chain"] == ["https://e.org/a.jpg?redirect", "https://e.org/a.jpg"]
    assert record["target_path"] == r"C:\U\a.jpg"
    assert record["start_time"] == "2023-05-06T07:08:09+00:00"
    assert record["end_time"] == "2023-05-06T07:08:11+00:00"
    assert (record["received_bytes"], record["total_bytes"], record["state"]) == (
        42,
        42,
        "complete",
    )


def test_an_old_chromium_layout_with_url_and_full_path(tmp_path: Path) -> None:
    path = tmp_path / "History"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE downloads (id INTEGER PRIMARY KEY, full_path LONGVARCHAR NOT NULL,"
            " url LONGVARCHAR NOT NULL, start_time INTEGER NOT NULL, received_bytes INTEGER,"
            " total_bytes INTEGER, state INTEGER)"
        )
        conn.execute(
            "INSERT INTO downloads VALUES (1, '/home/u/a.png', 'http://x/a.png', 0, 5, 5, 2)"
        )
    conn.close()
    (record,) = parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))
    assert record["target_path"] == "/home/u/a.png" and record["url"] == "http://x/a.png"
    assert record["start_time"] is None and record["state"] == "cancelled"


def test_a_sqlite_file_called_history_without_downloads_gives_no_records(tmp_path: Path) -> None:
    path = tmp_path / "History"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE other (x)")
    conn.close()
    assert parse_artefact("chromium_history", path.read_bytes(), str(tmp_path)) == []


def test_firefox_download_annotations(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    uri = "file:///C:/Users/bob/Downloads/my%20file.jpg"
    A.write_firefox_places(path, [("https://e.org/f.jpg", uri, WHEN, 77)])
    (record,) = parse_artefact("firefox_places", path.read_bytes(), str(tmp_path))
    assert record["url"] == "https://e.org/f.jpg"
    assert record["target_path"] == r"C:\Users\bob\Downloads\my file.jpg"
    assert record["start_time"] == "2023-05-06T07:08:09+00:00"
    assert record["end_time"] == "2023-05-06T07:08:10.500000+00:00"
    assert (record["total_bytes"], record["state"]) == (77, "complete")


def test_a_wal_mode_database_is_read_from_a_copy_and_the_folder_stays_untouched(
    tmp_path: Path,
) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    path = evidence / "History"
    A.write_chromium_history(path, [("https://e.org/a.jpg", "/a.jpg", WHEN, 1)], wal=True)
    data = path.read_bytes()
    assert data[18:20] == b"\x02\x02"  # the file says WAL mode
    before = sorted(p.name for p in evidence.iterdir())
    private = tmp_path / "private"
    private.mkdir()
    records = parse_artefact("chromium_history", data, str(private))
    assert len(records) == 1
    assert sorted(p.name for p in evidence.iterdir()) == before
    assert list(private.iterdir()) == []  # the private copy is gone too


def test_the_private_copy_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    conn.close()
    with private_sqlite(path.read_bytes(), str(tmp_path)) as conn, pytest.raises(sqlite3.Error):
        conn.execute("INSERT INTO t VALUES (1)")


def test_a_corrupt_database_raises_sqlite_error(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.DatabaseError):
        parse_artefact("chromium_history", b"SQLite format 3\x00" + b"\x01" * 200, str(tmp_path))


def test_time_and_uri_conversions() -> None:
    assert webkit_time(0) is None and webkit_time("x") is None
    assert webkit_time(11644473600 * 1_000_000) == "1970-01-01T00:00:00+00:00"
    assert prtime(0) is None and prtime(1_000_000) == "1970-01-01T00:00:01+00:00"
    assert file_uri_path("file:///home/u/a%23b.jpg") == "/home/u/a#b.jpg"
    assert file_uri_path("https://x/y") == "https://x/y"
    assert chromium_downloads.__doc__ and firefox_downloads.__doc__


def test_the_downloads_database_of_firefox_3_to_25(tmp_path: Path) -> None:
    path = tmp_path / "downloads.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE moz_downloads (id INTEGER PRIMARY KEY, name TEXT, source TEXT,"
            " target TEXT, tempPath TEXT, startTime INTEGER, endTime INTEGER, state INTEGER,"
            " referrer TEXT, entityID TEXT, currBytes INTEGER NOT NULL DEFAULT 0,"
            " maxBytes INTEGER NOT NULL DEFAULT -1, mimeType TEXT, preferredApplication TEXT,"
            " preferredAction INTEGER NOT NULL DEFAULT 0, autoResume INTEGER NOT NULL DEFAULT 0)"
        )
        conn.execute(
            "INSERT INTO moz_downloads (name, source, target, startTime, endTime, state, maxBytes)"
            " VALUES ('a.jpg', 'http://e.org/a.jpg', 'file:///home/u/a.jpg', ?, ?, 1, 9)",
            (int(WHEN.timestamp() * 1e6), int(WHEN.timestamp() * 1e6) + 1_000_000),
        )
    conn.close()
    (record,) = parse_artefact("firefox_downloads", path.read_bytes(), str(tmp_path))
    assert record["url"] == "http://e.org/a.jpg" and record["target_path"] == "/home/u/a.jpg"
    assert record["start_time"] == "2023-05-06T07:08:09+00:00" and record["state"] == "complete"
    assert record["total_bytes"] == 9


ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r"


def _empty_db(tmp_path: Path) -> bytes:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    conn.close()
    return path.read_bytes()


def test_the_private_copy_is_query_only_with_temp_storage_in_memory(tmp_path: Path) -> None:
    with private_sqlite(_empty_db(tmp_path), str(tmp_path)) as conn:
        assert conn.execute("PRAGMA query_only").fetchone() == (1,)
        assert conn.execute("PRAGMA temp_store").fetchone() == (2,)  # MEMORY
        assert conn.execute("PRAGMA trusted_schema").fetchone() == (0,)
        assert conn.execute("PRAGMA cache_size").fetchone() == (-sqlite_copy.SQLITE_CACHE_KIB,)
        heap = conn.execute("PRAGMA hard_heap_limit").fetchone()[0]
        assert 0 < heap <= sqlite_copy.SQLITE_HEAP_BYTES
        with pytest.raises(sqlite3.DataError):  # the longest value is capped
            conn.execute("SELECT zeroblob(?)", (sqlite_copy.SQLITE_MAX_VALUE_BYTES + 1,))


def test_an_endless_statement_stops_at_the_time_budget(tmp_path: Path) -> None:
    started = time.monotonic()
    with (
        pytest.raises(LimitExceeded, match=r"more than 0\.3 s of SQLite work"),
        private_sqlite(_empty_db(tmp_path), str(tmp_path), seconds=0.3) as conn,
    ):
        conn.execute(ENDLESS).fetchall()
    assert time.monotonic() - started < 5


def test_an_endless_statement_stops_at_the_step_budget(tmp_path: Path) -> None:
    with (
        pytest.raises(LimitExceeded, match="more than 100000 SQLite steps"),
        private_sqlite(_empty_db(tmp_path), str(tmp_path), steps=100_000) as conn,
    ):
        conn.execute(ENDLESS).fetchall()


def test_an_endless_statement_stops_when_the_scan_items_deadline_passes(tmp_path: Path) -> None:
    deadline = Deadline(0.2)
    with (
        deadline_scope(deadline),
        pytest.raises(ItemTimeout, match=r"reading stopped after 0\.2 s"),
        private_sqlite(_empty_db(tmp_path), str(tmp_path)) as conn,
    ):
        conn.execute(ENDLESS).fetchall()


def test_a_downloads_view_is_refused_before_any_query_runs(tmp_path: Path) -> None:
    path = tmp_path / "History"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE real_downloads (id INTEGER PRIMARY KEY, target_path TEXT)")
        conn.execute("CREATE VIEW Downloads AS SELECT * FROM real_downloads")
    conn.close()
    with pytest.raises(LimitExceeded, match="'downloads' is a view, not a table"):
        parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))


_UNIX = int(WHEN.timestamp())
_WEBKIT = (_UNIX + 11_644_473_600) * 1_000_000
_OLD_COLUMNS = (
    "id INTEGER PRIMARY KEY, full_path LONGVARCHAR NOT NULL, url LONGVARCHAR NOT NULL,"
    " start_time INTEGER NOT NULL, received_bytes INTEGER, total_bytes INTEGER, state INTEGER"
)
_NEW_COLUMNS = (
    "id INTEGER PRIMARY KEY, current_path LONGVARCHAR, target_path LONGVARCHAR,"
    " start_time INTEGER NOT NULL, received_bytes INTEGER, total_bytes INTEGER, state INTEGER,"
    " end_time INTEGER, opened INTEGER"
)


@pytest.mark.parametrize("version", range(1, 24))
def test_chromium_history_before_version_24_keeps_unix_seconds(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "History"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key LONGVARCHAR PRIMARY KEY, value LONGVARCHAR)")
        conn.execute("INSERT INTO meta VALUES ('version', ?)", (str(version),))
        conn.execute(f"CREATE TABLE downloads ({_OLD_COLUMNS})")
        conn.execute(
            "INSERT INTO downloads VALUES (1, '/home/u/a.png', 'http://x/a.png', ?, 5, 5, 1)",
            (_UNIX,),
        )
    conn.close()
    (record,) = parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))
    assert record["start_time"] == WHEN.isoformat()


@pytest.mark.parametrize("version", range(24, 29))
def test_chromium_history_from_version_24_keeps_webkit_times(tmp_path: Path, version: int) -> None:
    path = tmp_path / "History"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key LONGVARCHAR PRIMARY KEY, value LONGVARCHAR)")
        conn.execute("INSERT INTO meta VALUES ('version', ?)", (str(version),))
        conn.execute(f"CREATE TABLE downloads ({_NEW_COLUMNS})")
        conn.execute(
            "INSERT INTO downloads VALUES (1, '/u/a.png', '/u/a.png', ?, 5, 5, 1, ?, 0)",
            (_WEBKIT, _WEBKIT + 2_000_000),
        )
    conn.close()
    (record,) = parse_artefact("chromium_history", path.read_bytes(), str(tmp_path))
    assert record["start_time"] == WHEN.isoformat()
    assert record["end_time"] == "2023-05-06T07:08:11+00:00"

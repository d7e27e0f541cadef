"""The NSRL RDSv3 reader: full and minimal sets, read-only access, streaming, malformed files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from format_samples import md5_of, sha1_of, sha256_of

from vigil.errors import ImportFormatError
from vigil.hashsets.formats.nsrl import NOT_NSRL, read_nsrl


def test_full_set_reads_the_file_view_with_package_details(nsrl_db: Any) -> None:
    parsed = read_nsrl(nsrl_db("full"))
    entries = {str(entry.name): entry for entry in parsed.entries}

    assert sorted(entries) == ["notepad.exe", "readme", "stego.dll"]  # empty.txt skipped
    stego = entries["stego.dll"]
    assert stego.md5 == bytes.fromhex(md5_of(b"file-3"))
    assert stego.sha1 == bytes.fromhex(sha1_of(b"file-3"))
    assert stego.sha256 == bytes.fromhex(sha256_of(b"file-3"))
    assert stego.size == len(b"file-3")
    assert stego.category is None
    assert stego.extra == {
        "package_id": 20,
        "package_name": "HideIt",
        "package_version": "2.1",
        "application_types": ["Encryption", "Steganography"],  # PKG's two rows, merged
    }
    assert entries["notepad.exe"].extra["application_types"] == ["Operating System"]


def test_full_set_info_has_version_date_and_skipped_count(nsrl_db: Any) -> None:
    parsed = read_nsrl(nsrl_db("full"))
    list(parsed.entries)

    assert parsed.format == "nsrl"
    assert parsed.info["view"] == "FILE"
    assert parsed.info["version"] == "2024.03.1"  # the newest VERSION row
    assert parsed.info["build_set"] == "modern"
    assert parsed.info["date"] == "2024-03-01 00:00:00"
    assert parsed.info["entries"] == "3"
    assert parsed.info["skipped_empty"] == "1"
    assert parsed.info["hash_kinds"] == "md5,sha1,sha256"


def test_minimal_set_reads_distinct_hash(nsrl_db: Any) -> None:
    parsed = read_nsrl(nsrl_db("minimal", version=False))
    entries = list(parsed.entries)

    assert {e.md5 for e in entries} == {
        bytes.fromhex(md5_of(b"file-1")),
        bytes.fromhex(md5_of(b"file-2")),
    }
    assert all(e.name is None and e.size is None and e.extra == {} for e in entries)
    assert parsed.info["view"] == "DISTINCT_HASH"
    assert parsed.info["skipped_empty"] == "1"
    assert "version" not in parsed.info


def test_distinct_hash_may_be_a_table_and_hashes_partly_missing(tmp_path: Path) -> None:
    path = tmp_path / "minimal.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE DISTINCT_HASH (sha256 TEXT, sha1 TEXT, md5 TEXT)")
        conn.execute("INSERT INTO DISTINCT_HASH VALUES (NULL, '', ?)", (md5_of(b"a"),))
    conn.close()

    (entry,) = read_nsrl(path).entries

    assert entry.md5 == bytes.fromhex(md5_of(b"a"))
    assert entry.sha1 is None and entry.sha256 is None


def test_file_view_is_preferred_when_both_views_exist(nsrl_db: Any) -> None:
    path = nsrl_db("full")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5 FROM FILE")
    conn.close()
    assert read_nsrl(path).info["view"] == "FILE"


def test_the_source_is_never_modified(nsrl_db: Any, tmp_path: Path) -> None:
    path = nsrl_db("full", name="RDS 2024 #1.db")  # a space and a '#' must survive the URI
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
    listing = sorted(os.listdir(tmp_path))
    path.chmod(0o444)  # opening read-write, or writing a journal, would now fail

    entries = list(read_nsrl(path).entries)

    assert len(entries) == 3
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before
    assert sorted(os.listdir(tmp_path)) == listing  # no journal or WAL left behind


def test_rows_are_streamed_from_a_cursor(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    rows = 200_000
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE DISTINCT_HASH (sha256 TEXT, sha1 TEXT, md5 TEXT)")
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO DISTINCT_HASH SELECT NULL, NULL, printf('%032X', i) FROM n",
            (rows,),
        )
    conn.close()

    tracemalloc.start()
    try:
        parsed = read_nsrl(path)
        first = [next(parsed.entries) for _ in range(10)]
        _, peak = tracemalloc.get_traced_memory()
        parsed.entries.close()  # type: ignore[attr-defined]
    finally:
        tracemalloc.stop()

    assert first[0].md5 == bytes.fromhex(f"{1:032X}")
    # fetchall() of 200,000 rows would hold tens of MB before the first entry.
    assert peak < 2_000_000, f"peak {peak / 1e6:.1f} MB"


# Malformed input ---------------------------------------------------------------------------


def test_a_0_byte_file_is_not_an_nsrl_set(tmp_path: Path) -> None:
    path = tmp_path / "rds.db"
    path.write_bytes(b"")
    with pytest.raises(ImportFormatError) as caught:
        read_nsrl(path)
    assert caught.value.where == "byte 0"
    assert "0-byte file" in caught.value.reason
    assert path.stat().st_size == 0  # SQLite did not turn it into a database


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "rds.db"
    path.write_text("md5,name\n")
    with pytest.raises(ImportFormatError, match="not an SQLite database"):
        read_nsrl(path)


def test_sqlite_without_nsrl_views(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (md5 TEXT)")
    conn.close()
    with pytest.raises(ImportFormatError) as caught:
        read_nsrl(path)
    assert caught.value.reason == NOT_NSRL
    assert caught.value.where == "schema"


def test_a_file_view_without_the_rdsv3_columns(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE FILE (md5 TEXT, name TEXT)")
    conn.close()
    with pytest.raises(ImportFormatError) as caught:
        read_nsrl(path)
    assert "lacks column(s) sha256, sha1, file_name, file_size, package_id" in caught.value.reason


def test_a_corrupt_database_is_a_format_error(nsrl_db: Any) -> None:
    path = nsrl_db("full")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFormatError, match="unreadable SQLite database"):
        read_nsrl(path)


def test_bad_hex_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE DISTINCT_HASH (sha256 TEXT, sha1 TEXT, md5 TEXT)")
        conn.execute("INSERT INTO DISTINCT_HASH VALUES (NULL, NULL, ?)", (md5_of(b"a"),))
        conn.execute("INSERT INTO DISTINCT_HASH VALUES (NULL, NULL, 'NOT-HEX')")
    conn.close()
    entries = read_nsrl(path).entries
    next(entries)
    with pytest.raises(ImportFormatError) as caught:
        next(entries)
    assert caught.value.where == "DISTINCT_HASH row #2"
    assert "md5 must be 32 hex digits" in caught.value.reason


def test_a_non_text_hash_names_the_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE DISTINCT_HASH (sha256 TEXT, sha1 TEXT, md5 TEXT)")
        conn.execute("INSERT INTO DISTINCT_HASH VALUES (NULL, x'00ff', NULL)")
    conn.close()
    with pytest.raises(ImportFormatError) as caught:
        list(read_nsrl(path).entries)
    assert caught.value.where == "DISTINCT_HASH row #1"
    assert "sha1 must be hex text" in caught.value.reason

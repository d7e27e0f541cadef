"""The hash library: atomic imports, versions, history, remove, export round trip."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.errors import ImportFormatError, NotFoundError, UnknownCategoryError
from vigil.hashsets import library
from vigil.hashsets.formats import read_hashset
from vigil.hashsets.schemes import load_scheme
from vigil.store.engine import Store
from vigil.store.schema import hash_entry


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("md5,sha1,category\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    return path


def entry_count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(hash_entry)).scalar_one())


def test_import_then_same_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "set.csv", [(md5("a"), sha1("a"), "1"), (md5("b"), sha1("b"), "B")])
    first = library.import_file(store, path, "force")
    assert (first.status, first.entry_count, first.format) == ("imported", 2, "csv")
    again = library.import_file(store, path, "force")
    assert again.status == "unchanged"
    assert entry_count(store) == 2
    detail = library.show_set(store, "force")
    assert len(detail.history) == 1
    assert detail.by_category == {"A": 1, "B": 1}
    assert detail.hash_counts == {"md5": 2, "sha1": 2, "sha256": 0, "pdq": 0}


def test_newer_version_replaces_entries_and_keeps_history(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "set.csv", [(md5("a"), sha1("a"), "A")])
    library.import_file(store, path, "force", user="alice")
    write_csv(path, [(md5("b"), sha1("b"), "C"), (md5("c"), sha1("c"), "C")])
    result = library.import_file(store, path, "force", user="bob")
    assert result.status == "replaced"
    assert entry_count(store) == 2
    detail = library.show_set(store, "force")
    assert [(v.entry_count, v.imported_by, v.current) for v in detail.history] == [
        (1, "alice", False),
        (2, "bob", True),
    ]
    assert detail.history[1].source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_malformed_file_imports_nothing_and_keeps_old_version(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "set.csv", [(md5("a"), sha1("a"), "A")])
    library.import_file(store, path, "force")
    bad = tmp_path / "bad.csv"
    rows = [(md5(str(i)), sha1(str(i)), "A") for i in range(50_000)]
    rows.append(("nothex", sha1("x"), "A"))
    write_csv(bad, rows)
    with pytest.raises(ImportFormatError) as info:
        library.import_file(store, bad, "force")
    assert "50002" in info.value.where  # header is line 1
    assert entry_count(store) == 1
    assert len(library.show_set(store, "force").history) == 1


def test_unknown_category_code_imports_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "set.csv", [(md5("a"), sha1("a"), "A"), (md5("b"), sha1("b"), "9")])
    with pytest.raises(UnknownCategoryError, match="9"):
        library.import_file(store, path, "force")
    assert library.list_sets(store) == []
    assert entry_count(store) == 0


def test_known_good_plain_list(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "nsrl.txt"
    path.write_text(f"{md5('x')}\n{sha1('y')}\n")
    library.import_file(store, path, "known", known_good=True)
    [summary] = library.list_sets(store)
    assert summary.known_good and summary.entry_count == 2 and summary.format == "plain"


def test_remove(store: Store, tmp_path: Path) -> None:
    library.import_file(store, write_csv(tmp_path / "s.csv", [(md5("a"), sha1("a"), "A")]), "s")
    assert library.remove_set(store, "s") == 1
    assert library.list_sets(store) == []
    assert entry_count(store) == 0
    with pytest.raises(NotFoundError, match="no hash set named 's'"):
        library.remove_set(store, "s")


def test_vics_export_round_trips(store: Store, tmp_path: Path) -> None:
    csv_path = tmp_path / "s.csv"
    pdq = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"
    csv_path.write_text(
        "md5,sha1,sha256,pdq,pdq_quality,category,name,size\n"
        f"{md5('a')},{sha1('a')},{hashlib.sha256(b'a').hexdigest()},{pdq},93,A,a.jpg,10\n"
        f"{md5('b')},,,,,,b.jpg,\n"
    )
    library.import_file(store, csv_path, "s")
    out = io.BytesIO()
    assert library.export_set(store, "s", "vics", out) == 2
    document = json.loads(out.getvalue().decode("utf-8-sig"))
    assert document["@odata.context"].endswith("/UK/$metadata#Media")
    exported = tmp_path / "s.json"
    exported.write_bytes(out.getvalue())
    library.import_file(store, exported, "s2")
    with store.connect() as conn:
        first = list(library.iter_entries(conn, library.get_set_row(conn, "s").id))
        second = list(library.iter_entries(conn, library.get_set_row(conn, "s2").id))
    assert first == second
    assert first[0].category == "A" and first[1].category is None
    # and once more through the reader alone: export of the re-import is identical
    out2 = io.BytesIO()
    library.export_set(store, "s2", "vics", out2)
    parsed = read_hashset(exported, load_scheme("uk"))
    assert len(list(parsed.entries)) == 2
    assert out2.getvalue() == out.getvalue()


def test_values_no_database_can_store_are_refused_by_record(store: Store, tmp_path: Path) -> None:
    """A size past 2^63 (SQLite and PostgreSQL BIGINT) once ended in a traceback."""
    path = tmp_path / "big.csv"
    path.write_text(f"md5,size\n{'0' * 31}1,10\n{'0' * 31}2,{2**70}\n")
    with pytest.raises(ImportFormatError, match=r"entry #2: size \d+ is not a possible file size"):
        library.import_file(store, path, "big")
    assert library.list_sets(store) == []


def test_nsrl_package_fields_stored_as_blobs_import_as_text(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "nsrl.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size INTEGER,"
        " package_id INTEGER);"
        "CREATE TABLE PKG (package_id INTEGER, name TEXT, version TEXT, application_type TEXT);"
    )
    conn.execute(
        "INSERT INTO FILE VALUES (?, ?, ?, ?, 5, 7)", ("A" * 64, "B" * 40, "C" * 32, "a\x00b.exe")
    )
    conn.execute(
        "INSERT INTO PKG VALUES (7, ?, ?, ?)", (b"Hide\xffIt", b"1.0", b"Operating System")
    )
    conn.commit()
    conn.close()
    library.import_file(store, path, "nsrl", known_good=True)
    with store.connect() as db:
        set_id = library.get_set_row(db, "nsrl").id
        (entry,) = library.iter_entries(db, set_id)
    assert entry.name == "a\\x00b.exe"  # NUL made visible: PostgreSQL text cannot hold it
    assert entry.extra["package_name"] == "Hide\ufffdIt"
    assert entry.extra["application_types"] == ["Operating System"]


def test_a_vpdq_file_imports_as_a_video_set_and_exports_back(store: Store, tmp_path: Path) -> None:
    from vigil.store.schema import hash_entry_frame

    source = Path(__file__).resolve().parents[1] / "data" / "vpdq" / "hashes"
    reference = source / "doorknob-hd-no-bar.txt"
    result = library.import_file(store, reference, "doorknob")
    assert (result.format, result.entry_count) == ("vpdq", 1)
    with store.connect() as conn:
        frames = conn.execute(sa.select(sa.func.count()).select_from(hash_entry_frame)).scalar_one()
    assert frames == 120
    out = io.BytesIO()
    library.export_set(store, "doorknob", "vpdq", out)
    assert out.getvalue().decode().splitlines() == reference.read_text().splitlines()
    graded = library.import_file(store, reference, "doorknob", category="Category C")
    assert graded.status == "replaced"  # the same file, now with a category
    with store.connect() as conn:
        categories = conn.execute(sa.select(hash_entry.c.category)).scalars().all()
    assert categories == ["C"]
    library.remove_set(store, "doorknob")
    with store.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(hash_entry_frame)).scalar_one()
    assert left == 0


def test_a_category_unknown_to_the_scheme_is_a_usage_error(store: Store, tmp_path: Path) -> None:
    from vigil.errors import UsageError

    reference = Path(__file__).resolve().parents[1] / "data" / "vpdq" / "hashes"
    with pytest.raises(UsageError, match="Z"):
        library.import_file(store, reference / "doorknob-hd-no-bar.txt", "d", category="Z")

"""Library and scan actions land in the right audit chain with who, when and what."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.audit import GLOBAL_SCOPE, case_scope, entries, verify
from vigil.errors import ImportFormatError
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import case, scan_run


def _md5_list(path: Path, n: int) -> Path:
    path.write_text("".join(f"{hashlib.md5(bytes([i])).hexdigest()}  f{i}\n" for i in range(n)))
    return path


def test_hash_library_actions_are_in_the_global_chain(store: Store, tmp_path: Path) -> None:
    source = _md5_list(tmp_path / "set.md5", 3)
    library.import_file(store, source, "s", user="custodian")
    library.import_file(store, source, "s", user="custodian")  # unchanged, still asked for
    library.export_set(store, "s", "csv", io.BytesIO(), user="custodian")
    library.remove_set(store, "s", user="custodian")
    with store.connect() as conn:
        chain = list(entries(conn, GLOBAL_SCOPE))
        assert verify(conn, GLOBAL_SCOPE) == []
    assert [(e.action, e.target, e.actor) for e in chain] == [
        ("hashset.import", "s", "custodian"),
        ("hashset.import", "s", "custodian"),
        ("hashset.export", "s", "custodian"),
        ("hashset.remove", "s", "custodian"),
    ]
    first, again, exported, removed = (e.detail or {} for e in chain)
    assert first["status"] == "imported" and again["status"] == "unchanged"
    assert first["entries"] == 3 and first["format"] == "sumfile"
    assert first["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert exported == {"format": "csv", "entries": 3}
    assert removed["entries"] == 3


def test_failed_import_leaves_no_entry(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md5"
    bad.write_text("not a hash at all\n")
    with pytest.raises(ImportFormatError):
        library.import_file(store, bad, "s")
    with store.connect() as conn:
        assert list(entries(conn, GLOBAL_SCOPE)) == []


def test_case_creation_and_scan_start_resume_finish(store: Store, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for i in range(3):
        (evidence / f"f{i}.txt").write_text(f"file {i}\n")
    run_scan(store, [evidence], ScanOptions(case="c", examiner="DC One", workers=1))
    with store.begin() as conn:
        # As if the scan had been killed before it finished.
        conn.execute(sa.update(scan_run).values(status="running", finished_at=None))
    run_scan(store, [], ScanOptions(case="c", examiner="DC Two", workers=1, resume=True))
    with store.connect() as conn:
        case_id = conn.execute(sa.select(case.c.id)).scalar_one()
        chain = list(entries(conn, case_scope(case_id)))
        assert verify(conn, case_scope(case_id)) == []
    core = [(e.action, e.actor) for e in chain if not e.action.startswith("indicators")]
    assert core == [
        ("case.create", "DC One"),
        ("exhibit.create", "DC One"),  # a resume is no re-scan: no exhibit entry of its own
        ("scan.start", "DC One"),
        ("scan.finish", "DC One"),
        ("scan.resume", "DC Two"),
        ("scan.finish", "DC Two"),
    ]
    start = next(e for e in chain if e.action == "scan.start")
    assert start.detail and start.detail["params"]["sources"] == [str(evidence)]
    first, resumed = (e.detail or {} for e in chain if e.action == "scan.finish")
    assert first["tasks_done"] == resumed["tasks_skipped"] == 4  # the folder and its 3 files
    assert first["tasks_skipped"] == resumed["tasks_done"] == 0
    with store.connect() as conn:
        assert list(entries(conn, GLOBAL_SCOPE)) == []  # scans go to the case chain only


def test_export_without_a_user_is_left_to_the_caller(store: Store, tmp_path: Path) -> None:
    library.import_file(store, _md5_list(tmp_path / "set.md5", 2), "s", user="custodian")
    library.export_set(store, "s", "vics", io.BytesIO())  # the web app logs its own entry
    with store.connect() as conn:
        assert [e.action for e in entries(conn, GLOBAL_SCOPE)] == ["hashset.import"]

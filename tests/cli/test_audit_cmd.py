"""``vigil audit show|verify``: tampering with the log through the database is caught and named."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.audit import case_scope
from vigil.audit.log import entry_digest
from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.demo.evidence import build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store, open_store
from vigil.store.schema import audit_log, case

CASE = "OP-AUDIT"


@pytest.fixture
def chain(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Store, str]]:
    """A scanned case with a report (4 or more entries); yields (url, store, scope)."""
    layout = build_demo(tmp_path / "demo")
    store = open_store(db_url)
    try:
        library.import_file(store, layout.vics, "demo-vics")
        run_scan(store, [layout.evidence], ScanOptions(case=CASE, workers=1))
        assert run(["--db", db_url, "report", CASE, "-o", str(tmp_path / "r.html")]) == 0
        with store.connect() as conn:
            case_id = conn.execute(sa.select(case.c.id).where(case.c.name == CASE)).scalar_one()
        yield db_url, store, case_scope(case_id)
    finally:
        store.close()


def _verify(db: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = run(["--db", db, "audit", "verify", CASE, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_show_lists_who_did_what(
    chain: tuple[str, Store, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db = chain[0]
    capsys.readouterr()
    assert run(["--db", db, "audit", "show", CASE, "--json"]) == ExitCode.OK
    entries = json.loads(capsys.readouterr().out)
    actions = [e["action"] for e in entries]
    assert actions[:3] == ["case.create", "exhibit.create", "scan.start"]
    assert actions[-2:] == ["scan.finish", "report"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(e["actor"] == "test-examiner" for e in entries)
    assert entries[1]["target"] == "Exhibit 1"
    assert entries[2]["detail"]["params"]["pdq_threshold"] == 31
    assert entries[2]["detail"]["exhibits"] == ["Exhibit 1"]
    assert run(["--db", db, "audit", "show", CASE]) == ExitCode.OK
    assert "scan.finish" in capsys.readouterr().out
    code, out = _verify(db, capsys)
    assert code == ExitCode.OK and f"intact: {len(entries)} entries" in out


def test_global_chain_holds_library_actions(
    chain: tuple[str, Store, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = chain[0]
    exported = tmp_path / "out.json"
    assert run(["--db", db, "hashset", "export", "demo-vics", "-o", str(exported)]) == 0
    assert run(["--db", db, "hashset", "remove", "demo-vics", "--yes"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "audit", "show", "--global", "--json"]) == ExitCode.OK
    entries = json.loads(capsys.readouterr().out)
    actions = [(e["action"], e["target"]) for e in entries]
    assert actions == [
        ("hashset.import", "demo-vics"),
        ("hashset.export", "demo-vics"),
        ("hashset.remove", "demo-vics"),
    ]
    assert entries[0]["detail"]["entries"] == 6 and entries[0]["detail"]["status"] == "imported"
    assert entries[2]["detail"]["entries"] == 6
    assert run(["--db", db, "audit", "verify", "--global"]) == ExitCode.OK


def test_edited_entry_exits_4_and_is_named(
    chain: tuple[str, Store, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, store, scope = chain
    with store.begin() as conn:
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == scope, audit_log.c.seq == 2)
            .values(actor="someone-else")
        )
    code, out = _verify(db, capsys)
    assert code == ExitCode.TAMPERED == 4
    assert "FAILED" in out and "entry 2: edited" in out
    page = tmp_path / "after.html"
    assert run(["--db", db, "report", CASE, "-o", str(page), "--examiner", "DS Two"]) == 0
    assert "warning: the audit log of case OP-AUDIT failed verification" in capsys.readouterr().err
    html = page.read_text()
    assert "The case audit log failed verification" in html and "DS Two" in html


def test_deleted_entry_exits_4_and_is_named(
    chain: tuple[str, Store, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, store, scope = chain
    with store.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.scope == scope, audit_log.c.seq == 2))
    code, out = _verify(db, capsys)
    assert code == ExitCode.TAMPERED
    assert "entry 3: deleted: entry 2 missing before entry 3" in out


def test_inserted_entry_exits_4_and_is_named(
    chain: tuple[str, Store, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, store, scope = chain
    with store.begin() as conn:
        # Make room after entry 2 (renumber 3… up by one), then forge an entry 3 linked to 2.
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == scope, audit_log.c.seq >= 3)
            .values(seq=audit_log.c.seq + 1000)
        )
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == scope, audit_log.c.seq >= 1003)
            .values(seq=audit_log.c.seq - 999)
        )
        prev = conn.execute(
            sa.select(audit_log.c.entry_hash).where(
                audit_log.c.scope == scope, audit_log.c.seq == 2
            )
        ).scalar_one()
        at = datetime(2026, 1, 1, tzinfo=UTC)
        digest = entry_digest(scope, 3, at, "mallory", "grade", None, None, prev)
        conn.execute(
            audit_log.insert().values(
                scope=scope,
                seq=3,
                at=at,
                actor="mallory",
                action="grade",
                prev_hash=prev,
                entry_hash=digest,
            )
        )
    code, out = _verify(db, capsys)
    assert code == ExitCode.TAMPERED
    # The renumbered original no longer hashes to itself: the forgery is pinned right after it.
    assert "entry 4: edited" in out and "entry 3" not in out


def test_cut_from_the_end_is_caught_against_the_reported_head(
    chain: tuple[str, Store, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, store, scope = chain
    capsys.readouterr()
    assert run(["--db", db, "report", CASE, "-o", str(tmp_path / "again.html")]) == 0
    err = capsys.readouterr().err
    found = re.search(r"this report is audit entry (\d+) ([0-9a-f]{64})", err)
    assert found
    last = int(found[1])
    recorded = f"{last}:{found[2]}"
    code, out = _verify(db, capsys, "--head", recorded)
    assert code == ExitCode.OK
    with store.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.scope == scope, audit_log.c.seq == last))
    code, out = _verify(db, capsys)
    assert code == ExitCode.OK  # a shorter chain is still a valid chain …
    code, out = _verify(db, capsys, "--head", recorded)
    assert code == ExitCode.TAMPERED and "truncated" in out  # … but not the one reported


def test_bad_arguments_are_usage_errors(
    chain: tuple[str, Store, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db = chain[0]
    code, out = _verify(db, capsys, "--head", "xyz")
    assert code == ExitCode.USAGE and "--head must be a 64-digit hex hash" in out
    capsys.readouterr()
    assert run(["--db", db, "audit", "verify"]) == ExitCode.USAGE
    assert run(["--db", db, "audit", "show", CASE, "--global"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("give a CASE or --global") == 2

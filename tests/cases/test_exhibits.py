"""Exhibits: references (given or the next free "Exhibit N"), seizure details, edits (audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vigil.audit import case_scope, entries
from vigil.cases.case import get_case
from vigil.cases.exhibits import (
    ExhibitRequest,
    check_seized_when,
    edit_exhibit,
    get_exhibit,
    list_exhibits,
)
from vigil.errors import NotFoundError, UsageError
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store

CASE = "OP-EXHIBITS"


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    """Three small evidence folders with a file each."""
    out = []
    for name in ("laptop", "phone", "usb"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "notes.txt").write_text(f"{name} notes\n")
        out.append(folder)
    return out


def _scan(store: Store, paths: list[Path], **request: Any) -> int:
    options = ScanOptions(case=CASE, workers=1, exhibits=ExhibitRequest(**request))
    return run_scan(store, paths, options).run_id


def test_default_references_are_the_next_free_exhibit_numbers(
    store: Store, folders: list[Path]
) -> None:
    _scan(store, [folders[0]], references=("JS/1",))
    _scan(store, [folders[1], folders[2]])
    with store.connect() as conn:
        found = list_exhibits(conn, CASE)
    assert [(e.reference, Path(e.path).name) for e in found] == [
        ("JS/1", "laptop"),
        ("Exhibit 1", "phone"),
        ("Exhibit 2", "usb"),
    ]
    assert all(len(e.runs) == 1 and e.counted_run == e.runs[0].run_id for e in found)


def test_one_reference_per_path_in_order(store: Store, folders: list[Path]) -> None:
    _scan(store, folders[:2], references=("AB/1", "AB/2"))
    with store.connect() as conn:
        found = {Path(e.path).name: e.reference for e in list_exhibits(conn, CASE)}
    assert found == {"laptop": "AB/1", "phone": "AB/2"}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"references": ("A/1",)}, "once per PATH"),
        ({"references": ("A/1", "A/1")}, "its own --exhibit"),
        ({"references": ("  ", "A/2")}, "cannot be empty"),
        ({"description": "two things"}, "one PATH"),
        ({"seized_when": "last Tuesday"}, "not an ISO 8601 date"),
    ],
)
def test_unusable_requests_are_refused_before_anything_is_stored(
    store: Store, folders: list[Path], request_: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        _scan(store, folders[:2], **request_)
    with store.connect() as conn, pytest.raises(NotFoundError):
        get_case(conn, CASE)


def test_the_same_folder_twice_in_one_scan_is_refused(store: Store, folders: list[Path]) -> None:
    with pytest.raises(UsageError, match="given twice"):
        _scan(store, [folders[0], folders[0] / ".." / folders[0].name])
    _scan(store, [folders[0]])
    with pytest.raises(UsageError, match="given twice"):
        _scan(store, [folders[0], folders[0]], rescan=True)


def test_seizure_details_are_kept(store: Store, folders: list[Path]) -> None:
    _scan(
        store,
        [folders[0]],
        references=("JS/1",),
        description="Dell laptop, silver",
        seized_at="12 High St, bedroom",
        seized_when="2026-01-03T14:20:00",
    )
    with store.connect() as conn:
        info = get_exhibit(conn, CASE, "JS/1")
    assert (info.description, info.seized_at, info.seized_when, info.kind) == (
        "Dell laptop, silver",
        "12 High St, bedroom",
        "2026-01-03T14:20",
        "folder",
    )


def test_check_seized_when_takes_dates_and_date_times() -> None:
    assert check_seized_when(" 2026-01-03 ") == "2026-01-03"
    assert check_seized_when("2026-01-03 14:20") == "2026-01-03T14:20"
    with pytest.raises(UsageError):
        check_seized_when("03/01/2026")


def test_edit_changes_and_audits_old_and_new(store: Store, folders: list[Path]) -> None:
    _scan(store, [folders[0]], description="laptop")
    with store.begin() as conn:
        info = edit_exhibit(
            conn,
            CASE,
            "Exhibit 1",
            {"reference": "JS/1", "description": "", "seized_at": "Flat 2"},
            "DS Edit",
        )
    assert (info.reference, info.description, info.seized_at) == ("JS/1", None, "Flat 2")
    with store.connect() as conn:
        case_id = int(get_case(conn, CASE).id)
        [entry] = [e for e in entries(conn, case_scope(case_id)) if e.action == "exhibit.edit"]
        assert get_exhibit(conn, CASE, "JS/1").id == info.id
    assert (entry.actor, entry.target) == ("DS Edit", "Exhibit 1")
    assert entry.detail == {
        "before": {"reference": "Exhibit 1", "description": "laptop", "seized_at": None},
        "after": {"reference": "JS/1", "description": None, "seized_at": "Flat 2"},
    }


def test_edit_refuses_a_taken_reference_and_no_change(store: Store, folders: list[Path]) -> None:
    _scan(store, folders[:2], references=("JS/1", "JS/2"))
    with store.begin() as conn:
        with pytest.raises(UsageError, match="already has an exhibit JS/2"):
            edit_exhibit(conn, CASE, "JS/1", {"reference": "JS/2"}, "u")
        with pytest.raises(UsageError, match="nothing to change"):
            edit_exhibit(conn, CASE, "JS/1", {"reference": "JS/1"}, "u")


def test_unknown_reference_lists_the_known_ones(store: Store, folders: list[Path]) -> None:
    _scan(store, [folders[0]], references=("JS/1",))
    with store.connect() as conn, pytest.raises(NotFoundError, match=r"known: JS/1"):
        get_exhibit(conn, CASE, "JS/7")

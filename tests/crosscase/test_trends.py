"""Trends and their k-anonymity: a cell made of fewer than k cases never shows (both databases)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from crosscase_builders import CaseSpec, Media, add_case, md5_of, random_pdq

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.crosscase.figures import note_report
from vigil.crosscase.privacy import effective_k, min_cases, raise_min_cases
from vigil.crosscase.trends import trends
from vigil.errors import UsageError
from vigil.store.engine import Store

JAN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 9, 10, 0, tzinfo=UTC)
LONELY = "op-lonely-feb"
SECRET_MD5 = md5_of(777)


def _trend_store(store: Store) -> list[int]:
    """January: five cases, all with category A; one of them alone has category B and
    alone shows wiping. February: two cases only (one holds a rare MD5)."""
    ids = []
    for n in range(5):
        media = [
            Media(md5_of(100 * n + i), random_pdq(100 * n + i), category="A") for i in range(n + 1)
        ]
        media.append(Media(md5_of(100 * n + 50), random_pdq(100 * n + 50)))  # new material
        indicators = []
        if n == 4:
            media.append(Media(md5_of(999), category="B"))
            indicators = ["wiping"]
        spec = CaseSpec(f"op-jan-{n}", media, when=JAN + timedelta(days=n), seized="2025-12-20")
        spec.indicators.extend(indicators)
        ids.append(add_case(store, spec))
    ids.append(add_case(store, CaseSpec(LONELY, [Media(SECRET_MD5, category="A")], when=FEB)))
    ids.append(add_case(store, CaseSpec("op-feb-2", [Media(md5_of(778), category="A")], when=FEB)))
    return ids


def test_figures_per_month_with_small_cells_suppressed(store: Store) -> None:
    _trend_store(store)
    with store.connect() as conn:
        found = trends(conn, min_cases(conn))
    jan, feb = found.periods
    assert (jan.label, jan.cases.value, jan.suppressed) == ("2026-01", 5, False)
    # Media per case: 2, 3, 4, 5, 7 (case 4 has its B item too).
    assert jan.figures["media median"].value == 4.0
    assert jan.figures["images"].value == 21
    assert jan.categories["A"].value == 15
    assert jan.categories["B"].suppressed and jan.categories["B"].value is None
    assert jan.indicators["wiping"].suppressed
    assert jan.indicators["p2p"].value == 0.0 and not jan.indicators["p2p"].suppressed
    assert jan.storage["live"].value == 1.0
    # One new MD5 per case against 15 + 1 known ones.
    assert jan.figures["new share"].value == round(5 / 21, 4)
    assert feb.label == "2026-02" and feb.suppressed and feb.cases.value is None
    assert feb.figures == {} and feb.categories == {}


def test_quarters_and_a_span(store: Store) -> None:
    _trend_store(store)
    with store.connect() as conn:
        quarter = trends(conn, 5, by="quarter")
        only_feb = trends(conn, 5, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert [(p.label, p.cases.value) for p in quarter.periods] == [("2026-Q1", 7)]
    assert [p.label for p in only_feb.periods] == ["2026-02"]
    with pytest.raises(UsageError, match="--from is after --to"), store.connect() as conn:
        trends(conn, 5, start=date(2026, 3, 1), end=date(2026, 2, 1))


def test_time_from_seizure_to_report(store: Store) -> None:
    ids = _trend_store(store)
    with store.begin() as conn:
        for case_id in ids[:5]:
            note_report(conn, case_id, datetime(2026, 1, 30, tzinfo=UTC))
            note_report(conn, case_id, datetime(2026, 3, 30, tzinfo=UTC))  # the first one counts
        found = trends(conn, 5)
    assert found.periods[0].figures["seizure to report days (median)"].value == 41.0


def test_k_is_raised_only_upward_and_never_lowered_per_request(store: Store) -> None:
    _trend_store(store)
    with store.begin() as conn:
        assert min_cases(conn) == 5
        with pytest.raises(UsageError, match="only be raised"):
            raise_min_cases(conn, 4, "ada")
        raise_min_cases(conn, 6, "ada")
        assert min_cases(conn) == 6
        with pytest.raises(UsageError, match="cannot be lowered"):
            effective_k(conn, 5)
        assert effective_k(conn, 9) == 9
        assert trends(conn, min_cases(conn)).periods[0].suppressed


def _vigil(db: str, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert run(["--db", db, "trends", *args]) == ExitCode.OK
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_every_format_suppresses_and_names_no_case_path_or_hash(
    db_url: str, store: Store, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    _trend_store(store)
    out = _vigil(db_url, capsys, "--format", fmt)
    for secret in (LONELY, "op-jan-4", "/evidence/", SECRET_MD5.hex(), md5_of(999).hex()):
        assert secret not in out
    if fmt == "json":
        data = json.loads(out)
        jan, feb = data["periods"]
        assert jan["categories"]["B"] == {"value": None, "suppressed": True}
        assert jan["categories"]["A"] == {"value": 15, "cases": 5, "suppressed": False}
        assert feb["suppressed"] and feb["cases"] == {"value": None, "suppressed": True}
    elif fmt == "csv":
        rows = {r["period"]: r for r in csv.DictReader(io.StringIO(out))}
        assert rows["2026-01"]["category: B"] == "suppressed (<5 cases)"
        assert rows["2026-01"]["category: A"] == "15"
        assert rows["2026-02"]["cases"] == "suppressed (<5 cases)"
        assert rows["2026-02"]["category: A"] == "suppressed (<5 cases)"
    else:
        assert "suppressed (<5 cases)" in out and "category: B" in out


def test_the_cli_refuses_a_lower_k(
    db_url: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    _trend_store(store)
    assert run(["--db", db_url, "trends", "--min-cases", "2"]) == ExitCode.USAGE
    assert "cannot be lowered" in capsys.readouterr().err
    assert (
        json.loads(_vigil(db_url, capsys, "--min-cases", "8", "--format", "json"))["min_cases"] == 8
    )

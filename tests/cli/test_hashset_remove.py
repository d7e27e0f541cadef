"""``vigil hashset remove`` asks first: --yes without a terminal, a question with one."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.demo.evidence import build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store


class Terminal(io.StringIO):
    """Typed answers on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _names(store: Store) -> list[str]:
    return [s.name for s in library.list_sets(store)]


@pytest.fixture
def small_set(store: Store, tmp_path: Path) -> str:
    listing = tmp_path / "three.txt"
    listing.write_text("".join(hashlib.md5(bytes([i])).hexdigest() + "\n" for i in range(3)))
    library.import_file(store, listing, "three")
    return "three"


def test_without_terminal_and_yes_nothing_is_removed(
    store: Store, db_url: str, small_set: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not sys.stdin.isatty()
    assert run(["--db", db_url, "hashset", "remove", small_set]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--yes" in err and "nothing changed" in err and "three" in err
    assert _names(store) == ["three"]


def test_with_yes_the_set_goes(
    store: Store, db_url: str, small_set: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", db_url, "hashset", "remove", small_set, "--yes"]) == ExitCode.OK
    assert "Removed three: 3 entries" in capsys.readouterr().out
    assert _names(store) == []


def test_at_a_terminal_the_question_names_what_is_lost(
    store: Store,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout = build_demo(tmp_path / "demo")
    library.import_file(store, layout.vics, "demo-vics")
    run_scan(store, [layout.evidence], ScanOptions(case="OP-ASK", workers=1))
    entries = library.list_sets(store)[0].entry_count

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert run(["--db", db_url, "hashset", "remove", "demo-vics"]) == ExitCode.FAILURE
    err = capsys.readouterr().err
    assert f"{entries:,} graded entries and 1 imported version" in err
    assert "matched in case OP-ASK (" in err
    assert "nothing changed" in err
    assert _names(store) == ["demo-vics"]

    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert run(["--db", db_url, "hashset", "remove", "demo-vics"]) == ExitCode.OK
    assert _names(store) == []

"""``vigil case links``: a table or JSON of linked cases and the case's new material."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "crosscase"))  # the store builders

from crosscase_builders import T0, CaseSpec, Media, add_case, md5_of

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.store.engine import Store


def _two_linked(store: Store) -> None:
    add_case(store, CaseSpec("op-first", [Media(md5_of(1)), Media(md5_of(2), category="A")]))
    later = T0 + timedelta(days=1)
    add_case(store, CaseSpec("op-second", [Media(md5_of(1)), Media(md5_of(3))], when=later))


def test_links_json(db_url: str, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    _two_linked(store)
    capsys.readouterr()
    assert run(["--db", db_url, "case", "links", "op-second", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["links"] == [
        {
            "case": "op-first",
            "owners": ["DC Owner"],
            "strength": "strong",
            "exact": {"known": 0, "new": 1},
            "near": {"known": 0, "new": 0},
            "shared": 1,
        }
    ]
    assert data["new_material"]["md5"] == [md5_of(3).hex()]
    assert data["new_material"]["label"].startswith("new material")


def test_links_table_and_unknown_case(
    db_url: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_linked(store)
    capsys.readouterr()
    assert run(["--db", db_url, "case", "links", "op-first"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "op-second" in out and "strong" in out and "possible unidentified victim: 1" in out
    assert run(["--db", db_url, "case", "links", "op-nope"]) != ExitCode.OK
    err = capsys.readouterr().err
    assert "no case named 'op-nope'" in err and "Traceback" not in err

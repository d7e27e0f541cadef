"""``vigil rules list|check`` and the findings in ``vigil case show``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run


def test_rules_list_as_json_and_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rules", "list", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    ids = {r["id"] for r in data["rules"]}
    assert {"p2p-emule-known-met", "enc-container-random", "tor-browser-windows"} <= ids
    assert "encrypted_container" in data["checks"]
    assert run(["rules", "list", "--family", "tor"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "tor-browser-windows" in out and "p2p-" not in out


def test_rules_check_ok_and_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("family: f\nrules:\n  - id: a\n    description: d\n    match: {name: [x]}\n")
    assert run(["rules", "check", str(good)]) == ExitCode.OK
    assert "good.yaml: ok, 1 rule(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "family: f\nrules:\n  - id: a\n    description: d\n    severity: urgent\n"
        "    match: {name: [x]}\n  - id: b\n    match: {nme: [x]}\n"
    )
    assert run(["rules", "check", str(good), str(bad)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{bad}: rule 'a' (#1): severity: 'urgent' is not one of" in err
    assert f"{bad}: rule 'b' (#2): match.nme: unknown" in err
    assert "Traceback" not in err


def test_a_bad_user_rule_file_is_one_line_at_scan_time(
    tmp_path: Path, vigil_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (vigil_home / "rules").mkdir(parents=True)
    (vigil_home / "rules" / "x.yaml").write_text("rules: 5\n")
    (tmp_path / "ev").mkdir()
    assert run(["scan", str(tmp_path / "ev"), "--case", "C", "--workers", "1"]) == ExitCode.FAILURE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vigil: error: ") and "x.yaml: file: rules" in err[0]


def test_case_show_prints_findings_in_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "ev"
    (evidence / "Documents").mkdir(parents=True)
    (evidence / "Documents" / "vault.hc").write_bytes(os.urandom(1 << 20))
    assert run(["scan", str(evidence), "--case", "C", "--workers", "1"]) == ExitCode.OK
    assert "Indicator findings (1)" in capsys.readouterr().out  # right after the scan too
    assert run(["case", "show", "C"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "Indicator findings (1)" in out and "enc-container-random" in out
    assert run(["case", "show", "C", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    (finding,) = data["findings"]
    assert finding["rule_id"] == "enc-container-random" and finding["severity"] == "high"
    assert finding["detail"]["entropy_bits_per_byte"] >= 7.99
    assert finding["item"].endswith("Documents/vault.hc")
    assert data["case"] == "C"  # the summary's own keys are still there

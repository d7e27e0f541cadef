"""The CLI: help everywhere, one-line errors, documented exit codes, JSON output."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from vigil.cli import main as cli_main
from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import cli, run


def all_commands() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        paths.append([name])
        for sub in getattr(command, "commands", {}):
            paths.append([name, sub])
    return paths


@pytest.mark.parametrize("argv", all_commands(), ids=lambda a: " ".join(a) or "vigil")
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*argv, "--help"]) == ExitCode.OK
    assert "Usage:" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == ExitCode.OK
    assert "vigil, version" in capsys.readouterr().out


def test_unknown_option_is_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["hashset", "list", "--bogus"]) == ExitCode.USAGE
    assert "No such option" in capsys.readouterr().err


def test_missing_set_is_one_line_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["hashset", "show", "nope"]) == ExitCode.FAILURE
    err = capsys.readouterr().err
    assert err.strip() == "vigil: error: no hash set named 'nope' (known: none imported yet)"


def test_malformed_import_is_usage_with_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(hashlib.md5(b"a").hexdigest() + "\nzz\n")
    assert run(["hashset", "import", str(bad), "--name", "x"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "line 2" in err and "nothing was imported" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_skip_bad_lines_names_each_skipped_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = hashlib.md5(b"a").hexdigest()
    path = tmp_path / "sums.md5"
    path.write_text(f"{digest}  a.jpg\nTotal: 1 file\n{hashlib.md5(b'b').hexdigest()}  b.jpg\n")
    assert run(["hashset", "import", str(path), "--name", "x"]) == ExitCode.USAGE
    assert "line 2" in capsys.readouterr().err
    assert run(["hashset", "import", str(path), "--name", "x", "--skip-bad-lines"]) == ExitCode.OK
    captured = capsys.readouterr()
    assert "Skipped line 2:" in captured.err and "Total: 1 file" in captured.err
    assert "2 entries from sumfile" in captured.out
    bare = tmp_path / "bare.txt"
    bare.write_text(f"not a hash\n{digest}\n")
    assert run(["hashset", "import", str(bare), "--name", "y", "--skip-bad-lines"]) == ExitCode.OK
    assert "Skipped line 1:" in capsys.readouterr().err


def test_import_list_show_lookup_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = hashlib.md5(b"a").hexdigest()
    path = tmp_path / "s.csv"
    path.write_text(f"md5,category\n{digest},B\n")
    assert run(["hashset", "import", str(path), "--name", "s", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["entry_count"] == 1
    assert run(["hashset", "list", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)[0]["name"] == "s"
    assert run(["hashset", "show", "s", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["by_category"] == {"B": 1}
    assert run(["lookup", digest, "--json"]) == ExitCode.FINDINGS
    hits = json.loads(capsys.readouterr().out)[0]["hits"]
    assert hits[0]["category_label"] == "Category B"
    assert run(["lookup", "0" * 32]) == ExitCode.OK
    assert "not in any set" in capsys.readouterr().out


def test_export_to_file_is_all_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.txt"
    path.write_text(hashlib.md5(b"a").hexdigest() + "\n")
    run(["hashset", "import", str(path), "--name", "s"])
    out = tmp_path / "out.csv"
    assert run(["hashset", "export", "s", "--format", "csv", "-o", str(out)]) == ExitCode.OK
    assert hashlib.md5(b"a").hexdigest() in out.read_text()
    assert not (tmp_path / "out.csv.partial").exists()
    missing = tmp_path / "no-such-dir" / "x.csv"
    assert run(["hashset", "export", "s", "-o", str(missing)]) == ExitCode.FAILURE
    assert "Traceback" not in capsys.readouterr().err


def test_ctrl_c_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main.cli, "main", interrupted)
    assert run(["hashset", "list"]) == ExitCode.INTERRUPTED
    assert capsys.readouterr().err.strip() == "vigil: interrupted"


def test_console_script_exit_status(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vigil", "hashset", "show", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == ExitCode.FAILURE
    assert "Traceback" not in done.stderr

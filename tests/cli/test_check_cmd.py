"""``vigil check`` on the command line: exit codes, inert output, the report file."""

from __future__ import annotations

import hashlib
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

import pytest

from vigil.check import run as check_run
from vigil.cli.main import run
from vigil.demo.imagegen import encode, make_picture

HOSTILE_DIR = "evil\x1b[2J\x1b[31m[bold red]boom\u202egpj"


@pytest.fixture(autouse=True)
def thread_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker threads instead of processes: the same code, seconds faster to start."""

    def pool(workers: int) -> Executor:
        return ThreadPoolExecutor(max_workers=workers)

    monkeypatch.setattr(check_run, "_process_pool", pool)


def evidence(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "drive"
    (root / "DCIM").mkdir(parents=True)
    picture = encode(make_picture(5, (48, 48)))
    (root / "DCIM/a.jpg").write_bytes(picture)
    (root / HOSTILE_DIR).mkdir()
    (root / HOSTILE_DIR / "x.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    listed = tmp_path / "set.csv"
    listed.write_text(f"md5,category\n{hashlib.md5(picture).hexdigest()},A\n")
    return root, listed


def test_check_reports_known_material_inertly_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, listed = evidence(tmp_path)
    assert run(["hashset", "import", str(listed), "--name", "force"]) == 0
    capsys.readouterr()
    report = tmp_path / "out/check.html"
    report.parent.mkdir()
    argv = ["check", str(root), "--case", "v1", "--minutes", "2", "--workers", "1"]
    code = run([*argv, "--officer", "PC Cole", "--report", str(report)])
    out, _err = capsys.readouterr()
    assert code == 3
    assert "Known indecent material found — stop and refer" in out
    assert "1 of 2 files checked" not in out and "2 of 2 files checked (total counted)" in out
    assert "\x1b" not in out and "\u202e" not in out  # the hostile folder's name is inert
    assert "\\x1b[2J" in out and "[bold red]boom" in out  # shown literally, not as markup
    html = report.read_text()
    assert "stop and refer" in html and "\x1b" not in html
    assert "vigil scan --resume --case v1" in out


def test_check_refuses_a_report_inside_the_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = evidence(tmp_path)
    code = run(["check", str(root), "--case", "v2", "--report", str(root / "r.html")])
    assert code == 2
    assert "inside the evidence" in capsys.readouterr().err


def test_nothing_found_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    (root / "notes.txt").write_text("hello")
    assert run(["check", str(root), "--case", "v3", "--workers", "1", "--json"]) == 0
    assert '"verdict": "nothing"' in capsys.readouterr().out

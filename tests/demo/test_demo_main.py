"""`make demo` runs `python -m vigil.demo`: it must finish and show the expected counts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    env = dict(os.environ, VIGIL_DEMO_DIR=str(tmp_path / "demo"), COLUMNS="120")
    done = subprocess.run(
        [sys.executable, "-m", "vigil.demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout

    def count(label: str) -> int:
        match = re.search(rf"{re.escape(label)}\s*│\s*([\d,]+)", out)
        assert match, f"{label!r} not in the summary"
        return int(match[1].replace(",", ""))

    assert count("Exact hits") == 6
    assert count("Perceptual hits (PDQ only)") == 3
    assert count("Known (known-good sets)") == 4
    assert count("Unknown images to grade") == 8
    assert "encrypted" in out and "Category A" in out
    assert (tmp_path / "demo" / "home" / "vigil.db").exists()
    reports = tmp_path / "demo" / "reports"
    report = json.loads((reports / "demo-report.json").read_text())
    assert report["summary"]["unknown_images"] == 8
    assert "<svg" in (reports / "demo-report.html").read_text()
    assert str(reports / "demo-report.html") in out
    if shutil.which("chromium"):  # make test installs it; elsewhere the demo must say so
        assert (reports / "demo-report.pdf").read_bytes().startswith(b"%PDF-")
    else:
        assert not (reports / "demo-report.pdf").exists()
        assert "no PDF: install chromium" in out
    assert "Audit log of case demo intact" in out
    disk = json.loads((reports / "demo-disk-report.json").read_text())
    locations = {w for d in disk["summary"]["categories"].values() for w in d["by_location"]}
    assert locations == {"live", "deleted", "carved"}
    assert disk["exhibits"][0]["info"]["volumes"]  # what the disk image says of itself
    traces = json.loads((reports / "demo-traces-report.json").read_text())
    families = {finding["family"] for finding in traces["findings"]}
    assert {"tor", "p2p", "download", "encryption", "steganography", "concealment"} <= families

"""The one-page report: self-contained, inert whatever the evidence is called, printable."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.check.outcome import CheckResult
from vigil.check.report import render_check_html, write_check_report

HOSTILE = '<script>alert(1)</script>\x1b[31m\u202e"><img src=x onerror=alert(1)>'


def result(verdict: str = "indicators") -> CheckResult:
    return CheckResult(
        case="visit <b>1</b>",
        run_id=1,
        officer="PC O'Brien <i>",
        paths=[f"/mnt/{HOSTILE}"],
        minutes=15,
        started_at=datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
        elapsed_s=893.0,
        stopped_by_time=True,
        verdict=verdict,
        known_items=0,
        indicator_families=["Tor Browser (anonymous web browsing)"],
        files_checked=1200,
        files_total=50_000,
        total_counted=False,
        files_not_checked=48_800,
        folders_not_reached=[f"/mnt/{HOSTILE}/deep"],
        problems=[("encrypted", f"os:/mnt/{HOSTILE}.zip", f"password {HOSTILE}")],
        problem_count=3,
        encrypted_count=1,
    )


def test_the_report_is_inert_and_self_contained() -> None:
    html = render_check_html(result())
    assert "<script" not in html and "<img" not in html and "\x1b" not in html
    assert "onerror=alert(1)>" not in html
    assert "&lt;script&gt;" in html
    assert not re.search(r"""<[^>]*\b(src|href)\s*=""", html)  # loads nothing: no picture, no link
    assert "default-src 'none'" in html


def test_the_report_says_what_was_and_was_not_checked() -> None:
    html = render_check_html(result())
    assert "Indicators found" in html and "Tor Browser (anonymous web browsing)" in html
    assert "1,200 of about 50,000 files checked (total estimated)" in html
    assert "48,800 file(s) (estimated) were not checked" in html
    assert "Encrypted or unreadable parts" in html and "1 of them encrypted" in html
    assert "vigil scan --resume --case" in html


def test_known_material_is_said_without_any_detail() -> None:
    html = render_check_html(result("known"))
    assert "stop and refer to the digital forensics unit" in html
    assert "Category" not in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="PDF needs Chromium")
def test_the_report_prints_to_pdf(tmp_path: Path) -> None:
    target = tmp_path / "check.pdf"
    write_check_report(result(), target)
    assert target.read_bytes().startswith(b"%PDF")

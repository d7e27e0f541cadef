"""The PDF report: printed by headless Chromium from the same HTML; its text carries the counts."""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from vigil.errors import ReportError
from vigil.reports import Report
from vigil.reports.html import render_html
from vigil.reports.pdf import write_pdf


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_pdf_text_has_the_counts(rendered: tuple[Report, Any], tmp_path: Path) -> None:
    report = rendered[0]
    target = tmp_path / "report.pdf"
    write_pdf(render_html(report), target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) >= 3
    text = "\n".join(page.extract_text() for page in pdf.pages)
    # NFKC undoes the "ﬁ" ligatures of the PDF's text; narrow columns wrap hashes and ids.
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
    solid = flat.replace(" ", "")
    assert "Case report: OP-DEMO" in flat
    assert "Category A 1 2 0 0 0 0 1 1 0 0 2 0 0" in flat  # unique, total … exact, PDQ, graded
    assert "Total 7 9 0 0 0 0 7 2 0 0 6 3 0" in flat
    assert "test.fixture-rule" in solid
    assert f"Indicator findings ({len(report.findings)})" in flat
    assert report.audit.head in solid
    assert "This report contains no image content" in flat
    first = unicodedata.normalize("NFKC", pdf.pages[0].extract_text())
    assert "OFFICIAL-SENSITIVE" in first and f"Page 1 of {len(pdf.pages)}" in first
    assert "Vigil case report OP-DEMO" in first


def test_missing_chromium_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to find there
    with pytest.raises(ReportError, match=r"^PDF needs Chromium, which is not installed"):
        write_pdf("<html></html>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_failing_chromium_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReportError, match=r"exit 3\): cannot open display"):
        write_pdf("<html></html>", tmp_path / "x.pdf")


def test_a_hanging_chromium_times_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(ReportError, match="within 1 s"):
        write_pdf("<html></html>", tmp_path / "x.pdf", timeout_s=1)

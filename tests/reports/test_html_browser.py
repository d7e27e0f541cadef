"""The HTML report opened in Debian's headless Chromium through Playwright (never a downloaded
browser): the numbers on the page, and a screenshot."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from vigil.reports import Report
from vigil.reports.html import render_html

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (scripts/system-deps.sh test installs it)"
)


def _cell(page: Any, table: str, category: str, column: str) -> str:
    selector = f'table#{table} tr[data-category="{category}"] td[data-col="{column}"]'
    return str(page.locator(selector).inner_text()).strip()


def test_counts_on_the_page_and_a_screenshot(rendered: tuple[Report, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report = rendered[0]
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(report), encoding="utf-8")
    shot = tmp_path / "report.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            assert page.title() == "Case report OP-DEMO (Vigil)"
            assert _cell(page, "sfr-case", "Category A", "images_total") == "2"
            assert _cell(page, "sfr-case", "Category A", "images_unique") == "1"
            assert _cell(page, "sfr-case", "Category B", "images_total") == "3"
            assert _cell(page, "sfr-case", "Category B", "archive") == "1"
            assert _cell(page, "sfr-case", "Category C", "perceptual") == "2"
            assert _cell(page, "sfr-case", "total", "images_total") == "9"
            assert _cell(page, "sfr-case", "total", "exact") == "6"
            assert _cell(page, "sfr-case", "total", "perceptual") == "3"
            exhibit = f"sfr-exhibit-{report.exhibits[0].id}"
            assert _cell(page, exhibit, "total", "images_total") == "9"
            unknown = page.locator('tr[data-measure="unknown_images"] td').inner_text()
            assert unknown.strip() == "8"
            assert page.locator("#hits-table tbody tr").count() == 9
            assert page.locator("#unknown-table tbody tr").count() == 8
            assert page.locator('#findings-table tr[data-rule="test.fixture-rule"]').count() == 1
            assert page.locator("svg.chart").count() == 2
            assert page.locator("img").count() == 0
            page.screenshot(path=str(shot), full_page=True)
            # Only the file itself was loaded: nothing fetched from anywhere else.
            assert requests == [page_file.as_uri()]
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width == 1280 and height > 2000  # the whole page, not an empty viewport
    assert len(data) > 50_000


def test_the_report_reflows_at_320_px(rendered: tuple[Report, Any], tmp_path: Path) -> None:
    """WCAG 1.4.10: on a phone or at 400 % zoom the report does not scroll sideways."""
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(rendered[0]), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 320, "height": 640})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(tmp_path / "report-320.png"), full_page=True)
            width = int(page.evaluate("document.documentElement.scrollWidth"))
            assert width <= 320, (width, tmp_path)
        finally:
            browser.close()

"""Reflow in Debian's headless Chromium (WCAG 1.4.10): at 320 CSS px wide, what a phone or
1280 px at 400 % zoom shows, no page scrolls sideways. A screenshot of each page is kept
under the test's tmp folder as an artefact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from web_helpers import PASSWORD, make_site, vigil_serve

from vigil.store.engine import open_store

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (scripts/system-deps.sh test installs it)"
)

WIDTH = 320


def test_no_page_scrolls_sideways_at_320_px(tmp_path: Path, vigil_home: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'reflow.db'}"
    store = open_store(url)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        site = make_site(store, tmp_path)
        case = site.case_id
        pages = {
            "cases": "/cases",
            "case": f"/cases/{case}",
            "audit": f"/cases/{case}/audit",
            "admin": "/admin",
            "disable": "/admin/users/val/disable",
            "unassign": "/admin/unassign?name=eve&case=op-demo",
            "remove-set": "/admin/hashsets/demo-vics/remove",
            "me": "/me",
            "not-found": "/cases/abc",
        }
        with vigil_serve(url, vigil_home) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": WIDTH, "height": 640})
                page.goto(f"{base}/login")
                page.fill("input[name=name]", "ada")
                page.fill("input[name=password]", PASSWORD)
                page.click("form.login button[type=submit]")
                page.wait_for_url(f"{base}/cases")
                wide: dict[str, int] = {}
                for name, path in pages.items():
                    page.goto(f"{base}{path}")
                    page.screenshot(path=str(shots / f"{name}-{WIDTH}.png"), full_page=True)
                    width = int(page.evaluate("document.documentElement.scrollWidth"))
                    if width > WIDTH:
                        wide[name] = width
                assert wide == {}, (wide, shots)
            finally:
                browser.close()
    finally:
        store.close()

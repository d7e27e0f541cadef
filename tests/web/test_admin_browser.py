"""Removing a hash set in Debian's headless Chromium: the admin page's Remove leads to a
page naming what goes; Cancel keeps the set, confirming removes it (served by `vigil serve`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from web_helpers import PASSWORD, make_site, vigil_serve

from vigil.hashsets import library
from vigil.store.engine import open_store

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (scripts/system-deps.sh test installs it)"
)


def test_remove_set_asks_then_removes(tmp_path: Path, vigil_home: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = f"sqlite:///{tmp_path / 'admin.db'}"
    store = open_store(url)
    try:
        make_site(store, tmp_path)
        entries = library.show_set(store, "demo-vics").summary.entry_count
        with vigil_serve(url, vigil_home) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(f"{base}/login")
                page.fill("input[name=name]", "ada")
                page.fill("input[name=password]", PASSWORD)
                page.click("form.login button[type=submit]")
                page.wait_for_url(f"{base}/cases")

                page.goto(f"{base}/admin")
                row = page.locator("#hashsets tr", has_text="demo-vics")
                row.get_by_role("link", name="Remove…").click()
                page.wait_for_url(f"{base}/admin/hashsets/demo-vics/remove")
                expect(page.locator("h1")).to_have_text("Remove hash set demo-vics?")
                loses = page.locator("#loses")
                expect(loses).to_contain_text(f"{entries:,} graded entries")
                expect(loses).to_contain_text("case op-demo (")
                # Cancel: back to the admin page, the set still there.
                page.click("#confirm-cancel")
                page.wait_for_url(f"{base}/admin")
                expect(page.locator("#hashsets")).to_contain_text("demo-vics")
                assert "demo-vics" in [s.name for s in library.list_sets(store)]

                page.locator("#hashsets tr", has_text="demo-vics").get_by_role(
                    "link", name="Remove…"
                ).click()
                page.click("#confirm-remove")
                expect(page.locator("p.ok")).to_contain_text("removed demo-vics")
                expect(page.locator("#hashsets")).not_to_contain_text("demo-vics")
                assert "demo-vics" not in [s.name for s in library.list_sets(store)]
                assert problems == []
            finally:
                browser.close()
    finally:
        store.close()

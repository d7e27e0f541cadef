"""The review app in Debian's headless Chromium (Playwright, never a downloaded browser),
served by ``vigil serve`` in a subprocess: log in, grade a group by keyboard, reload and
see it kept, see the audit entries, and check from screenshots that a thumbnail is blurred
until revealed and blurred again when let go."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from web_helpers import CASE, PASSWORD, Site, make_site

from vigil.accounts import assignments
from vigil.store.engine import open_store

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (scripts/system-deps.sh test installs it)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(tmp_path: Path, vigil_home: Path, *options: str) -> Iterator[tuple[str, Site]]:
    """The demo site, served by `vigil serve` on a free port with ``options``."""
    url = f"sqlite:///{tmp_path / 'review.db'}"
    store = open_store(url)
    site = make_site(store, tmp_path)
    port = _free_port()
    env = {**os.environ, "VIGIL_DATABASE_URL": url, "VIGIL_HOME": str(vigil_home)}
    argv = [sys.executable, "-m", "vigil", "serve", "--port", str(port), *options]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, site
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()
        store.close()


@pytest.fixture
def served(tmp_path: Path, vigil_home: Path) -> Iterator[tuple[str, Site]]:
    """The demo site served without break reminders."""
    with _serve(tmp_path, vigil_home, "--break-every", "0") as running:
        yield running


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode() if server.stdout else ""
            raise AssertionError(f"vigil serve exited: {output}")
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("vigil serve did not start in 30 s")


def _pixels(png: bytes) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The inner part of a screenshot (the outline drawn round a revealed picture left out)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float32)
    height, width = pixels.shape
    return pixels[height // 8 : height - height // 8, width // 8 : width - width // 8]


def _detail(png: bytes) -> float:
    """Mean absolute difference of neighbouring pixels: a blurred picture has little."""
    pixels = _pixels(png)
    return float(np.abs(np.diff(pixels, axis=1)).mean() + np.abs(np.diff(pixels, axis=0)).mean())


def _variance(png: bytes) -> float:
    return float(_pixels(png).var())


def test_grade_by_keyboard_reveal_and_audit(served: tuple[str, Site], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, site = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            outside: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on(
                "request",
                lambda r: None if r.url.startswith((base, "blob:")) else outside.append(r.url),
            )
            page.goto(f"{base}/cases")
            assert page.url.startswith(f"{base}/login")
            page.fill("input[name=name]", "eve")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/cases")
            page.click(f"text={CASE}")
            page.click("text=Grade unknown media")
            status = page.locator("#status")
            expect(status).to_contain_text("8 groups (8 items) to grade")
            thumb = page.locator("#thumbs img.thumb").first
            _wait_loaded(page, thumb)
            blurred = thumb.screenshot()
            # Hold Space: the unblurred pixels arrive (a logged reveal) and show while held.
            page.keyboard.down("Space")
            expect(thumb).to_have_class("thumb revealed")
            expect(thumb).to_have_attribute("alt", "Revealed picture (unblurred while held)")
            page.wait_for_function(
                "() => document.querySelector('#thumbs img').src.startsWith('blob:')"
            )
            _wait_loaded(page, thumb)
            revealed = thumb.screenshot()
            page.keyboard.up("Space")
            expect(thumb).to_have_class("thumb")
            expect(thumb).to_have_attribute("alt", "Blurred picture")
            _wait_loaded(page, thumb)
            blurred_again = thumb.screenshot()
            (tmp_path / "blurred.png").write_bytes(blurred)
            (tmp_path / "revealed.png").write_bytes(revealed)
            assert _detail(revealed) > 3 * _detail(blurred), tmp_path
            assert _detail(revealed) > 3 * _detail(blurred_again)
            assert _variance(revealed) > _variance(blurred)
            # Grade the group by keyboard, see the queue shrink, reload: still graded.
            page.keyboard.press("b")
            expect(status).to_contain_text("Graded 1 item as Category B")
            expect(status).to_contain_text("7 groups (7 items) to grade")
            page.reload()
            expect(page.locator("#status")).to_contain_text("7 groups (7 items) to grade")
            expect(page.locator("#exposure-reveals")).to_have_text("1")
            # Undo by keyboard, then grade again.
            _wait_loaded(page, page.locator("#thumbs img.thumb").first)
            page.keyboard.press("z")
            expect(page.locator("#status")).to_contain_text("8 groups (8 items) to grade")
            page.keyboard.press("a")
            expect(page.locator("#status")).to_contain_text("Graded 1 item as Category A")
            # The audit log shows the reveal, the grade, the undo and the grade again.
            page.goto(f"{base}/cases/{site.case_id}/audit")
            actions = page.locator("#audit tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.action)"
            )
            assert actions[:4] == ["grade", "grade.undo", "grade", "media.reveal"]
            expect(page.locator("#chain-state")).to_contain_text("Chain intact")
            assert problems == []
            assert outside == []
        finally:
            browser.close()


def _wait_loaded(page: Any, img: Any) -> None:
    img.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())


def test_second_grader_disagrees_and_resolves(served: tuple[str, Site]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, site = served
    assignments.assign(site.store, "rita", CASE, "test")  # the third officer
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            _log_in(page, base, "eve")
            page.goto(f"{base}/cases/{site.case_id}/grade")
            expect(page.locator("#status")).to_contain_text("8 groups")
            _wait_loaded(page, page.locator("#thumbs img.thumb").first)
            page.keyboard.press("a")
            expect(page.locator("#status")).to_contain_text("Graded 1 item as Category A")
            page.click("header form button")  # log out
            page.wait_for_url(f"{base}/login")
            _log_in(page, base, "rex")
            page.goto(f"{base}/cases/{site.case_id}/second")
            expect(page.locator("#status")).to_contain_text("1 decision to second-grade")
            assert "A" not in page.locator("#group-info").inner_text()  # graded blind
            _wait_loaded(page, page.locator("#thumbs img.thumb").first)
            page.keyboard.press("c")
            expect(page.get_by_role("dialog")).to_contain_text("Record your second grade")
            page.keyboard.press("Enter")  # the confirmation has focus
            expect(page.locator("#status")).to_contain_text(
                "differs from the first grade Category A"
            )
            expect(page.locator("#agreement")).to_contain_text("disputed 1")
            # rex gave the disagreeing grade: only a third officer may resolve it.
            expect(page.locator("#disputes tbody td").last).to_have_text(
                "For a third officer to resolve"
            )
            page.click("header form button")
            page.wait_for_url(f"{base}/login")
            _log_in(page, base, "rita")
            page.goto(f"{base}/cases/{site.case_id}/second")
            page.locator("#disputes").get_by_role("button", name="Category A").click()
            confirm = page.get_by_role("dialog", name="Resolve as Category A?")
            expect(confirm).to_contain_text("becomes Category A")
            page.locator("#confirm-yes").click()
            expect(page.locator("#status")).to_contain_text("Resolved as Category A")
            expect(page.locator("#settled tbody tr td").last).to_have_text("Resolved")
            page.goto(f"{base}/cases/{site.case_id}/audit")
            actions = page.locator("#audit tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.action)"
            )
            assert actions[:3] == ["grade.resolve", "grade.second", "grade"]
            assert problems == []
        finally:
            browser.close()


def _log_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base}/cases")


def test_break_reminder_stops_grading_until_dismissed(tmp_path: Path, vigil_home: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with (
        _serve(tmp_path, vigil_home, "--break-every", "3") as (base, site),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _log_in(page, base, "eve")
            page.goto(f"{base}/cases/{site.case_id}/grade")
            reminder = page.locator("#break-reminder")
            for _ in range(2):  # the first picture, then two more by skipping
                _wait_loaded(page, page.locator("#thumbs img.thumb").first)
                expect(reminder).to_be_hidden()
                page.keyboard.press("s")
            expect(reminder).to_be_visible()
            expect(page.locator("#break-text")).to_contain_text("viewed 3 pictures today")
            page.keyboard.press("a")  # ignored while the reminder is up
            expect(page.locator("#status")).not_to_contain_text("Graded")
            page.click("#break-dismiss")
            expect(reminder).to_be_hidden()
            page.keyboard.press("a")
            expect(page.locator("#status")).to_contain_text("Graded 1 item as Category A")
        finally:
            browser.close()

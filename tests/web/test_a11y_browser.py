"""Accessibility of every page in Debian's headless Chromium, driven by Playwright.

axe-core (the copy shipped inside the axe-playwright-python wheel, never fetched at run
time) runs over every page at 1280×800, at 390×844 (a phone) and at 200 % zoom (a
640×400 CSS viewport at device scale 2): no WCAG 2.0/2.1 A or AA violation of any impact.
Then the keyboard alone walks log in → grade → second grade → resolve → log out, and the
grading keys, the key map and the modal dialogs are checked as a keyboard user meets them.
One app server and one browser serve the module; one logged-in context per user and size
is made once and reused. A screenshot of each page is kept under the artefacts folder the
test prints.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from web_helpers import CASE, PASSWORD, Site, built_sqlite_site, csrf_of, vigil_serve

from vigil.accounts import assignments

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (scripts/system-deps.sh test installs it)"
)

SIZES: dict[str, dict[str, Any]] = {
    "1280x800": {"viewport": {"width": 1280, "height": 800}},
    "390x844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "zoom200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}
"""200 % zoom of a 1280×800 window is a 640×400 CSS viewport at two device pixels per px."""

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PAGES: list[tuple[str, str | None, str]] = [
    ("login", None, "/login"),
    ("cases", "ada", "/cases"),
    ("case", "ada", "/cases/{case}"),
    ("audit", "ada", "/cases/{case}/audit"),
    ("explorer", "eve", "/cases/{case}/items?per_page=25"),
    ("rematch", "ada", "/cases/{case}/rematch"),
    ("links", "ada", "/links"),
    ("trends", "ada", "/trends"),
    ("admin", "ada", "/admin"),
    ("confirm-disable", "ada", "/admin/users/val/disable"),
    ("confirm-unassign", "ada", "/admin/unassign?name=eve&case=" + CASE),
    ("confirm-remove-set", "ada", "/admin/hashsets/demo-vics/remove"),
    ("me", "eve", "/me"),
    ("not-found", "ada", "/cases/999999"),
    ("invalid-422", "ada", "/cases/abc"),
    ("grade", "eve", "/cases/{case}/grade"),
    ("grade-keymap", "eve", "/cases/{case}/grade?show=keymap"),
    ("second", "rex", "/cases/{case}/second"),
    ("second-confirm", "rex", "/cases/{case}/second?show=confirm"),
]
"""(name, who, path) of every page the app serves to a person, and its dialogs open."""


@dataclass
class Browsing:
    """The module's server, browser and logged-in contexts, made once."""

    base: str
    site: Site
    browser: Any
    artefacts: Path
    states: dict[str, Any] = field(default_factory=dict)
    contexts: dict[tuple[str | None, str], Any] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)

    def page(self, who: str | None, size: str) -> Any:
        """A page of the one context for (user, size), logged in on first use."""
        key = (who, size)
        if key not in self.contexts:
            options = {**SIZES[size], "bypass_csp": True}
            if who is not None:
                options["storage_state"] = self.state_of(who)
            context = self.browser.new_context(**options)
            context.new_page()
            self.contexts[key] = context
        return self.contexts[key].pages[0]

    def state_of(self, who: str) -> Any:
        """The cookies of a session of ``who``, logged in once through the form."""
        if who not in self.states:
            context = self.browser.new_context()
            page = context.new_page()
            log_in(page, self.base, who)
            self.states[who] = context.storage_state()
            context.close()
        return self.states[who]


def log_in(page: Any, base: str, name: str) -> None:
    """Log in with the keyboard only: the name field has focus, Tab, password, Enter."""
    page.goto(f"{base}/login")
    _type_login(page, name)
    page.wait_for_url(f"{base}/cases")


def _type_login(page: Any, name: str) -> None:
    """Type name, Tab, password, Enter once the name field has its autofocus (a slow
    machine can be typed at before the page has given it focus)."""
    from playwright.sync_api import expect

    expect(page.locator("input[name=name]")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def browsing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsing]:
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("a11y")
    # VIGIL_TEST_ARTEFACTS keeps them past pytest's clean-up of old tmp folders (CI uploads).
    artefacts = Path(os.environ.get("VIGIL_TEST_ARTEFACTS") or root) / "a11y-artefacts"
    artefacts.mkdir(parents=True, exist_ok=True)
    print(f"\naccessibility artefacts (screenshots, axe results): {artefacts}")
    with built_sqlite_site(root) as site:
        assignments.assign(site.store, "rita", CASE, "test-setup")  # the third officer
        _a_dispute(site)
        url = f"sqlite:///{root / 'vigil.db'}"
        with vigil_serve(url, root / "home", "--break-every", "0") as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                yield Browsing(base, site, browser, artefacts)
            finally:
                browser.close()


def _a_dispute(site: Site) -> None:
    """One decision awaiting rex and one disputed, so both tables of /second have rows."""
    eve, rex = site.client("eve"), site.client("rex")
    for category in ("B", "B"):
        group = eve.get(f"/api/cases/{site.case_id}/queue").json()["groups"][0]
        body = {"group": group["key"], "item_ids": group["item_ids"], "category": category}
        eve.post(f"/api/cases/{site.case_id}/grade", json=body, headers=_csrf(eve))
    first = rex.get(f"/api/cases/{site.case_id}/actions").json()["awaiting"][0]["key"]
    body = {"action": first, "category": "A"}
    assert rex.post(f"/api/cases/{site.case_id}/second", json=body, headers=_csrf(rex)).is_success


def _ensure_awaiting(site: Site) -> None:
    """At least one first grade awaits rex (other tests may have second-graded them all)."""
    rex = site.client("rex")
    if rex.get(f"/api/cases/{site.case_id}/actions").json()["awaiting"]:
        return
    eve = site.client("eve")
    group = eve.get(f"/api/cases/{site.case_id}/queue").json()["groups"][0]
    body = {"group": group["key"], "item_ids": group["item_ids"], "category": "B"}
    assert eve.post(f"/api/cases/{site.case_id}/grade", json=body, headers=_csrf(eve)).is_success


def _csrf(client: Any) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(client)}


def _open_state(page: Any, name: str) -> None:
    """Open the dialog a page name asks for, as a keyboard user would."""
    from playwright.sync_api import expect

    if name in ("grade", "grade-keymap", "second", "second-confirm"):
        page.locator("#thumbs img.thumb").first.wait_for()
        expect(page.locator("#group")).to_be_focused()
    if name == "grade-keymap":
        page.keyboard.press("?")
        expect(page.locator("#keymap")).to_be_visible()
    if name == "second-confirm":
        page.keyboard.press("b")
        expect(page.locator("#confirm-dialog")).to_be_visible()


def _close_state(page: Any, name: str) -> None:
    if name in ("grade-keymap", "second-confirm"):
        page.keyboard.press("Escape")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_no_wcag_a_or_aa_violation(
    browsing: Browsing, name: str, who: str | None, path: str, size: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browsing.page(who, size)
    if name.startswith("second"):
        _ensure_awaiting(browsing.site)
    page.goto(browsing.base + path.format(case=browsing.site.case_id))
    _open_state(page, name)
    page.screenshot(path=str(browsing.artefacts / f"{name}-{size}.png"), full_page=True)
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
    ]
    (browsing.artefacts / f"{name}-{size}.axe.json").write_text(json.dumps(violations, indent=1))
    _close_state(page, name)
    assert violations == [], f"{name} at {size}: {violations}"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title()


def _tab_to(page: Any, test: Callable[[dict[str, str]], bool], back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element passes ``test``: 200 presses at most."""
    for _ in range(200):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return {tag: e.tagName, "
            "text: (e.innerText || '').trim(), label: e.getAttribute('aria-label') || '', "
            "id: e.id || ''}; }"
        )
        if test(focused):
            return
    raise AssertionError("no such control reached by Tab")


def _follow(page: Any) -> None:
    """Enter on the focused link, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _log_out(page: Any, base: str) -> None:
    _tab_to(page, lambda f: f["text"] == "Log out", back=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/login")


def test_keyboard_only_walk_grade_second_resolve(browsing: Browsing) -> None:
    from playwright.sync_api import expect

    base = browsing.base
    context = browsing.browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    shots = browsing.artefacts
    try:
        log_in(page, base, "eve")
        _tab_to(page, lambda f: f["text"] == CASE)
        _follow(page)
        _tab_to(page, lambda f: f["text"] == "Grade unknown media")
        _follow(page)
        region = page.locator("#group")
        page.locator("#thumbs img.thumb").first.wait_for()
        expect(region).to_be_focused()  # keys work at once: the grading area has focus
        page.keyboard.press("a")
        expect(page.locator("#status")).to_contain_text("Graded 1 item as Category A")
        page.screenshot(path=str(shots / "walk-1-graded.png"))
        _log_out(page, base)

        _ensure_awaiting(browsing.site)
        log_in(page, base, "rex")
        _tab_to(page, lambda f: f["text"] == CASE)
        _follow(page)
        _tab_to(page, lambda f: f["text"] == "Second-grade")
        _follow(page)
        page.locator("#thumbs img.thumb").first.wait_for()
        expect(region).to_be_focused()
        page.keyboard.press("c")
        dialog = page.get_by_role("dialog", name="Record your second grade: Category C?")
        expect(dialog).to_be_visible()
        expect(page.locator("#confirm-yes")).to_be_focused()
        page.screenshot(path=str(shots / "walk-2-confirm-second.png"))
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_contain_text("differs from the first grade")
        expect(region).to_be_focused()  # focus came back from the dialog
        _log_out(page, base)

        log_in(page, base, "rita")
        page.goto(f"{base}/cases/{browsing.site.case_id}/second")
        expect(page.locator("#disputes tbody tr").first).to_be_visible()
        _tab_to(page, lambda f: f["label"].startswith("Resolve ") and f["text"] == "Category A")
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Resolve as Category A?")
        expect(dialog).to_be_visible()
        expect(page.locator("#confirm-text")).to_contain_text("final grade of")
        page.screenshot(path=str(shots / "walk-3-confirm-resolve.png"))
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_contain_text("Resolved as Category A")
        _log_out(page, base)
    finally:
        context.close()


def test_grading_keys_act_only_in_the_grading_area_and_follow_the_officer(
    browsing: Browsing,
) -> None:
    from playwright.sync_api import expect

    base, case_id = browsing.base, browsing.site.case_id
    context = browsing.browser.new_context(storage_state=browsing.state_of("eve"))
    page = context.new_page()
    try:
        page.goto(f"{base}/cases/{case_id}/grade")
        status = page.locator("#status")
        page.locator("#thumbs img.thumb").first.wait_for()
        before = status.inner_text()
        page.locator("header a.brand").focus()  # focus outside the grading area
        page.keyboard.press("s")
        page.keyboard.press("?")
        expect(page.locator("#keymap")).to_be_hidden()
        assert status.inner_text() == before  # no key acted from outside the area
        # The key map lists every key bound, Backspace undo included.
        page.locator("#group").focus()
        page.keyboard.press("?")
        keymap = page.get_by_role("dialog", name="Keys on this page")
        expect(keymap).to_be_visible()
        rows = page.locator("#keymap-table tbody tr")
        listed = rows.evaluate_all("rows => rows.map(r => r.dataset.action)")
        bound = json.loads(page.evaluate("document.body.dataset.keys"))
        assert sorted(listed) == sorted(bound) and "undo_alt" in listed
        expect(keymap).to_contain_text("Backspace")
        # Focus is kept in the dialog; Escape closes it and gives focus back.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('keymap').contains(document.activeElement)")
        page.keyboard.press("Escape")
        expect(keymap).to_be_hidden()
        expect(page.locator("#group")).to_be_focused()
        # Remapped on /me: "1" grades A, "a" does nothing, the map says so.
        page.goto(f"{base}/me")
        page.fill("#key-grade_A", "1")
        page.click("#save-settings")
        expect(page.locator("#settings-saved")).to_be_visible()
        page.goto(f"{base}/cases/{case_id}/grade")
        page.locator("#thumbs img.thumb").first.wait_for()
        expect(page.locator("#keymap-table")).to_contain_text("1")
        page.keyboard.press("a")
        expect(status).not_to_contain_text("Graded")
        page.keyboard.press("1")
        expect(status).to_contain_text("Graded 1 item as Category A")
        page.keyboard.press("Backspace")
        expect(status).to_contain_text("Undid the grade Category A")
        # Keys off: nothing but the buttons.
        page.goto(f"{base}/me")
        page.fill("#key-grade_A", "a")
        page.uncheck("#keys-enabled")
        page.click("#save-settings")
        page.goto(f"{base}/cases/{case_id}/grade")
        page.locator("#thumbs img.thumb").first.wait_for()
        expect(page.locator("#keys-hint")).to_contain_text("Grading keys are off")
        page.keyboard.press("a")
        page.keyboard.press("s")
        expect(status).not_to_contain_text("Skipped")
        page.goto(f"{base}/me")
        page.check("#keys-enabled")
        page.click("#save-settings")
    finally:
        context.close()


def test_expired_session_offers_log_in_again_and_comes_back(browsing: Browsing) -> None:
    from playwright.sync_api import expect

    base, case_id = browsing.base, browsing.site.case_id
    context = browsing.browser.new_context()
    page = context.new_page()
    try:
        log_in(page, base, "eve")
        page.goto(f"{base}/cases/{case_id}/grade")
        page.locator("#thumbs img.thumb").first.wait_for()
        page.keyboard.press("s")  # move on to the second group: the place to come back to
        expect(page.locator("#status")).to_contain_text("Skipped")
        here = page.locator("#group").get_attribute("data-key")
        context.clear_cookies()  # the session is gone, as after the idle limit
        page.locator("#group").focus()
        page.keyboard.press("a")
        again = page.get_by_role("link", name="Log in again")
        expect(again).to_be_focused()
        expect(page.locator("#group")).to_be_hidden()  # no buttons left that cannot work
        again.press("Enter")
        page.wait_for_url(f"{base}/login?next=*")
        _type_login(page, "eve")
        page.wait_for_url(f"{base}/cases/{case_id}/grade?at=*")
        page.locator("#thumbs img.thumb").first.wait_for()
        expect(page.locator("#group")).to_have_attribute("data-key", here or "")
    finally:
        context.close()

"""Per-officer settings in the store (user_settings table), on SQLite and PostgreSQL, and the
/me form that sets the grading keys (WCAG 2.1.4: off, or remapped)."""

from __future__ import annotations

import re

import pytest
from web_helpers import Site, csrf_of

from vigil.accounts import users
from vigil.audit import GLOBAL_SCOPE, entries
from vigil.store.engine import Store
from vigil.web import user_settings
from vigil.web.user_settings import SettingError, key_map, load, save


def _user_id(store: Store, name: str) -> int:
    return users.add_user(store, name, "examiner", "correct horse battery", "test").id


def test_defaults_then_remap_then_off(store: Store) -> None:
    uid = _user_id(store, "kim")
    with store.begin() as conn:
        assert key_map(load(conn, uid))["grade_A"] == "a"
        assert key_map(load(conn, uid))["undo_alt"] == "Backspace"
        save(conn, uid, {"key.grade_A": "1", "key.reveal": "R", "key.undo_alt": ""})
    with store.connect() as conn:
        keys = key_map(load(conn, uid))
    assert keys["grade_A"] == "1"
    assert keys["reveal"] == "r"
    assert user_settings.check_key(" ") == "Space"
    assert user_settings.check_key("backspace") == "Backspace"
    assert "undo_alt" not in keys  # no key for it
    with store.begin() as conn:
        save(conn, uid, {"keys.enabled": "off"})
        assert key_map(load(conn, uid)) == {}
        save(conn, uid, {"keys.enabled": "on", "key.grade_A": "A"})  # back to the default
    with store.connect() as conn:
        assert key_map(load(conn, uid))["grade_A"] == "a"
        rows = conn.execute(
            user_settings.user_settings.select().where(user_settings.user_settings.c.user_id == uid)
        ).all()
    # A value equal to its default is not stored: only the two changed keys remain.
    assert sorted(r.name for r in rows) == ["key.reveal", "key.undo_alt"]


def test_one_key_for_two_actions_is_refused_and_nothing_is_stored(store: Store) -> None:
    uid = _user_id(store, "lou")
    with pytest.raises(SettingError, match="given twice"), store.begin() as conn:
        save(conn, uid, {"key.grade_A": "b"})
    with store.connect() as conn:
        assert key_map(load(conn, uid))["grade_A"] == "a"


@pytest.mark.parametrize(
    ("name", "value"),
    [("key.grade_A", "ab"), ("keys.enabled", "maybe"), ("no.such", "x"), ("key.skip", "\x07")],
)
def test_bad_values_and_names_are_refused(store: Store, name: str, value: str) -> None:
    uid = _user_id(store, "max")
    with pytest.raises(SettingError), store.begin() as conn:
        save(conn, uid, {name: value})


def _form(site_client: object, **fields: str) -> dict[str, str]:
    """The /me form as the page fills it in: every key at its default, keys on."""
    values = {f"key.{a}": d for a, (d, _label) in user_settings.KEY_ACTIONS.items()}
    values.update({"keys_enabled": "on", **fields})
    return values


def test_me_form_saves_audits_and_grading_page_carries_the_map(sqlite_site: Site) -> None:
    eve = sqlite_site.client("eve")
    page = eve.get("/me")
    assert 'id="key-grade_A"' in page.text and 'value="Backspace"' in page.text
    data = {**_form(eve), "key.grade_A": "1", "csrf_token": csrf_of(eve)}
    saved = eve.post("/me/settings", data=data)
    assert saved.status_code == 303 and saved.headers["location"] == "/me?saved=1"
    grade_page = eve.get(f"/cases/{sqlite_site.case_id}/grade").text
    keys = re.search(r"data-keys='([^']*)'", grade_page)
    assert keys is not None and '"grade_A": "1"' in keys.group(1)
    assert "<kbd>1</kbd>" in grade_page and "<kbd>Backspace</kbd>" in grade_page
    with sqlite_site.store.connect() as conn:
        last = list(entries(conn, GLOBAL_SCOPE))[-1]
    assert (last.action, last.actor, last.detail) == ("user.settings", "eve", {"key.grade_A": "1"})
    # Keys off: the page binds none and says so.
    off = {k: v for k, v in _form(eve).items() if k != "keys_enabled"}
    eve.post("/me/settings", data={**off, "csrf_token": csrf_of(eve)})
    grade_page = eve.get(f"/cases/{sqlite_site.case_id}/grade").text
    assert "data-keys='{}'" in grade_page and "Grading keys are off" in grade_page
    eve.post("/me/settings", data={**_form(eve), "csrf_token": csrf_of(eve)})


def test_me_form_refuses_a_clash_and_keeps_what_was_typed(sqlite_site: Site) -> None:
    rex = sqlite_site.client("rex")
    data = {**_form(rex), "key.skip": "a", "csrf_token": csrf_of(rex)}
    refused = rex.post("/me/settings", data=data)
    assert refused.status_code == 400
    assert "given twice" in refused.text and 'role="alert"' in refused.text
    assert 'id="key-skip" name="key.skip" value="a"' in refused.text
    with sqlite_site.store.connect() as conn:
        assert key_map(load(conn, users.get_user(conn, "rex").id))["skip"] == "s"

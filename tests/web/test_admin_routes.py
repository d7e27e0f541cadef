"""The admin page: users, assignments and hash-set exports, each audited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from web_helpers import PASSWORD, Site, csrf_of, login

from vigil.audit import GLOBAL_SCOPE, entries
from vigil.hashsets import library


def _global(site: Site) -> list[tuple[str, str, str | None]]:
    with site.store.connect() as conn:
        return [(e.actor, e.action, e.target) for e in entries(conn, GLOBAL_SCOPE)]


def test_admin_adds_a_user_and_assigns_a_case(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    ada = client_for("ada")
    form = {"name": "dc.new", "role": "examiner", "password": PASSWORD, "csrf_token": csrf_of(ada)}
    added = ada.post("/admin/users", data=form)
    assert added.status_code == 303
    page = ada.get(added.headers["location"]).text
    assert "Done: added dc.new" in page and 'data-user="dc.new"' in page
    assign = {"name": "dc.new", "case": "op-demo", "csrf_token": csrf_of(ada)}
    assert ada.post("/admin/assign", data=assign).status_code == 303
    newcomer = sqlite_site.client(None)
    assert login(newcomer, "dc.new", PASSWORD).status_code == 303
    assert newcomer.get(f"/api/cases/{sqlite_site.case_id}/queue").status_code == 200
    assert ("ada", "user.add", "dc.new") in _global(sqlite_site)
    assert ("ada", "case.assign", "dc.new") in _global(sqlite_site)


def test_bad_admin_input_is_shown_not_raised(
    client_for: Callable[[str | None], TestClient],
) -> None:
    ada = client_for("ada")
    form = {"name": "x", "role": "examiner", "password": "short", "csrf_token": csrf_of(ada)}
    response = ada.post("/admin/users", data=form)
    assert response.status_code == 400
    assert "at least 12 characters" in response.text
    own = ada.post("/admin/users/ada/disable", data={"csrf_token": csrf_of(ada)})
    assert own.status_code == 400 and "your own account" in own.text


def test_export_is_downloaded_and_audited_once(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    ada = client_for("ada")
    before = _global(sqlite_site).count(("ada", "hashset.export", "demo-vics"))
    response = ada.post(
        "/admin/hashsets/demo-vics/export", data={"format": "vics", "csrf_token": csrf_of(ada)}
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="demo-vics-')
    media = json.loads(response.content.decode("utf-8-sig"))["value"]
    assert len(media) == 6
    after = _global(sqlite_site).count(("ada", "hashset.export", "demo-vics"))
    assert after == before + 1
    bad = ada.post(
        "/admin/hashsets/demo-vics/export", data={"format": "xml", "csrf_token": csrf_of(ada)}
    )
    assert bad.status_code == 400
    missing = ada.post(
        "/admin/hashsets/none/export", data={"format": "csv", "csrf_token": csrf_of(ada)}
    )
    assert missing.status_code == 404


def test_admin_imports_and_removes_a_set(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    ada = client_for("ada")
    listing = "\n".join(f"{i:032x}  file{i}.dll" for i in range(1, 6)) + "\n"
    response = ada.post(
        "/admin/hashsets",
        data={
            "name": "uploaded-good",
            "scheme": "uk",
            "known_good": "true",
            "csrf_token": csrf_of(ada),
        },
        files={"upload": ("system files.md5", listing.encode(), "text/plain")},
    )
    assert response.status_code == 303, response.text
    assert "imported uploaded-good: 5 entries" in ada.get(response.headers["location"]).text
    log = _global(sqlite_site)
    assert ("ada", "hashset.import", "uploaded-good") in log
    removed = ada.post(
        "/admin/hashsets/uploaded-good/remove",
        data={"csrf_token": csrf_of(ada), "confirm": "uploaded-good"},
    )
    assert removed.status_code == 303
    assert ("ada", "hashset.remove", "uploaded-good") in _global(sqlite_site)
    bad = ada.post(
        "/admin/hashsets",
        data={"name": "broken", "scheme": "uk", "csrf_token": csrf_of(ada)},
        files={"upload": ("x.json", b'{"value": [', "application/json")},
    )
    assert bad.status_code == 400 and "nothing was imported" in bad.text
    keep = ada.post("/admin/hashsets/local-graded/remove", data={"csrf_token": csrf_of(ada)})
    assert keep.status_code == 400 and "holds the force" in keep.text


def test_removing_a_set_asks_first_and_names_what_goes(site: Site) -> None:
    ada = site.client("ada")
    admin = ada.get("/admin").text
    # The admin page links to the question; it holds no form that removes at once.
    assert 'href="/admin/hashsets/demo-vics/remove"' in admin
    assert 'action="/admin/hashsets/demo-vics/remove"' not in admin
    entries = library.show_set(site.store, "demo-vics").summary.entry_count
    page = ada.get("/admin/hashsets/demo-vics/remove")
    assert page.status_code == 200
    assert "Remove hash set demo-vics?" in page.text
    assert f"hash set demo-vics: {entries:,} graded entries" in page.text
    assert "1 version" in page.text
    assert re.search(r"case op-demo \(\d+ items\)", page.text), page.text

    # A bare POST, as an old page or a script would send: the question again, nothing gone.
    bare = ada.post("/admin/hashsets/demo-vics/remove", data={"csrf_token": csrf_of(ada)})
    assert bare.status_code == 400 and "Remove hash set demo-vics?" in bare.text
    wrong = ada.post(
        "/admin/hashsets/demo-vics/remove",
        data={"csrf_token": csrf_of(ada), "confirm": "demo-known-good"},
    )
    assert wrong.status_code == 400
    assert "demo-vics" in [s.name for s in library.list_sets(site.store)]
    assert ("ada", "hashset.remove", "demo-vics") not in _global(site)

    unsigned = ada.post("/admin/hashsets/demo-vics/remove", data={"confirm": "demo-vics"})
    assert unsigned.status_code == 403
    done = ada.post(
        "/admin/hashsets/demo-vics/remove",
        data={"csrf_token": csrf_of(ada), "confirm": "demo-vics"},
    )
    assert done.status_code == 303
    assert "demo-vics" not in [s.name for s in library.list_sets(site.store)]
    assert ("ada", "hashset.remove", "demo-vics") in _global(site)


def test_only_admins_see_the_question(client_for: Callable[[str | None], TestClient]) -> None:
    eve = client_for("eve")
    assert eve.get("/admin/hashsets/demo-vics/remove").status_code == 403
    ada = client_for("ada")
    assert ada.get("/admin/hashsets/none/remove").status_code == 404
    graded = ada.get("/admin/hashsets/local-graded/remove")
    assert graded.status_code == 400 and "holds the force" in graded.text


def test_disabling_an_account_asks_first_and_names_what_changes(site: Site) -> None:
    ada = site.client("ada")
    site.client("val")  # one open session, which the question counts
    admin = ada.get("/admin").text
    assert 'href="/admin/users/val/disable"' in admin
    assert 'action="/admin/users/val/disable"' not in admin
    # The admin's own row offers no Disable it would then refuse.
    assert 'href="/admin/users/ada/disable"' not in admin
    page = ada.get("/admin/users/val/disable")
    assert page.status_code == 200
    assert "Disable account val?" in page.text
    assert "1 open session of val end now" in page.text
    assert "Enable undoes this" in page.text

    bare = ada.post("/admin/users/val/disable", data={"csrf_token": csrf_of(ada)})
    assert bare.status_code == 400 and "Disable account val?" in bare.text
    assert ("ada", "user.disable", "val") not in _global(site)
    done = ada.post("/admin/users/val/disable", data={"csrf_token": csrf_of(ada), "confirm": "val"})
    assert done.status_code == 303
    assert ("ada", "user.disable", "val") in _global(site)
    assert ada.get("/admin/users/ada/disable").status_code == 400


def test_taking_a_case_away_asks_first_and_keeps_the_grades(site: Site) -> None:
    ada = site.client("ada")
    admin = ada.get("/admin").text
    assert 'href="/admin/unassign?name=eve&amp;case=op-demo"' in admin
    assert 'action="/admin/unassign"' not in admin
    page = ada.get("/admin/unassign", params={"name": "eve", "case": "op-demo"})
    assert page.status_code == 200
    assert "Take case op-demo from eve?" in page.text
    assert "eve can no longer see or grade case op-demo" in page.text
    assert "the 0 grades eve gave in op-demo" in page.text
    assert ada.get("/admin/unassign", params={"name": "val", "case": "op-demo"}).status_code == 404

    form = {"name": "eve", "case": "op-demo", "csrf_token": csrf_of(ada)}
    bare = ada.post("/admin/unassign", data=form)
    assert bare.status_code == 400 and "Take case op-demo from eve?" in bare.text
    assert ("ada", "case.unassign", "eve") not in _global(site)
    done = ada.post("/admin/unassign", data={**form, "confirm": "eve/op-demo"})
    assert done.status_code == 303
    assert ("ada", "case.unassign", "eve") in _global(site)


def test_every_admin_control_names_its_row(site: Site) -> None:
    page = site.client("ada").get("/admin").text
    assert 'aria-label="Export format (hash set demo-vics)"' in page
    assert 'aria-label="Set password (account val)"' in page
    assert 'aria-label="Disable… (account val)"' in page
    assert 'aria-label="Remove… (eve on case op-demo)"' in page

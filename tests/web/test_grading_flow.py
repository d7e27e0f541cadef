"""Grading end to end through the API, on SQLite and PostgreSQL: groups, undo, second grader,
the local graded set, its VICS export, and pre-categorisation in a later case."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image
from web_helpers import CASE, Site, csrf_of

from vigil.accounts import assignments
from vigil.audit import case_scope, entries, verify
from vigil.cases.counting import case_summary
from vigil.cli.main import run
from vigil.demo.imagegen import encode
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.schema import grade, hash_entry, hashset, item, match
from vigil.web import grading


def _queue(client: TestClient, site: Site) -> dict[str, Any]:
    response = client.get(f"/api/cases/{site.case_id}/queue")
    assert response.status_code == 200
    return dict(response.json())


def _grade(client: TestClient, site: Site, group: dict[str, Any], category: str) -> Any:
    body = {"group": group["key"], "item_ids": group["item_ids"], "category": category}
    return client.post(
        f"/api/cases/{site.case_id}/grade", json=body, headers={"X-CSRF-Token": csrf_of(client)}
    )


def _post(client: TestClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def _graded_entries(site: Site) -> dict[str, str | None]:
    with site.store.connect() as conn:
        rows = conn.execute(
            sa.select(hash_entry.c.md5, hash_entry.c.category)
            .join(hashset, hashset.c.id == hash_entry.c.hashset_id)
            .where(hashset.c.name == site.settings.graded_set)
        ).all()
    return {r.md5.hex(): r.category for r in rows}


def _case_log(site: Site) -> list[Any]:
    with site.store.connect() as conn:
        return list(entries(conn, case_scope(site.case_id)))


def test_a_group_decision_grades_every_copy_and_enters_the_graded_set(site: Site) -> None:
    eve = site.client("eve")
    queue = _queue(eve, site)
    assert queue["total_items"] == 8 and len(queue["groups"]) == 8
    group = queue["groups"][0]
    response = _grade(eve, site, group, "B")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == len(group["item_ids"])
    after = _queue(eve, site)
    assert len(after["groups"]) == 7
    assert group["key"] not in [g["key"] for g in after["groups"]]
    md5 = group["pictures"][0]["md5"]
    assert _graded_entries(site) == {md5: "B"}
    with site.store.connect() as conn:
        graded = conn.execute(sa.select(grade)).all()
        entry = conn.execute(
            sa.select(hash_entry).where(hash_entry.c.md5 == bytes.fromhex(md5))
        ).one()
        row = conn.execute(sa.select(item).where(item.c.id == group["item_ids"][0])).one()
    assert [(g.category, g.graded_by) for g in graded] == [("B", "eve")]
    assert graded[0].sha256 == row.sha256 and graded[0].pdq == row.pdq
    assert (entry.sha1, entry.sha256, entry.pdq) == (row.sha1, row.sha256, row.pdq)
    assert row.review == "hit"
    summary = case_summary(site.store, CASE)
    assert summary.exact.get("Category B") is not None
    assert summary.unknown_images == 7
    log = _case_log(site)
    assert log[-1].action == "grade" and log[-1].actor == "eve"
    assert log[-1].detail is not None and log[-1].detail["category"] == "B"
    with site.store.connect() as conn:
        assert verify(conn, case_scope(site.case_id)) == []


def test_undo_takes_back_the_last_decision(site: Site) -> None:
    eve = site.client("eve")
    first, second = _queue(eve, site)["groups"][:2]
    assert _grade(eve, site, first, "A").status_code == 200
    assert _grade(eve, site, second, "C").status_code == 200
    undone = _post(eve, f"/api/cases/{site.case_id}/undo")
    assert undone.json()["category"] == "C"
    assert _graded_entries(site) == {first["pictures"][0]["md5"]: "A"}
    keys = [g["key"] for g in _queue(eve, site)["groups"]]
    assert second["key"] in keys and first["key"] not in keys
    with site.store.connect() as conn:
        review = conn.execute(
            sa.select(item.c.review).where(item.c.id == second["item_ids"][0])
        ).scalar_one()
        matches = conn.execute(
            sa.select(sa.func.count()).where(match.c.item_id == second["item_ids"][0])
        ).scalar_one()
    assert review == "unknown" and matches == 0
    assert _case_log(site)[-1].action == "grade.undo"
    assert _post(eve, f"/api/cases/{site.case_id}/undo").json()["category"] == "A"
    assert _post(eve, f"/api/cases/{site.case_id}/undo").json() == {"undone": None, "items": 0}
    assert _graded_entries(site) == {}


def test_every_change_of_the_graded_set_bumps_its_revision(site: Site) -> None:
    # The PDQ index re-reads a set only when its revision moves (library_sync).
    eve = site.client("eve")

    def revision() -> int:
        with site.store.connect() as conn:
            return int(
                conn.execute(
                    sa.select(hashset.c.revision).where(hashset.c.name == "local-graded")
                ).scalar_one()
            )

    group = _queue(eve, site)["groups"][0]
    assert _grade(eve, site, group, "A").status_code == 200
    graded = revision()
    assert _post(eve, f"/api/cases/{site.case_id}/undo").json()["category"] == "A"
    assert revision() > graded


def test_stale_or_wrong_grades_are_refused(site: Site) -> None:
    eve = site.client("eve")
    group = _queue(eve, site)["groups"][0]
    assert _grade(eve, site, group, "Z").status_code == 409
    assert _grade(eve, site, group, "A").status_code == 200
    again = _grade(eve, site, group, "B")  # a second tab still showing the group
    assert again.status_code == 409
    assert "queue changed" in again.json()["detail"]
    assert _graded_entries(site) == {group["pictures"][0]["md5"]: "A"}


def test_uncategorised_leaves_the_queue_but_enters_no_set(site: Site) -> None:
    eve = site.client("eve")
    group = _queue(eve, site)["groups"][0]
    assert _grade(eve, site, group, "uncategorised").status_code == 200
    assert group["key"] not in [g["key"] for g in _queue(eve, site)["groups"]]
    assert _graded_entries(site) == {}


def test_second_grader_agrees_disputes_and_resolves(site: Site) -> None:
    assignments.assign(site.store, "rita", CASE, "test")  # the third officer
    eve, rex = site.client("eve"), site.client("rex")
    groups = _queue(eve, site)["groups"]
    for group, category in zip(groups[:2], ("A", "C"), strict=True):
        assert _grade(eve, site, group, category).status_code == 200
    view = rex.get(f"/api/cases/{site.case_id}/actions").json()
    assert [a["category"] for a in view["awaiting"]] == [None, None]  # blind
    first, second = view["awaiting"]
    agreed = _post(
        rex, f"/api/cases/{site.case_id}/second", {"action": first["key"], "category": "A"}
    )
    assert agreed.json()["state"] == "agreed"
    disputed = _post(
        rex, f"/api/cases/{site.case_id}/second", {"action": second["key"], "category": "B"}
    )
    assert disputed.json()["state"] == "disputed"
    twice = _post(
        rex, f"/api/cases/{site.case_id}/second", {"action": first["key"], "category": "A"}
    )
    assert twice.status_code == 409
    # The first grader cannot undo a decision the second grader has seen.
    assert _post(eve, f"/api/cases/{site.case_id}/undo").status_code == 409
    view = rex.get(f"/api/cases/{site.case_id}/actions").json()
    assert view["agreement"] == {"awaiting": 0, "agreed": 1, "disputed": 1, "resolved": 0}
    # rex gave the disagreeing grade: a third officer resolves it.
    alone = _post(
        rex, f"/api/cases/{site.case_id}/resolve", {"action": second["key"], "category": "B"}
    )
    assert alone.status_code == 409 and "third officer" in alone.json()["detail"]
    rita = site.client("rita")
    resolved = _post(
        rita, f"/api/cases/{site.case_id}/resolve", {"action": second["key"], "category": "B"}
    )
    assert resolved.json()["state"] == "resolved" and resolved.json()["final_category"] == "B"
    assert resolved.json()["resolved_by"] == "rita"
    md5s = {g["pictures"][0]["md5"] for g in groups[:2]}
    assert set(_graded_entries(site).items()) == {
        (groups[0]["pictures"][0]["md5"], "A"),
        (groups[1]["pictures"][0]["md5"], "B"),
    }
    assert set(_graded_entries(site)) == md5s
    actions = [e.action for e in _case_log(site)]
    assert actions[-3:] == ["grade.second", "grade.second", "grade.resolve"]


def test_a_reviewer_never_second_grades_their_own_decision(site: Site) -> None:
    # rex is a reviewer; give him a grade made under his name directly in the store.
    eve, rex = site.client("eve"), site.client("rex")
    group = _queue(eve, site)["groups"][0]
    assert _grade(eve, site, group, "A").status_code == 200
    with site.store.begin() as conn:
        conn.execute(sa.update(grade).values(graded_by="rex"))
    view = rex.get(f"/api/cases/{site.case_id}/actions").json()
    assert view["awaiting"] == [] and view["settled"] == []
    with site.store.connect() as conn:
        action_key = conn.execute(sa.select(grade.c.group_key)).scalars().first()
    refused = _post(
        rex, f"/api/cases/{site.case_id}/second", {"action": action_key, "category": "A"}
    )
    assert refused.status_code == 409


def test_graded_set_exports_as_vics(site: Site, tmp_path: Path, db_url: str) -> None:
    eve = site.client("eve")
    for group, category in zip(
        _queue(eve, site)["groups"][:3], ("A", "B", "not_indecent"), strict=True
    ):
        assert _grade(eve, site, group, category).status_code == 200
    out = tmp_path / "graded.json"
    code = run(
        ["--db", db_url, "hashset", "export", "local-graded", "--format", "vics", "-o", str(out)]
    )
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8-sig"))
    assert data["@odata.context"].endswith("/UK/$metadata#Media")
    media = data["value"]
    assert sorted(m["Category"] for m in media) == [1, 2, 4]
    assert all(len(m["MD5"]) == 32 and m.get("SHA1") for m in media)


def test_graded_pictures_are_precategorised_in_later_cases(site: Site, tmp_path: Path) -> None:
    eve = site.client("eve")
    groups = _queue(eve, site)["groups"]
    camera = next(g for g in groups if g["pictures"][0]["name"] == "camera_100.jpg")
    assert _grade(eve, site, camera, "C").status_code == 200
    # A later exhibit: the same picture, and a resized copy of it (a near duplicate).
    picture = site.demo.evidence / "Users/demo/Pictures/camera_100.jpg"
    later = tmp_path / "later"
    later.mkdir()
    (later / "copy.jpg").write_bytes(picture.read_bytes())
    smaller = Image.open(io.BytesIO(picture.read_bytes())).resize((320, 240))
    (later / "smaller.jpg").write_bytes(encode(smaller))
    run_scan(site.store, [later], ScanOptions(case="op-later", workers=1))
    with site.store.connect() as conn:
        rows = conn.execute(
            sa.select(item.c.name, item.c.review, match.c.algorithm, match.c.category)
            .join(match, match.c.item_id == item.c.id)
            .where(match.c.hashset_name == "local-graded")
            .order_by(item.c.name)
        ).all()
    later_rows = [
        (r.name, r.review, r.algorithm, r.category) for r in rows if r.name != "camera_100.jpg"
    ]
    assert later_rows[0][:2] == ("copy.jpg", "hit") and later_rows[0][3] == "C"
    assert later_rows[-1][:3] == ("smaller.jpg", "hit", "pdq") and later_rows[-1][3] == "C"
    summary = case_summary(site.store, "op-later")
    assert summary.unknown_images == 0


@pytest.mark.parametrize("who", ["ed", "rita"])
def test_unassigned_officers_cannot_grade(site: Site, who: str) -> None:
    eve = site.client("eve")
    group = _queue(eve, site)["groups"][0]
    other = site.client(who)
    assert _grade(other, site, group, "A").status_code in (403, 404)
    assert _graded_entries(site) == {}


def test_assignment_opens_the_case(site: Site) -> None:
    ed = site.client("ed")
    assert ed.get(f"/api/cases/{site.case_id}/queue").status_code == 404
    assignments.assign(site.store, "ed", CASE, "test")
    assert ed.get(f"/api/cases/{site.case_id}/queue").status_code == 200


def test_a_race_between_two_graders_is_a_clear_conflict(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    eve = site.client("eve")
    group = _queue(eve, site)["groups"][0]
    assert _grade(eve, site, group, "A").status_code == 200
    # The second request's checks ran before the first committed: only the database sees it.
    real = grading._ungraded

    def stale(conn: Any, case_id: int, condition: Any) -> Any:
        with site.store.connect() as other:
            other_rows = other.execute(sa.select(item).where(condition)).all()
        return other_rows or real(conn, case_id, condition)

    monkeypatch.setattr(grading, "_ungraded", stale)
    late = _grade(eve, site, group, "C")
    assert late.status_code == 409 and "queue changed" in late.json()["detail"]
    assert _graded_entries(site) == {group["pictures"][0]["md5"]: "A"}


def test_thumbnails_reveals_and_exposure_on_each_database(site: Site) -> None:
    eve = site.client("eve")
    group = _queue(eve, site)["groups"][0]
    item_id = group["pictures"][0]["item"]
    for _ in range(2):
        assert eve.get(f"/items/{item_id}/thumb").status_code == 200
    assert _post(eve, f"/items/{item_id}/reveal").status_code == 200
    today = eve.get("/api/me/exposure").json()
    assert (today["thumbnails"], today["reveals"]) == (2, 1)
    assert _case_log(site)[-1].action == "media.reveal"

"""``rematch``: a new, audited revision from today's library; earlier ones are kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from frozen_helpers import CASE, relabelled
from test_frozen_results import _figures

from vigil.audit import case_scope, entries
from vigil.cases import rematch
from vigil.cases.counting import case_summary
from vigil.demo.evidence import DemoLayout
from vigil.errors import NotFoundError, UsageError
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import case, result_revision


def _revisions(store: Store) -> list[tuple[int, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(result_revision.c.number, result_revision.c.kind).order_by(
                result_revision.c.number
            )
        ).all()
    return [(int(r.number), str(r.kind)) for r in rows]


def _rematch_entries(store: Store) -> list[dict[str, object]]:
    with store.connect() as conn:
        case_id = conn.execute(sa.select(case.c.id).where(case.c.name == CASE)).scalar_one()
        chain = entries(conn, case_scope(case_id))
        return [e.detail or {} for e in chain if e.action == "case.rematch"]


def test_rematch_shows_the_difference_then_makes_revision_2(
    two_sets: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    scanned = _figures(two_sets)
    library.remove_set(two_sets, "set-two")
    library.import_file(two_sets, relabelled(demo, tmp_path / "all-c.json", "C"), "set-one")
    planned = rematch.preview(two_sets, CASE, "DC Test")
    assert (planned.previous, planned.revision, planned.applied) == (1, 2, False)
    change = {c.label: (c.before, c.after) for c in planned.categories}
    assert change["Category A"] == (2, 0) and change["Category B"] == (3, 0)
    assert change["Category C"][0] == 3 and change["Category C"][1] >= 8
    assert planned.changed
    assert {s["name"] for s in planned.sets} == {"set-one", "known-good"}
    # The preview changed nothing.
    assert _revisions(two_sets) == [(1, "scan")]
    assert _figures(two_sets) == scanned
    done = rematch.apply(two_sets, CASE, "DC Test", expect=planned.fingerprint)
    assert done.applied and done.revision == 2
    assert {c.label: (c.before, c.after) for c in done.categories} == change
    assert _revisions(two_sets) == [(1, "scan"), (2, "rematch")]
    latest = _figures(two_sets)
    assert set(latest["categories"]) == {"Category C"}
    assert all("set-two" not in str(h[3]) for h in latest["hits"])
    # Revision 1 is kept exactly as it was.
    assert _figures(two_sets, revision=1) == scanned
    [audited] = _rematch_entries(two_sets)
    assert audited["revision"] == 2 and audited["previous"] == 1
    assert audited["categories"]["Category A"] == [2, 0]


def test_rematch_after_removing_every_set_makes_hits_unknown_in_revision_2_only(
    two_sets: Store,
) -> None:
    scanned = _figures(two_sets)
    library.remove_set(two_sets, "set-one")
    library.remove_set(two_sets, "set-two")
    rematch.apply(two_sets, CASE, "DC Test")
    latest = case_summary(two_sets, CASE)
    assert latest.categories == {} and latest.revision == 2
    assert latest.unknown_images == scanned["unknown"][0] + len(scanned["hits"])
    first = case_summary(two_sets, CASE, revision=1)
    assert (first.unknown_images, first.unknown_videos, first.unknown_unique) == scanned["unknown"]
    assert first.known == scanned["known"]
    assert _figures(two_sets, revision=1) == scanned


def test_rematch_with_an_unchanged_library_says_so(two_sets: Store) -> None:
    planned = rematch.preview(two_sets, CASE, "DC Test")
    assert not planned.changed
    assert all(c.before == c.after for c in planned.categories)


def test_apply_refuses_when_the_library_changed_since_the_preview(
    two_sets: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    planned = rematch.preview(two_sets, CASE, "DC Test")
    library.import_file(two_sets, relabelled(demo, tmp_path / "all-b.json", "B"), "set-three")
    with pytest.raises(UsageError, match="changed since the difference was shown"):
        rematch.apply(two_sets, CASE, "DC Test", expect=planned.fingerprint)
    assert _revisions(two_sets) == [(1, "scan")]
    assert _rematch_entries(two_sets) == []


def test_an_unknown_revision_is_refused_with_the_known_ones(two_sets: Store) -> None:
    with pytest.raises(NotFoundError, match=r"no revision 5 \(revisions: 1\)"):
        case_summary(two_sets, CASE, revision=5)


def test_a_scan_after_a_rematch_joins_the_newest_revision(
    two_sets: Store, demo: DemoLayout
) -> None:
    rematch.apply(two_sets, CASE, "DC Test")
    run_scan(
        two_sets,
        [demo.evidence / "Users/demo/Pictures"],
        ScanOptions(case=CASE, examiner="DC Test", workers=1),
    )
    assert case_summary(two_sets, CASE).revision == 2
    assert len(case_summary(two_sets, CASE).runs) == 2
    assert len(case_summary(two_sets, CASE, revision=1).runs) == 1

"""Tags, bookmarks and case notes: written with who and when, audited, bounded (both databases)."""

from __future__ import annotations

import pytest
from inventory_fixture import CASE, InventoryCase
from sqlalchemy import select

from vigil.audit import case_scope, entries
from vigil.cases.explorer import Explorer, ItemFilter
from vigil.cases.tags_notes import (
    BOOKMARK,
    add_note,
    add_tag,
    case_tags,
    clean_tag,
    notes,
    remove_tag,
    tags_of,
)
from vigil.errors import UsageError
from vigil.store.schema import case, item


def _ids(inventory_case: InventoryCase) -> tuple[int, list[int]]:
    with inventory_case.store.connect() as conn:
        case_id = int(conn.execute(select(case.c.id).where(case.c.name == CASE)).scalar_one())
        ids = [int(i) for i in conn.execute(select(item.c.id).order_by(item.c.id)).scalars()]
    return case_id, ids


def test_tags_are_added_once_filtered_on_and_removed(inventory_case: InventoryCase) -> None:
    case_id, ids = _ids(inventory_case)
    store = inventory_case.store
    with store.begin() as conn:
        assert add_tag(conn, case_id, ids[:2], "  to   check ", "DC Ada") == 2
        assert add_tag(conn, case_id, ids[:3], "to check", "DC Bob") == 1  # two had it
        assert add_tag(conn, case_id, [ids[0]], BOOKMARK, "DC Ada") == 1
    with store.connect() as conn:
        assert tags_of(conn, ids[:4]) == {
            ids[0]: [BOOKMARK, "to check"],
            ids[1]: ["to check"],
            ids[2]: ["to check"],
        }
        assert case_tags(conn, case_id) == [(BOOKMARK, 1), ("to check", 3)]
        tagged = [r.id for r in Explorer(conn, case_id).every(ItemFilter(tag="to check"))]
        marked = list(Explorer(conn, case_id).every(ItemFilter(tag=BOOKMARK)))
    assert sorted(tagged) == ids[:3]
    assert [(r.id, r.tags) for r in marked] == [(ids[0], [BOOKMARK, "to check"])]
    with store.begin() as conn:
        assert remove_tag(conn, case_id, ids, "to check", "DC Ada") == 3
        assert remove_tag(conn, case_id, ids, "to check", "DC Ada") == 0
    with store.connect() as conn:
        chain = [
            (e.actor, e.action, e.target, e.detail) for e in entries(conn, case_scope(case_id))
        ]
    assert ("DC Ada", "tag.add", "to check", {"items": ids[:2]}) in chain
    assert ("DC Bob", "tag.add", "to check", {"items": [ids[2]]}) in chain
    assert ("DC Ada", "tag.remove", "to check", {"items": ids[:3]}) in chain
    assert [a for _, a, _, _ in chain].count("tag.remove") == 1  # nothing removed: no entry


def test_an_item_of_another_case_is_refused_and_nothing_is_written(
    inventory_case: InventoryCase,
) -> None:
    case_id, ids = _ids(inventory_case)
    with (
        pytest.raises(UsageError, match="1 of the items chosen are not in this case"),
        inventory_case.store.begin() as conn,
    ):
        add_tag(conn, case_id, [ids[0], 10**9], "x", "DC Ada")
    with (
        pytest.raises(UsageError, match="select at least one item"),
        inventory_case.store.begin() as conn,
    ):
        add_tag(conn, case_id, [], "x", "DC Ada")
    with inventory_case.store.connect() as conn:
        assert tags_of(conn, ids) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("   ", "tag: give a name"),
        ("x" * 65, "tag: at most 64 characters"),
        ("bad\x00tag", "tag: letters, digits, spaces and punctuation only"),
        ("rtl\u202etag", "tag: letters, digits, spaces and punctuation only"),
    ],
)
def test_a_bad_tag_is_refused(raw: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        clean_tag(raw)


def test_notes_keep_author_time_and_text_and_are_audited(inventory_case: InventoryCase) -> None:
    case_id, _ = _ids(inventory_case)
    with inventory_case.store.begin() as conn:
        first = add_note(conn, case_id, "  Suspect's laptop:\r\nsee exhibit 2  ", "DC Ada")
        add_note(conn, case_id, "<script>alert(1)</script>", "DC Bob")
        with pytest.raises(UsageError, match="note: write something first"):
            add_note(conn, case_id, " \n ", "DC Ada")
        with pytest.raises(UsageError, match="note: at most 10,000 characters"):
            add_note(conn, case_id, "x" * 10_001, "DC Ada")
    with inventory_case.store.connect() as conn:
        written = notes(conn, case_id)
        chain = [e for e in entries(conn, case_scope(case_id)) if e.action == "note.add"]
    assert [(n.author, n.body) for n in written] == [
        ("DC Ada", "Suspect's laptop:\nsee exhibit 2"),
        ("DC Bob", "<script>alert(1)</script>"),
    ]
    assert written[0].at.tzinfo is not None and written[0].id == first.id
    assert [(e.actor, e.target, e.detail) for e in chain] == [
        # the chain stores evidence-safe text: the newline escaped, the note table keeps it
        ("DC Ada", f"note:{first.id}", {"text": "Suspect's laptop:\\nsee exhibit 2"}),
        ("DC Bob", f"note:{written[1].id}", {"text": "<script>alert(1)</script>"}),
    ]

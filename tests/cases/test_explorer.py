"""The case explorer over the scanned demo case: filters, sorting, paging (both databases)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from vigil.cases.counting import case_summary
from vigil.cases.explorer import Explorer, ItemFilter
from vigil.demo.evidence import DemoLayout, build_demo
from vigil.errors import UsageError
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store, open_store
from vigil.store.schema import case, item

CASE = "op-explore"


@pytest.fixture(scope="module")
def scanned(
    module_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, DemoLayout, int]]:
    """The demo evidence and its USB-stick image scanned into one case, once per database."""
    store = open_store(module_db_url)
    try:
        demo = build_demo(tmp_path_factory.mktemp("explore") / "demo")
        library.import_file(store, demo.vics, "demo-vics")
        library.import_file(store, demo.known_good, "demo-known-good", known_good=True)
        assert demo.disk_image is not None
        run_scan(store, [demo.evidence, demo.disk_image], ScanOptions(case=CASE, workers=1))
        with store.connect() as conn:
            case_id = int(conn.execute(select(case.c.id).where(case.c.name == CASE)).scalar_one())
        yield store, demo, case_id
    finally:
        store.close()


def _all(store: Store, case_id: int, wanted: ItemFilter) -> list[int]:
    with store.connect() as conn:
        return [r.id for r in Explorer(conn, case_id).every(wanted)]


def test_every_item_of_the_case_once_across_pages(scanned: tuple[Store, DemoLayout, int]) -> None:
    store, _, case_id = scanned
    with store.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(item)).scalar_one())
        explorer = Explorer(conn, case_id)
        seen: list[int] = []
        first = explorer.page(ItemFilter(per_page=25))
        for number in range(1, first.pages + 1):
            page = explorer.page(ItemFilter(per_page=25, page=number, sort="size"))
            assert page.page == number and page.total == total
            seen += [r.id for r in page.rows]
        past_end = explorer.page(ItemFilter(per_page=25, page=first.pages + 5))
    assert first.total == total > 25
    assert sorted(seen) == sorted(set(seen)) and len(seen) == total
    assert past_end.page == first.pages  # past the end: the last page, not an empty one


def test_sort_orders_and_keeps_items_without_a_value_last(
    scanned: tuple[Store, DemoLayout, int],
) -> None:
    store, _, case_id = scanned
    with store.connect() as conn:
        explorer = Explorer(conn, case_id)
        up = list(explorer.every(ItemFilter(sort="size")))
        down = list(explorer.every(ItemFilter(sort="size", descending=True)))
        typed_up = list(explorer.every(ItemFilter(sort="type")))
        typed_down = list(explorer.every(ItemFilter(sort="type", descending=True)))
        names = [r.name for r in explorer.every(ItemFilter(sort="name"))]
    sizes = [r.size for r in up if r.size is not None]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert [r.size for r in down if r.size is not None] == sorted(sizes, reverse=True)
    for rows in (typed_up, typed_down):  # no file type (not identified) last in both orders
        values = [r.file_type for r in rows]
        assert None in values and len(set(values)) > 2
        assert values.index(None) == len([v for v in values if v is not None])
    assert names == sorted(names)


def test_filters_select_what_they_name(scanned: tuple[Store, DemoLayout, int]) -> None:
    store, _, case_id = scanned
    with store.connect() as conn:
        explorer = Explorer(conn, case_id)
        camera = list(explorer.every(ItemFilter(text="CAMERA_10")))
        deleted = list(explorer.every(ItemFilter(location="deleted")))
        archive = list(explorer.every(ItemFilter(location="archive", family="image", text="album")))
        broken = list(explorer.every(ItemFilter(status="error")))
        unknown = list(explorer.every(ItemFilter(review="unknown")))
        hits = list(explorer.every(ItemFilter(review="hit")))
        exhibits = explorer.exhibits()
        stick = list(explorer.every(ItemFilter(exhibit=exhibits[-1][0])))
        future = explorer.page(ItemFilter(modified_from=date(2999, 1, 1)))
        today = explorer.page(ItemFilter(modified_to=date(2999, 1, 1)))
    assert sorted(r.name for r in camera) == [f"camera_{s}.jpg" for s in range(100, 105)]
    assert [r.name[1:] for r in deleted] == ["ECRET.JPG"]  # FAT keeps all but the first letter
    assert sorted(r.name for r in archive) == ["a.jpg", "b.jpg", "new.jpg"]
    assert [r.name for r in broken] == ["broken.jpg"]
    summary = case_summary(store, CASE)
    assert len(unknown) == summary.unknown_images + summary.unknown_videos
    assert {r.review for r in hits} == {"hit"} and all(r.category for r in hits)
    assert len(hits) == summary.exact_total + summary.perceptual_total
    assert len(exhibits) == 2 and {r.exhibit for r in stick} == {exhibits[-1][1]}
    assert future.total == 0 and today.total > 0


def test_a_whole_hash_finds_its_items(scanned: tuple[Store, DemoLayout, int]) -> None:
    store, demo, case_id = scanned
    data = (demo.evidence / "Users/demo/Pictures/IMG_1000.jpg").read_bytes()
    for digest in (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest().upper(),
    ):
        with store.connect() as conn:
            found = Explorer(conn, case_id).every(ItemFilter(digest=f" {digest} "))
            names = {r.name for r in found}
        assert "IMG_1000.jpg" in names and names <= {"IMG_1000.jpg", "a.jpg", "_ECRET.JPG"}


def test_the_category_filter_and_column_follow_the_court_rule(
    scanned: tuple[Store, DemoLayout, int],
) -> None:
    store, _, case_id = scanned
    with store.connect() as conn:
        explorer = Explorer(conn, case_id)
        hits = list(explorer.every(ItemFilter(review="hit")))
        by_label = {
            label: {r.id for r in explorer.every(ItemFilter(category=label))}
            for label in {r.category for r in hits if r.category}
        }
    summary = case_summary(store, CASE)
    for label, ids in by_label.items():
        detail = summary.categories[label]
        counted = detail.images.instances + detail.videos.instances + detail.other.instances
        assert len(ids) == counted, label
    assert explorer_none(store, case_id) == []


def explorer_none(store: Store, case_id: int) -> list[int]:
    """A label no set uses selects nothing."""
    return _all(store, case_id, ItemFilter(category="no such label"))


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        (ItemFilter(digest="abc"), "hash: give a whole MD5, SHA-1 or SHA-256 in hex"),
        (ItemFilter(digest="z" * 32), "hash: give a whole MD5, SHA-1 or SHA-256 in hex"),
        (ItemFilter(location="cloud"), "location: one of live, archive, deleted, carved"),
        (ItemFilter(review="maybe"), "review: one of hit, unknown, known, none"),
        (ItemFilter(sort="colour"), "sort: one of path, name, size, modified, taken, type"),
        (ItemFilter(per_page=7), "per page: one of 25, 50, 100, 200"),
        (ItemFilter(page=0), "page: 1 or more"),
    ],
)
def test_a_bad_filter_is_refused_by_name(wanted: ItemFilter, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        wanted.checked()
    assert str(caught.value).startswith(message)


def test_text_is_matched_literally(scanned: tuple[Store, DemoLayout, int]) -> None:
    store, _, case_id = scanned
    assert _all(store, case_id, ItemFilter(text="%")) == []
    assert _all(store, case_id, ItemFilter(text="_")) != _all(store, case_id, ItemFilter())

"""Linkage and first seen over a store with known exact and PDQ overlaps (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crosscase_builders import T0, CaseSpec, Media, add_case, flip, md5_of, random_pdq

from vigil.crosscase.first_seen import first_seen, new_material
from vigil.crosscase.links import case_links, link_graph
from vigil.crosscase.refresh import refresh_all
from vigil.store.engine import Store

P1 = random_pdq(1)
DAY = timedelta(days=1)


def _store_abcd(store: Store, order: str = "abcd") -> dict[str, int]:
    """A (first), B shares one known and one unknown MD5 and one near picture with A,
    C shares only known material, D shares nothing."""
    specs = {
        "a": CaseSpec(
            "op-a",
            [
                Media(md5_of(1), random_pdq(11), category="A"),
                Media(md5_of(2), random_pdq(12)),
                Media(md5_of(3), P1),
                Media(md5_of(4), random_pdq(14)),
            ],
            when=T0,
        ),
        "b": CaseSpec(
            "op-b",
            [
                Media(md5_of(1), random_pdq(11), category="A"),
                Media(md5_of(2), random_pdq(12)),
                Media(md5_of(30), flip(P1, 12)),  # the same picture, re-encoded
                Media(md5_of(31), flip(P1, 40)),  # too far to be the same picture
            ],
            when=T0 + DAY,
        ),
        "c": CaseSpec("op-c", [Media(md5_of(1), random_pdq(11), category="A")], when=T0 + 2 * DAY),
        "d": CaseSpec("op-d", [Media(md5_of(99), random_pdq(99))], when=T0 + 3 * DAY),
    }
    return {key: add_case(store, specs[key]) for key in order}


def _counts(store: Store, case_id: int) -> dict[str, tuple[str, int, int, int, int]]:
    with store.connect() as conn:
        return {
            link.case: (
                link.strength,
                link.exact_known,
                link.exact_new,
                link.near_known,
                link.near_new,
            )
            for link in case_links(conn, case_id)
        }


def test_links_count_exact_and_near_split_by_known_and_new(store: Store) -> None:
    ids = _store_abcd(store)
    assert _counts(store, ids["a"]) == {
        "op-b": ("strong", 1, 1, 0, 1),
        "op-c": ("weak", 1, 0, 0, 0),
    }
    assert _counts(store, ids["c"]) == {"op-a": ("weak", 1, 0, 0, 0), "op-b": ("weak", 1, 0, 0, 0)}
    assert _counts(store, ids["d"]) == {}
    with store.connect() as conn:
        names, edges = link_graph(conn)
    assert sorted(names.values()) == ["op-a", "op-b", "op-c"]
    assert {(names[e.a], names[e.b], e.strong, e.weak) for e in edges} == {
        ("op-a", "op-b", 2, 1),
        ("op-a", "op-c", 0, 1),
        ("op-b", "op-c", 0, 1),
    }


def test_first_seen_and_new_material(store: Store) -> None:
    ids = _store_abcd(store)
    with store.connect() as conn:
        seen = first_seen(conn, md5_of(2))
        assert seen is not None and (seen.case, seen.cases) == ("op-a", 2)
        assert first_seen(conn, md5_of(12345)) is None
        # In no set and in no earlier case, exactly or by PDQ.
        assert new_material(conn, ids["a"]) == {md5_of(2).hex(), md5_of(3).hex(), md5_of(4).hex()}
        # md5 2 was seen in A first; md5 30 is A's picture re-encoded; 31 is far from it.
        assert new_material(conn, ids["b"]) == {md5_of(31).hex()}
        assert new_material(conn, ids["c"]) == set()
        assert new_material(conn, ids["d"]) == {md5_of(99).hex()}


def test_a_case_summarised_after_a_later_one_takes_first_seen_from_it(store: Store) -> None:
    # B is written (and refreshed) before A, although A was scanned first.
    ids = _store_abcd(store, order="bacd")
    with store.connect() as conn:
        assert new_material(conn, ids["b"]) == {md5_of(31).hex()}
        assert md5_of(2).hex() in new_material(conn, ids["a"])
        assert _counts(store, ids["a"])["op-b"] == ("strong", 1, 1, 0, 1)


def test_refresh_all_gives_the_same_summaries(store: Store) -> None:
    ids = _store_abcd(store)
    before = {key: _counts(store, case_id) for key, case_id in ids.items()}
    with store.begin() as conn:
        assert refresh_all(conn) == 4
    assert {key: _counts(store, case_id) for key, case_id in ids.items()} == before


@pytest.mark.parametrize("bits", [31, 32])
def test_the_pdq_threshold_is_inclusive(store: Store, bits: int) -> None:
    a = add_case(store, CaseSpec("op-a", [Media(md5_of(1), P1)]))
    add_case(store, CaseSpec("op-b", [Media(md5_of(2), flip(P1, bits))], when=T0 + DAY))
    expected = {"op-b": ("strong", 0, 0, 0, 1)} if bits == 31 else {}
    assert _counts(store, a) == expected

"""How an item's hits decide the category it counts under (cases/counting.py).

Only the labels frozen on the hits are read. These rows stand in for stored
``match`` rows: the fields counting reads, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.cases.counting import CONFLICT, basis, hit_label, item_category


@dataclass(frozen=True)
class _Match:
    hashset_id: int
    algorithm: str
    distance: int
    category_label: str | None
    category: str | None = "1"


def test_agreeing_exact_hits_count_once_under_their_label() -> None:
    hits = [_Match(1, "md5", 0, "Category A"), _Match(2, "sha1", 0, "Category A")]
    assert item_category(hits) == ("Category A", True)


def test_disagreeing_exact_hits_are_a_conflict() -> None:
    hits = [_Match(1, "md5", 0, "Category A"), _Match(2, "md5", 0, "Category B")]
    assert item_category(hits) == (CONFLICT, True)


def test_an_exact_hit_decides_over_any_pdq_hit() -> None:
    hits = [_Match(1, "pdq", 0, "Category A"), _Match(2, "sha256", 0, "Category C")]
    assert item_category(hits) == ("Category C", True)


def test_pdq_only_hits_from_sets_that_disagree_are_a_conflict() -> None:
    hits = [_Match(1, "pdq", 4, "Category A"), _Match(2, "pdq", 9, "Category B")]
    assert item_category(hits) == (CONFLICT, False)


def test_pdq_only_each_set_speaks_through_its_nearest_hit() -> None:
    # Set 1's nearest says A (its farther B entry is outvoted); set 2 agrees with A.
    hits = [
        _Match(1, "pdq", 12, "Category B"),
        _Match(1, "pdq", 2, "Category A"),
        _Match(2, "pdq", 7, "Category A"),
    ]
    assert item_category(hits) == ("Category A", False)
    # Reversed order of the same hits: the nearest still decides.
    assert item_category(list(reversed(hits))) == ("Category A", False)


def test_one_sets_nearest_hits_that_disagree_at_the_same_distance_are_a_conflict() -> None:
    # Two entries of set 1 lie equally near with different labels: the set does
    # not say which, so the item is a conflict, whatever order the rows came in.
    hits = [_Match(1, "pdq", 5, "Category A"), _Match(1, "pdq", 5, "Category B")]
    assert item_category(hits) == (CONFLICT, False)
    assert item_category(list(reversed(hits))) == (CONFLICT, False)


def test_one_sets_equally_near_hits_that_agree_count_under_their_label() -> None:
    hits = [
        _Match(1, "pdq", 5, "Category B"),
        _Match(1, "pdq", 9, "Category C"),
        _Match(1, "pdq", 5, "Category B"),
    ]
    assert item_category(hits) == ("Category B", False)


def test_a_label_outside_the_scheme_counts_under_itself() -> None:
    """A set's own label (an 'other' row of the table), never folded into A/B/C."""
    assert item_category([_Match(1, "md5", 0, "Not indecent (other)")]) == (
        "Not indecent (other)",
        True,
    )


def test_hits_stored_before_labels_fall_back_to_the_raw_key() -> None:
    assert hit_label(_Match(1, "md5", 0, None, category="B")) == "B"
    assert hit_label(_Match(1, "md5", 0, None, category=None)) == "—"


def test_basis_names_what_the_count_rests_on() -> None:
    review_set = {9}
    assert basis([_Match(1, "pdq", 3, "Category A")], review_set) == "perceptual"
    assert basis([_Match(9, "md5", 0, "Category A")], review_set) == "graded"
    both = [_Match(9, "md5", 0, "Category A"), _Match(1, "md5", 0, "Category A")]
    assert basis(both, review_set) == "exact"

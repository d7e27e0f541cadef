"""``lookup``: exact hits for crypto hashes, PDQ hits within the threshold with distances."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vigil.errors import UsageError
from vigil.hashsets import library
from vigil.hashsets.lookup import lookup, parse_query
from vigil.store.engine import Store

PDQ = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"


def flip(hex_hash: str, bits: int) -> str:
    value = int(hex_hash, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


@pytest.fixture
def library_with_sets(store: Store, tmp_path: Path) -> Store:
    graded = tmp_path / "graded.csv"
    graded.write_text(
        "md5,pdq,category,name\n"
        f"{hashlib.md5(b'a').hexdigest()},{PDQ},A,a.jpg\n"
        f"{hashlib.md5(b'b').hexdigest()},{flip(PDQ, 31)},C,b.jpg\n"
        f"{hashlib.md5(b'c').hexdigest()},{flip(PDQ, 32)},B,c.jpg\n"
    )
    known = tmp_path / "known.txt"
    known.write_text(hashlib.md5(b"a").hexdigest() + "\n")
    library.import_file(store, graded, "graded")
    library.import_file(store, known, "known", known_good=True)
    return store


def test_exact_md5_in_two_sets(library_with_sets: Store) -> None:
    [result] = lookup(library_with_sets, [hashlib.md5(b"a").hexdigest()])
    assert result.kinds == ("md5",)
    assert sorted((h.set_name, h.category_label, h.distance) for h in result.hits) == [
        ("graded", "Category A", 0),
        ("known", "Uncategorised", 0),
    ]


def test_pdq_within_threshold_with_distances(library_with_sets: Store) -> None:
    [result] = lookup(library_with_sets, [f"pdq:{PDQ}"])
    assert [(h.name, h.distance) for h in result.hits] == [("a.jpg", 0), ("b.jpg", 31)]
    [tight] = lookup(library_with_sets, [f"pdq:{PDQ}"], threshold=10)
    assert [h.name for h in tight.hits] == ["a.jpg"]


def test_64_hex_digits_try_sha256_and_pdq(library_with_sets: Store) -> None:
    [result] = lookup(library_with_sets, [PDQ])
    assert result.kinds == ("sha256", "pdq")
    assert {h.algorithm for h in result.hits} == {"pdq"}


def test_miss(library_with_sets: Store) -> None:
    [result] = lookup(library_with_sets, ["0" * 40])
    assert result.hits == []


@pytest.mark.parametrize("bad", ["xyz", "0" * 31, "md4:" + "0" * 32, "md5:" + "g" * 32])
def test_bad_queries_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_query(bad)


def test_a_batch_answers_as_each_query_alone(library_with_sets: Store) -> None:
    queries = [
        f"pdq:{PDQ}",
        hashlib.md5(b"a").hexdigest(),
        flip(PDQ, 5),
        hashlib.md5(b"zz").hexdigest(),
        hashlib.md5(b"a").hexdigest(),  # a repeat is answered again, in its place
        f"pdq:{flip(PDQ, 40)}",
    ]
    batch = lookup(library_with_sets, queries)
    alone = [lookup(library_with_sets, [q])[0] for q in queries]
    assert [r.query for r in batch] == [q.removeprefix("pdq:") for q in queries]
    assert batch == alone
    assert [len(r.hits) for r in batch] == [2, 2, 3, 0, 2, 2]


def test_a_batch_larger_than_one_in_clause(library_with_sets: Store) -> None:
    misses = [hashlib.md5(str(n).encode()).hexdigest() for n in range(1200)]
    results = lookup(library_with_sets, [*misses, hashlib.md5(b"b").hexdigest()])
    assert sum(bool(r.hits) for r in results) == 1
    assert [h.name for h in results[-1].hits] == ["b.jpg"]

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


def test_a_query_is_trimmed_and_lower_cased_and_its_kind_named_or_guessed() -> None:
    md5 = hashlib.md5(b"a").hexdigest()
    assert parse_query(f"  md5:{md5.upper()} \n") == (md5, ("md5",), bytes.fromhex(md5))
    assert parse_query(f" {md5.upper()}\t") == (md5, ("md5",), bytes.fromhex(md5))
    sha1 = hashlib.sha1(b"a").hexdigest()
    assert parse_query(sha1) == (sha1, ("sha1",), bytes.fromhex(sha1))
    assert parse_query(f"sha1:{sha1}")[1] == ("sha1",)
    assert parse_query(PDQ) == (PDQ, ("sha256", "pdq"), bytes.fromhex(PDQ))
    assert parse_query(f"sha256:{PDQ}")[1] == ("sha256",)
    assert parse_query(f"pdq:{PDQ.upper()}") == (PDQ, ("pdq",), bytes.fromhex(PDQ))


def test_bad_queries_say_what_is_wrong_in_one_line() -> None:
    with pytest.raises(UsageError) as unknown:
        parse_query("md4:" + "0" * 32)
    assert str(unknown.value) == "unknown hash kind 'md4': use md5, sha1, sha256 or pdq"
    with pytest.raises(UsageError) as length:
        parse_query("  " + "0" * 31 + " ")
    assert str(length.value) == (
        f"'{'0' * 31}' is no MD5 (32 hex digits), SHA-1 (40) or SHA-256/PDQ (64)"
    )
    with pytest.raises(UsageError) as short:
        parse_query("md5:" + "0" * 30)
    assert str(short.value) == f"md5 must be 32 hex digits, got 30: '{'0' * 30}'"
    with pytest.raises(UsageError) as not_hex:
        parse_query("g" * 40)
    assert str(not_hex.value) == f"sha1 is not hexadecimal: '{'g' * 40}'"


@pytest.fixture
def sets_in_any_order(store: Store, tmp_path: Path) -> Store:
    """Sets imported out of name order, with SHA-1 and SHA-256 entries and repeated hashes."""
    a, b = hashlib.md5(b"a").hexdigest(), hashlib.md5(b"b").hexdigest()
    sha1, sha256 = hashlib.sha1(b"s").hexdigest(), hashlib.sha256(b"s").hexdigest()
    zeta = tmp_path / "zeta.csv"
    zeta.write_text(f"md5,pdq,category,name\n{a},{flip(PDQ, 3)},C,z1.jpg\n{b},{PDQ},B,z2.jpg\n")
    alpha = tmp_path / "alpha.csv"
    alpha.write_text(
        "md5,sha1,sha256,pdq,category,name\n"
        f"{a},,,{flip(PDQ, 3)},A,a1.jpg\n"
        f",{sha1},{sha256},,B,a2.jpg\n"
    )
    good = tmp_path / "good.txt"
    good.write_text(a + "\n")
    library.import_file(store, zeta, "zeta")
    library.import_file(store, good, "middle-good", known_good=True)
    library.import_file(store, alpha, "alpha")
    return store


def test_hits_are_ordered_by_distance_then_set_name_and_say_all_about_the_entry(
    sets_in_any_order: Store,
) -> None:
    [exact] = lookup(sets_in_any_order, [hashlib.md5(b"a").hexdigest()])
    got = [
        (h.set_name, h.known_good, h.algorithm, h.distance, h.category, h.name) for h in exact.hits
    ]
    assert got == [
        ("alpha", False, "md5", 0, "A", "a1.jpg"),
        ("middle-good", True, "md5", 0, None, None),
        ("zeta", False, "md5", 0, "C", "z1.jpg"),
    ]
    assert [h.category_label for h in exact.hits] == ["Category A", "Uncategorised", "Category C"]
    assert len({h.entry_id for h in exact.hits}) == 3
    [near] = lookup(sets_in_any_order, [f"pdq:{PDQ}"])
    assert [(h.set_name, h.name, h.distance, h.algorithm) for h in near.hits] == [
        ("zeta", "z2.jpg", 0, "pdq"),
        ("alpha", "a1.jpg", 3, "pdq"),
        ("zeta", "z1.jpg", 3, "pdq"),
    ]


def test_sha1_and_sha256_are_looked_up_in_their_own_column(sets_in_any_order: Store) -> None:
    sha1, sha256 = hashlib.sha1(b"s").hexdigest(), hashlib.sha256(b"s").hexdigest()
    by_sha1, by_sha256 = lookup(sets_in_any_order, [sha1, f"sha256:{sha256}"])
    assert [(h.set_name, h.algorithm, h.name) for h in by_sha1.hits] == [
        ("alpha", "sha1", "a2.jpg")
    ]
    assert [(h.set_name, h.algorithm, h.name) for h in by_sha256.hits] == [
        ("alpha", "sha256", "a2.jpg")
    ]
    assert by_sha1.kinds == ("sha1",) and by_sha256.kinds == ("sha256",)
    [bare] = lookup(sets_in_any_order, [sha256])  # 64 digits: SHA-256 and PDQ both tried
    assert [(h.algorithm, h.name) for h in bare.hits] == [("sha256", "a2.jpg")]


def test_the_default_pdq_threshold_is_31_bits(library_with_sets: Store) -> None:
    [at_31] = lookup(library_with_sets, [flip(PDQ, 31)])
    assert [(h.name, h.distance) for h in at_31.hits] == [
        ("b.jpg", 0),
        ("c.jpg", 1),
        ("a.jpg", 31),
    ]


def test_only_the_first_colon_separates_the_kind() -> None:
    with pytest.raises(UsageError) as caught:
        parse_query("md5:" + "0" * 32 + ":x")
    assert str(caught.value) == f"md5 must be 32 hex digits, got 34: '{'0' * 32}:x'"


def test_more_pdq_hits_than_one_in_clause_are_all_answered(store: Store, tmp_path: Path) -> None:
    many = tmp_path / "many.csv"
    rows = [
        f"{hashlib.md5(str(n).encode()).hexdigest()},{flip(PDQ, n % 20)},C,{n}.jpg"
        for n in range(1_200)
    ]
    many.write_text("md5,pdq,category,name\n" + "\n".join(rows) + "\n")
    library.import_file(store, many, "many")
    [result] = lookup(store, [f"pdq:{PDQ}"])
    assert len(result.hits) == 1_200
    assert sorted(int(h.name.removesuffix(".jpg")) for h in result.hits) == list(range(1_200))
    assert all(h.distance == int(h.name.removesuffix(".jpg")) % 20 for h in result.hits)

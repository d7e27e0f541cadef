"""Matching rules a court figure rests on: which hit counts, and that no digest is missed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from vigil.hashsets import library
from vigil.matching.synthetic import flip_exact, random_hashes
from vigil.scan.matcher import Hit, Matcher, best_hit, review_from
from vigil.store.engine import Store
from vigil.store.schema import hash_entry, hashset, hashset_version


def _hit(algorithm: str, distance: int, set_name: str, *, known_good: bool = False) -> Hit:
    return Hit(
        set_id=1, set_name=set_name, entry_id=1, algorithm=algorithm, distance=distance,
        variant=None if algorithm != "pdq" else 0, category="1", known_good=known_good,
        category_label="Category A", set_revision=1,
    )  # fmt: skip


def test_an_exact_hit_beats_a_nearer_looking_pdq_hit() -> None:
    exact = _hit("md5", 0, "zz-set")
    pdq = _hit("pdq", 0, "aa-set")  # distance 0 and an earlier name: still perceptual
    assert best_hit([pdq, exact]) is exact
    assert best_hit([exact, pdq]) is exact


def test_graded_beats_known_good_and_nearest_pdq_wins() -> None:
    known = _hit("sha256", 0, "nsrl", known_good=True)
    far = _hit("pdq", 20, "a")
    near = _hit("pdq", 3, "b")
    assert best_hit([known, far, near]) is near
    assert best_hit([known]) is known
    assert best_hit([]) is None
    assert best_hit([_hit("pdq", 3, "b"), tie := _hit("pdq", 3, "a")]) is tie  # then by set name


def test_review_state_one_graded_hit_among_known_good_is_a_hit() -> None:
    known = _hit("md5", 0, "nsrl", known_good=True)
    graded = _hit("pdq", 5, "cat-set")
    assert review_from("image", "ok", [known, graded]) == "hit"
    assert review_from("image", "ok", [graded, known]) == "hit"
    assert review_from("document", "error", [graded]) == "hit"  # a hit whatever the file
    assert review_from("image", "ok", [known]) == "known"
    assert review_from(None, "error", [known, known]) == "known"


def test_review_state_without_hits_only_readable_pictures_and_videos_are_unknown() -> None:
    assert review_from("image", "ok", []) == "unknown"
    assert review_from("video", "ok", []) == "unknown"
    assert review_from("image", "error", []) == "none"  # unreadable: nothing to review
    assert review_from("document", "ok", []) == "none"
    assert review_from(None, "ok", []) == "none"


@dataclass(frozen=True)
class _Item:
    md5: bytes | None
    sha1: bytes | None = None
    sha256: bytes | None = None
    pdq_quality: int | None = None
    pdq_variants: bytes | None = None


def test_more_distinct_digests_than_one_query_takes_all_match(store: Store, tmp_path: Path) -> None:
    """1,200 distinct MD5s (past SQLite's old 999-variable limit and the 500 a query holds)."""
    digests = [
        hashlib.md5(f"file-{i}".encode(), usedforsecurity=False).digest() for i in range(1200)
    ]
    listing = tmp_path / "set.txt"
    listing.write_text("".join(d.hex() + "\n" for d in digests))
    library.import_file(store, listing, "big-list")
    with store.connect() as conn:
        matcher = Matcher(conn)
        items = [_Item(d) for d in digests] + [_Item(b"\x00" * 16)]
        hits = matcher.match(conn, items)
    assert [len(h) for h in hits[:-1]] == [1] * 1200
    assert hits[-1] == []
    assert {h[0].set_name for h in hits[:-1]} == {"big-list"}
    assert all(h[0].algorithm == "md5" and h[0].distance == 0 for h in hits[:-1])


def test_more_pdq_hit_entries_than_one_query_takes_all_get_their_category(
    store: Store, tmp_path: Path
) -> None:
    """1,200 PDQ-only hits, each on its own entry: every entry's category is fetched."""
    rng = np.random.default_rng(1200)
    bank = random_hashes(1200, rng)
    media = [
        {
            "MediaID": i + 1,
            "MD5": hashlib.md5(f"pdq-{i}".encode(), usedforsecurity=False).hexdigest(),
            "PDQ": bank[i].tobytes().hex(),
            "Category": 1 + i % 3,
        }
        for i in range(1200)
    ]
    listing = tmp_path / "set.json"
    context = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
    listing.write_text(json.dumps({"@odata.context": context, "value": media}))
    library.import_file(store, listing, "pdq-set")
    # Each item's first variant is its entry's hash; the other seven lie far away.
    items = []
    for i in range(1200):
        variants = random_hashes(8, rng)
        variants[0] = bank[i]
        items.append(_Item(None, pdq_quality=90, pdq_variants=variants.tobytes()))
    with store.connect() as conn:
        hits = Matcher(conn).match(conn, items)
    assert [len(h) for h in hits] == [1] * 1200
    assert [h[0].category for h in hits] == ["ABC"[i % 3] for i in range(1200)]
    assert all(h[0].algorithm == "pdq" and h[0].distance == 0 for h in hits)


def test_pdq_hits_nearest_variant_threshold_quality_and_exact_first(
    store: Store, tmp_path: Path
) -> None:
    rng = np.random.default_rng(22)
    bank = random_hashes(3, rng)  # entries A, B, C; random hashes lie ~128 bits apart
    md5s = [hashlib.md5(f"pdq-{i}".encode(), usedforsecurity=False).digest() for i in range(3)]
    media = [
        {"MediaID": i + 1, "MD5": md5s[i].hex(), "PDQ": bank[i].tobytes().hex(), "Category": i + 1}
        for i in range(3)
    ]
    sha256_c = hashlib.sha256(b"pdq-2").digest()
    media[2]["SHA256"] = sha256_c.hex()
    listing = tmp_path / "set.json"
    context = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
    listing.write_text(json.dumps({"@odata.context": context, "value": media}))
    library.import_file(store, listing, "pdq-set")

    def variants(*planted: tuple[int, int, int]) -> bytes:
        """Eight far-away variants, except (slot, entry, bits) planted near an entry."""
        out = random_hashes(8, rng)
        for slot, entry, bits in planted:
            out[slot] = flip_exact(bank[entry : entry + 1], np.array([bits]), rng)[0]
        return out.tobytes()

    items = [
        _Item(None, pdq_quality=80, pdq_variants=variants((3, 0, 5), (5, 0, 2))),
        _Item(None, pdq_quality=50, pdq_variants=variants((0, 1, 31))),  # both bounds inclusive
        _Item(None, pdq_quality=80, pdq_variants=variants((0, 1, 32))),
        _Item(None, pdq_quality=49, pdq_variants=variants((0, 0, 0))),  # too poor to compare
        _Item(None, pdq_quality=None, pdq_variants=variants((0, 0, 0))),
        _Item(md5s[2], pdq_quality=80, pdq_variants=variants((0, 2, 0), (1, 0, 4))),
        _Item(None),
        _Item(None, pdq_quality=80, pdq_variants=variants((6, 0, 1), (7, 0, 4))),
        _Item(None, pdq_quality=80, pdq_variants=variants((2, 1, 3), (4, 1, 3))),  # a tie
        _Item(md5s[2], sha256=sha256_c),  # one entry by two digests: one hit
        _Item(md5s[2]),  # the same MD5 as the item before
    ]
    with store.connect() as conn:
        hits = Matcher(conn).match(conn, items)
        strict = Matcher(conn, pdq_threshold=10).match(conn, items[:2])
        set_id = conn.execute(sa.select(hashset.c.id)).scalar_one()
        entry_ids = {r.category: r.id for r in conn.execute(sa.select(hash_entry))}
    seen = [[(h.algorithm, h.category, h.distance, h.variant) for h in item] for item in hits]
    assert seen == [
        [("pdq", "A", 2, 5)],  # each entry once, by its nearest variant
        [("pdq", "B", 31, 0)],
        [],
        [],
        [],
        [("md5", "C", 0, None), ("pdq", "A", 4, 1)],  # C matched exactly: no PDQ hit on C
        [],
        [("pdq", "A", 1, 6)],  # the nearest copy, though in an earlier slot
        [("pdq", "B", 3, 2)],  # equally near: the first variant
        [("sha256", "C", 0, None)],
        [("md5", "C", 0, None)],
    ]
    assert [[(h.distance, h.variant) for h in item] for item in strict] == [[(2, 5)], []]
    every = [h for item in hits for h in item]
    assert {(h.set_name, h.set_id, h.set_revision) for h in every} == {("pdq-set", set_id, 1)}
    assert all(h.entry_id == entry_ids[h.category] for h in every)
    assert all(h.known_good is False for h in every)
    assert {h.category: h.category_label for h in every} == {
        "A": "Category A", "B": "Category B", "C": "Category C"
    }  # fmt: skip


def test_describe_names_each_set_at_its_current_version(store: Store, tmp_path: Path) -> None:
    """The provenance a run records: every set, known-good or not, at the version matched."""
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_text(hashlib.md5(b"bad", usedforsecurity=False).hexdigest() + "\n")
    good.write_text(hashlib.md5(b"good", usedforsecurity=False).hexdigest() + "\n")
    library.import_file(store, bad, "bad-list")
    library.import_file(store, good, "good-list", known_good=True)
    bad.write_text(bad.read_text() + hashlib.md5(b"worse", usedforsecurity=False).hexdigest())
    library.import_file(store, bad, "bad-list")  # a second version: the current one counts
    with store.connect() as conn:
        matcher = Matcher(conn)
        described = {d["name"]: d for d in matcher.describe()}
        versions = {
            r.hashset_id: r
            for r in conn.execute(
                sa.select(hashset_version).join(
                    hashset, hashset.c.current_version_id == hashset_version.c.id
                )
            )
        }
        (good_hit,) = matcher.match(
            conn, [_Item(hashlib.md5(b"good", usedforsecurity=False).digest())]
        )[0]
    assert set(described) == {"bad-list", "good-list"}
    for d in described.values():
        v = versions[d["id"]]
        assert d["version_id"] == v.id and d["version"] == v.version
        assert d["source_sha256"] == v.source_sha256 and d["source_date"] == v.source_date
        assert d["format"] == v.format == "plain"
        assert d["imported_at"] == v.imported_at.isoformat()
    assert described["bad-list"]["entry_count"] == 2 and described["good-list"]["entry_count"] == 1
    assert described["bad-list"]["known_good"] is False and described["good-list"]["known_good"]
    assert good_hit.known_good is True and good_hit.set_name == "good-list"


def test_describe_follows_the_current_version_not_the_newest(store: Store, tmp_path: Path) -> None:
    """A set pointed back at an older version is described at that version, with its scheme."""
    listed = tmp_path / "bad.txt"
    listed.write_text(hashlib.md5(b"bad", usedforsecurity=False).hexdigest() + "\n")
    library.import_file(store, listed, "bad-list")
    listed.write_text(listed.read_text() + hashlib.md5(b"worse", usedforsecurity=False).hexdigest())
    library.import_file(store, listed, "bad-list")
    with store.begin() as conn:
        first = conn.execute(
            sa.select(hashset_version.c.id, hashset_version.c.version).order_by(
                hashset_version.c.id
            )
        ).first()
        assert first is not None
        conn.execute(sa.update(hashset).values(current_version_id=first.id))
    with store.connect() as conn:
        (described,) = Matcher(conn).describe()
        revision = conn.execute(sa.select(hashset.c.revision)).scalar_one()
    assert described["version_id"] == first.id and described["version"] == first.version
    assert described["entry_count"] == 1
    assert described["scheme"] == "uk"
    assert described["revision"] == revision == 2

"""Grouping the grading queue: exact duplicates by MD5, near duplicates by PDQ distance."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from vigil.demo.imagegen import encode, make_picture
from vigil.hashing.pdq import hash_image
from vigil.web import grouping
from vigil.web.grouping import PairCache, Picture, group_pictures


def _picture(data: bytes, item_ids: list[int], family: str = "image") -> Picture:
    result = hash_image(data)
    md5 = hashlib.md5(data).hexdigest()
    variants = b"".join(result.dihedral)
    return Picture(md5, item_ids, family, f"{md5[:6]}.jpg", result.hash, result.quality, variants)


def test_near_duplicates_join_and_distinct_pictures_do_not() -> None:
    base = make_picture(11)
    original = encode(base)
    smaller = encode(base.resize((320, 240)))
    recompressed = encode(base, quality=55)
    other = encode(make_picture(12))
    pictures = [
        _picture(original, [1, 7]),
        _picture(other, [2]),
        _picture(smaller, [3]),
        _picture(recompressed, [4]),
    ]
    groups = group_pictures(pictures, 31)
    assert [sorted(g.item_ids) for g in groups] == [[1, 3, 4, 7], [2]]
    near = groups[0]
    assert near.key == min(p.md5 for p in near.pictures)
    assert near.distance[0] == 0 and all(0 <= d <= 31 for d in near.distance)
    shown = near.as_json()
    assert shown["items"] == 4 and [p["copies"] for p in shown["pictures"]] == [2, 1, 1]


def test_threshold_zero_keeps_only_exact_duplicates() -> None:
    base = make_picture(13)
    pictures = [_picture(encode(base), [1]), _picture(encode(base.resize((300, 225))), [2])]
    assert pictures[0].pdq != pictures[1].pdq
    assert len(group_pictures(pictures, 0)) == 2
    assert len(group_pictures(pictures, 31)) == 1


def test_mirrored_and_rotated_copies_join_their_original() -> None:
    # As the scan's matcher does, all 8 rotations and flips are compared.
    base = make_picture(14)
    mirrored = _picture(encode(ImageOps.mirror(base)), [2])
    rotated = _picture(encode(base.rotate(90, expand=True)), [3])
    original = _picture(encode(base), [1])
    assert (
        int.from_bytes(original.pdq or b"", "big") ^ int.from_bytes(mirrored.pdq or b"", "big")
    ).bit_count() > 31
    groups = group_pictures(
        [original, mirrored, rotated, _picture(encode(make_picture(15)), [4])], 31
    )
    assert [sorted(g.item_ids) for g in groups] == [[1, 2, 3], [4]]
    assert all(0 <= d <= 31 for d in groups[0].distance)


def test_without_stored_variants_only_the_hash_is_compared() -> None:
    base = make_picture(16)
    plain = [_picture(encode(base), [1]), _picture(encode(ImageOps.mirror(base)), [2])]
    for picture in plain:
        picture.pdq_variants = None  # an item scanned before variants were stored
    assert len(group_pictures(plain, 31)) == 2


def test_low_quality_and_video_hashes_join_nothing() -> None:
    flat = Image.fromarray(np.full((200, 200, 3), 128, np.uint8))
    a, b = encode(flat), encode(flat, quality=50)
    low = [_picture(a, [1]), _picture(b, [2])]
    assert all((p.pdq_quality or 0) < 50 for p in low)
    assert len(group_pictures(low, 31)) == 2
    clip = Picture("ab" * 16, [3], "video", "clip.mp4", None, None)
    groups = group_pictures([*low, clip], 31)
    assert [g.item_ids for g in groups] == [[1], [2], [3]]


def test_grouping_is_transitive() -> None:
    # a~b and b~c put a, b and c in one group even when a and c are further apart.
    base = make_picture(15)
    steps = [base.resize((640 - 90 * i, 480 - 68 * i)).resize((640, 480)) for i in range(4)]
    pictures = [_picture(encode(s, quality=40 + 10 * i), [i]) for i, s in enumerate(steps)]
    groups = group_pictures(pictures, 31)
    assert len(groups) == 1 and sorted(groups[0].item_ids) == [0, 1, 2, 3]


def test_the_index_path_finds_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    pictures = [_picture(encode(make_picture(1000 + i, (96, 72))), [i]) for i in range(40)]
    copies = [
        _picture(encode(make_picture(1000 + i, (96, 72)), quality=60), [100 + i]) for i in range(40)
    ]
    everything = pictures + copies
    brute = grouping.near_pairs(everything, 31)
    monkeypatch.setattr(grouping, "INDEX_FROM", 10)  # the PDQ index, in a temporary folder
    assert grouping.near_pairs(everything, 31) == brute
    groups = group_pictures(everything, 31)
    by_item = {i: g.key for g in groups for i in g.item_ids}
    assert all(by_item[i] == by_item[100 + i] for i in range(40))
    assert len(groups) == 40


def test_cached_pairs_follow_a_shrinking_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    base = make_picture(16)
    chain = [base.resize((640 - 90 * i, 480 - 68 * i)).resize((640, 480)) for i in range(4)]
    pictures = [_picture(encode(s, quality=40 + 10 * i), [i]) for i, s in enumerate(chain)]
    calls = []
    real = grouping.near_pairs
    monkeypatch.setattr(grouping, "near_pairs", lambda p, t: calls.append(len(p)) or real(p, t))
    cache = PairCache()
    first = group_pictures(pictures, 31, cache.pairs(7, pictures, 31))
    assert len(first) == 1
    # Grading removes pictures; what is left regroups from the cached pairs alone.
    rest = [pictures[0], pictures[3]]
    again = group_pictures(rest, 31, cache.pairs(7, rest, 31))
    assert calls == [4]
    expected = group_pictures(rest, 31)
    assert [g.item_ids for g in again] == [g.item_ids for g in expected]
    # A new picture (a new scan) means computing again.
    extra = _picture(encode(make_picture(17)), [9])
    cache.pairs(7, [*rest, extra], 31)
    assert calls[-1] == 3

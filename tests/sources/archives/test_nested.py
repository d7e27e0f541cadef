"""Nested containers: depth-first order, replayed streams, depth and budget limits."""

from __future__ import annotations

import hashlib
import io

import pytest

from vigil.sources.archives import iter_nested
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

from .samples import compress, read_all, sevenzip_bytes, tar_bytes, zip_bytes

JPEG_LIKE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20


def _paths(found: list) -> list[str]:  # type: ignore[type-arg]
    return [" > ".join(layer.path for layer in m.locator.layers[1:]) for m, _ in found]


def test_members_of_inner_containers_follow_their_container() -> None:
    inner_zip = zip_bytes([("deep.jpg", JPEG_LIKE)])
    inner_tgz = tar_bytes([("in_tar.txt", b"t"), ("z.zip", inner_zip)], "gz")
    outer = sevenzip_bytes([("a.txt", b"a"), ("b.tgz", inner_tgz), ("c.txt", b"c")])
    found = read_all(outer, "7z", nested=True)
    assert _paths(found) == [
        "a.txt",
        "b.tgz",
        "b.tgz > in_tar.txt",
        "b.tgz > z.zip",
        "b.tgz > z.zip > deep.jpg",
        "c.txt",
    ]
    contents = {path: content for path, (_, content) in zip(_paths(found), found, strict=True)}
    assert contents["b.tgz"] == inner_tgz  # the container itself is readable, whole
    assert contents["b.tgz > z.zip"] == inner_zip
    assert contents["b.tgz > z.zip > deep.jpg"] == JPEG_LIKE  # sniffed bytes replayed
    types = [m.locator.leaf.type for m, _ in found]
    assert types == ["7z", "7z", "tar", "tar", "zip", "7z"]


def test_single_compressed_member_is_expanded() -> None:
    outer = zip_bytes([("log.txt.gz", compress(b"line\n" * 100, "gzip"))])
    found = read_all(outer, "zip", nested=True)
    assert _paths(found) == ["log.txt.gz", "log.txt.gz > log.txt"]
    assert found[1][1] == b"line\n" * 100


def test_unread_members_do_not_break_the_walk() -> None:
    inner = zip_bytes([("x.txt", b"x")])
    stream = io.BytesIO(tar_bytes([("skip.bin", b"s" * 10_000), ("in.zip", inner)], "gz"))
    names = [
        m.locator.leaf.path
        for m in iter_nested(stream, "gzip", Locator.for_path("/e/t.tgz"), Limits(), Budget(10**9))
    ]
    assert names == ["skip.bin", "in.zip", "x.txt"]


def test_depth_limit_becomes_a_note() -> None:
    data = zip_bytes([("leaf.txt", b"leaf")])
    for level in range(6):
        data = zip_bytes([(f"level{level}.zip", data)])
    found = read_all(data, "zip", nested=True, limits=Limits(max_depth=3))
    notes = [m for m, _ in found if m.kind == "container"]
    assert len(notes) == 1
    assert notes[0].status == "limit"
    assert "nested deeper than 3" in notes[0].reason
    assert max(m.locator.depth for m, _ in found if m.kind == "file") == 3
    assert not any(m.name == "leaf.txt" for m, _ in found)
    too_deep = [(m, content) for m, content in found if m.locator.depth == 3]
    assert len(too_deep) == 1
    content = too_deep[0][1]
    assert isinstance(content, bytes) and content.startswith(b"PK")  # still readable itself
    assert notes[0].locator.parent == too_deep[0][0].locator


def test_42_zip_style_bomb_stops_on_budget() -> None:
    leaf = zip_bytes([(f"zeros{i}.bin", bytes(1024 * 1024)) for i in range(4)])
    level = leaf
    for _ in range(3):  # 4 x 4 x 4 leaves: 256 MiB of zeros when fully expanded
        level = zip_bytes([(f"part{i}.zip", level) for i in range(4)])
    assert len(level) < 200_000
    limits = Limits(max_ratio=10**9)  # test the budget alone
    budget = Budget(20 * 1024 * 1024)
    found = read_all(level, "zip", nested=True, limits=limits, budget=budget)
    limited = [
        m
        for m, content in found
        if m.status == "limit" or (isinstance(content, str) and "LimitExceeded" in content)
    ]
    assert limited
    assert budget.used_bytes <= budget.limit_bytes + 2 * 1024 * 1024


def test_42_zip_style_bomb_stops_on_ratio() -> None:
    leaf = zip_bytes([("zeros.bin", bytes(8 * 1024 * 1024))])
    level = zip_bytes([(f"part{i}.zip", leaf) for i in range(8)])
    found = read_all(level, "zip", nested=True)
    leaves = [m for m, _ in found if m.name == "zeros.bin"]
    assert len(leaves) == 8
    assert all(m.status == "limit" and "ratio" in m.reason for m in leaves)


def test_unknown_type_raises_at_once() -> None:
    with pytest.raises(ValueError, match="not a container type"):
        iter_nested(io.BytesIO(b""), "jpeg", Locator.for_path("/e/x"), Limits(), Budget(1))


def test_bytes_read_once_give_the_same_hash() -> None:
    blob = bytes(range(256)) * 1000
    found = read_all(zip_bytes([("blob.bin", blob)]), "zip", nested=True)
    content = found[0][1]
    assert isinstance(content, bytes)
    assert hashlib.sha256(content).digest() == hashlib.sha256(blob).digest()

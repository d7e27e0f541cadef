"""One suite every container reader must pass: round trip, damage, limits, locators."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from vigil.errors import SourceError
from vigil.sources.archives import CONTAINER_TYPES
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

from ..phones.samples import adb_bytes
from .samples import Entry, members, read_all, sevenzip_bytes, tar_bytes, zip_bytes

# py7zr will not write traversal names, and 7z writes no directory entries here.
ENTRIES: list[Entry] = [
    ("top.txt", b"top level\n" * 30),
    ("dir/inner.bin", bytes(range(256)) * 30),
    ("dir/empty", b""),
    ("noise.bin", random.Random(11).randbytes(20_000)),
    ("last.txt", b"the end"),
]

# name: (builder, registry key, layer type of members)
FORMATS: dict[str, tuple[Callable[[list[Entry]], bytes], str, str]] = {
    "zip": (zip_bytes, "zip", "zip"),
    "tar": (tar_bytes, "tar", "tar"),
    "tar.gz": (lambda e: tar_bytes(e, "gz"), "gzip", "tar"),
    "tar.bz2": (lambda e: tar_bytes(e, "bz2"), "bzip2", "tar"),
    "tar.xz": (lambda e: tar_bytes(e, "xz"), "xz", "tar"),
    "7z": (sevenzip_bytes, "7z", "7z"),
    "ab": (lambda e: adb_bytes(e, compressed=False), "adb-backup", "adb"),
    "ab.z": (adb_bytes, "adb-backup", "adb"),
}


@pytest.fixture(params=sorted(FORMATS))
def fmt(request: pytest.FixtureRequest) -> tuple[bytes, str, str]:
    builder, key, layer = FORMATS[request.param]
    return builder(ENTRIES), key, layer


def test_round_trip_in_order(fmt: tuple[bytes, str, str]) -> None:
    data, key, _layer = fmt
    found = read_all(data, key)
    assert [(m.name, content) for m, content in found] == ENTRIES
    assert all(m.status == "ok" and m.kind == "file" for m, _ in found)


def test_locators(fmt: tuple[bytes, str, str]) -> None:
    data, key, layer = fmt
    outer = Locator.for_path("/evidence/archive")
    found = members(data, key, outer="/evidence/archive")
    assert all(m.locator.parent == outer for m in found)
    assert all(m.locator.leaf.type == layer and m.locator.leaf.path == m.name for m in found)
    assert len({m.locator.key() for m in found}) == len(found)
    assert all(Locator.from_json(m.locator.key()) == m.locator for m in found)


def test_max_entries(fmt: tuple[bytes, str, str]) -> None:
    data, key, _ = fmt
    found = members(data, key, limits=Limits(max_entries=2))
    assert [m.name for m in found[:2]] == [name for name, _ in ENTRIES[:2]]
    assert len(found) == 3
    assert (found[2].kind, found[2].status) == ("container", "limit")


def test_depth_limit(fmt: tuple[bytes, str, str]) -> None:
    data, key, _ = fmt
    deep = Locator.for_path("/e").child("zip", "a").child("zip", "b")
    reader = CONTAINER_TYPES[key]
    import io

    found = list(reader.iter_members(io.BytesIO(data), deep, Limits(max_depth=2), Budget(10**9)))
    assert [(m.kind, m.status) for m in found] == [("container", "limit")]


def _exercise(data: bytes, key: str) -> None:
    """List and read everything; only SourceError may come out of a member read."""
    import io

    reader = CONTAINER_TYPES[key]
    limits = Limits(ratio_grace_bytes=64 * 1024)
    budget = Budget(50 * 1024 * 1024)
    for member in reader.iter_members(io.BytesIO(data), Locator.for_path("/e/x"), limits, budget):
        if member.status == "ok" and member.kind == "file":
            try:
                with member.open() as stream:
                    while stream.read(65536):
                        pass
            except SourceError:
                pass


def test_truncation_never_escapes(fmt: tuple[bytes, str, str]) -> None:
    data, key, _ = fmt
    for cut in sorted({0, 1, 10, 100, len(data) // 4, len(data) // 2, len(data) - 10}):
        _exercise(data[:cut], key)


def test_random_damage_never_escapes(fmt: tuple[bytes, str, str]) -> None:
    data, key, _ = fmt
    rng = random.Random(2024)
    for _ in range(60):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        _exercise(bytes(damaged), key)

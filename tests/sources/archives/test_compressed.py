"""Single-file gzip/bzip2/xz: member naming, damage and bombs."""

from __future__ import annotations

import random

import pytest

from vigil.sources.archives.compressed import gzip_header
from vigil.sources.limits import Budget, Limits

from .samples import compress, gzip_named, members, read_all

PAYLOAD = b"a benign log line\n" * 200


@pytest.mark.parametrize(
    ("kind", "outer", "expected"),
    [
        ("gzip", "/e/notes.txt.gz", "notes.txt"),
        ("gzip", "/e/backup.tgz", "backup.tar"),
        ("gzip", "/e/ODD.TXT.GZ", "ODD.TXT"),
        ("gzip", "/e/renamed.dat", "renamed.dat"),
        ("bzip2", "/e/notes.txt.bz2", "notes.txt"),
        ("bzip2", "/e/b.tbz2", "b.tar"),
        ("xz", "/e/notes.txt.xz", "notes.txt"),
        ("xz", "/e/c.txz", "c.tar"),
    ],
)
def test_single_member_named_after_outer_name(kind: str, outer: str, expected: str) -> None:
    found = read_all(compress(PAYLOAD, kind), kind, outer=outer)
    assert len(found) == 1
    member, content = found[0]
    assert (member.name, content) == (expected, PAYLOAD)
    assert member.locator.leaf.type == kind
    assert member.size is None  # not declared by the format (gzip ISIZE is unreliable)
    assert member.compressed_size == len(compress(PAYLOAD, kind))


def test_gzip_fname_header_wins_and_gives_mtime() -> None:
    found = read_all(gzip_named(PAYLOAD, "Original Name.txt"), "gzip", outer="/e/x.gz")
    member, content = found[0]
    assert (member.name, content) == ("Original Name.txt", PAYLOAD)
    assert member.mtime == 1_600_000_000.0


def test_gzip_header_parser_keeps_odd_bytes() -> None:
    head = b"\x1f\x8b\x08\x08" + b"\x00" * 6 + b"caf\xe9.txt\x00"
    name, mtime = gzip_header(head)
    assert name is not None and name.encode("utf-8", "surrogateescape") == b"caf\xe9.txt"
    assert mtime is None
    assert gzip_header(b"not gzip") == (None, None)


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_truncated_stream_fails_on_read_not_on_listing(kind: str) -> None:
    data = compress(random.Random(3).randbytes(200_000), kind)
    found = read_all(data[: len(data) // 2], kind, outer="/e/x.bin.gz")
    member, content = found[0]
    assert member.status == "ok"
    assert isinstance(content, str) and content.startswith("MemberReadError")


def test_truncated_bzip2_block_is_an_error_note() -> None:
    # bzip2 decodes whole blocks (up to 900 kB): half a block gives nothing to sniff.
    data = compress(random.Random(3).randbytes(200_000), "bzip2")
    (note,) = members(data[: len(data) // 2], "bzip2")
    assert (note.kind, note.status) == ("container", "error")
    assert "end-of-stream" in note.reason


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz"])
def test_garbage_is_an_error_note(kind: str) -> None:
    (note,) = members(b"\x00garbage" * 100, kind)
    assert (note.kind, note.status) == ("container", "error")


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz"])
def test_bomb_stops_on_ratio_while_reading(kind: str) -> None:
    data = compress(bytes(30 * 1024 * 1024), kind)
    found = read_all(data, kind)
    content = found[0][1]
    assert isinstance(content, str) and content.startswith("LimitExceeded")
    assert "ratio" in content


def test_bomb_stops_on_member_size() -> None:
    data = compress(bytes(3 * 1024 * 1024), "gzip")
    limits = Limits(max_ratio=10**9, max_member_bytes=1024 * 1024)
    content = read_all(data, "gzip", limits=limits)[0][1]
    assert isinstance(content, str) and "more than 1048576 bytes in one member" in content


def test_bomb_stops_on_budget() -> None:
    data = compress(bytes(3 * 1024 * 1024), "xz")
    content = read_all(data, "xz", limits=Limits(max_ratio=10**9), budget=Budget(1024 * 1024))[0][1]
    assert isinstance(content, str) and "expanded more than" in content

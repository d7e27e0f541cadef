"""7z reader: streaming members, encryption, damage, dictionaries and bombs."""

from __future__ import annotations

import io
import random
import struct
import zlib

import py7zr
import pytest

from vigil.sources.archives import CONTAINER_TYPES, MemberReadError
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

from .samples import members, read_all, sevenzip_bytes

ENTRIES = [
    ("a.txt", b"hello " * 1000),
    ("sub/b.bin", bytes(range(256)) * 40),
    ("empty.txt", b""),
    ("c.txt", b"last one"),
]


def test_lists_and_reads_in_order() -> None:
    found = read_all(sevenzip_bytes(ENTRIES), "7z")
    assert [(m.name, content) for m, content in found] == ENTRIES
    assert all(m.locator.leaf.type == "7z" for m, _ in found)
    assert found[0][0].size == 6000
    assert found[0][0].mtime is not None


def test_directories_listed() -> None:
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        archive.writestr(b"x", "dir/x.txt")
    # py7zr writes only files from writestr; list what there is.
    names = [m.name for m in members(out.getvalue(), "7z")]
    assert names == ["dir/x.txt"]


def test_skipping_members_in_a_solid_block() -> None:
    stream = io.BytesIO(sevenzip_bytes(ENTRIES))
    budget = Budget(10**9)
    got = {}
    reader = CONTAINER_TYPES["7z"]
    for member in reader.iter_members(stream, Locator.for_path("/e/a.7z"), Limits(), budget):
        if member.name in ("sub/b.bin", "c.txt"):
            with member.open() as data:
                got[member.name] = data.read()
    assert got == {"sub/b.bin": ENTRIES[1][1], "c.txt": b"last one"}
    assert budget.used_bytes >= 6000  # the skipped a.txt was decoded and charged


def test_reopening_an_earlier_member_restarts_the_block() -> None:
    listed = members(sevenzip_bytes(ENTRIES), "7z")
    with listed[3].open() as data:
        assert data.read() == b"last one"
    with listed[0].open() as data:
        assert data.read() == ENTRIES[0][1]


def test_partial_read_then_next_member() -> None:
    stream = io.BytesIO(sevenzip_bytes(ENTRIES))
    reader = CONTAINER_TYPES["7z"]
    seen = []
    for member in reader.iter_members(stream, Locator.for_path("/e/a.7z"), Limits(), Budget(10**9)):
        if member.status == "ok":
            with member.open() as data:
                seen.append(data.read(3))
    assert seen == [b"hel", bytes([0, 1, 2]), b"", b"las"]


def test_encrypted_content_is_not_opened() -> None:
    found = members(sevenzip_bytes(ENTRIES, password="secret"), "7z")
    assert [m.name for m in found] == [name for name, _ in ENTRIES]
    encrypted = [m for m in found if m.size]
    assert encrypted and all(m.status == "encrypted" for m in encrypted)
    assert all(m.locator.leaf.get("encrypted") is True for m in encrypted)
    with pytest.raises(MemberReadError):
        encrypted[0].open()


def test_encrypted_header_is_one_note() -> None:
    (note,) = members(sevenzip_bytes(ENTRIES, password="secret", header_encryption=True), "7z")
    assert (note.kind, note.status) == ("container", "encrypted")


def test_traversal_names_listed_as_stored() -> None:
    # py7zr refuses to write such names: write placeholders, then patch the header.
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        archive.set_encoded_header_mode(False)
        archive.writestr(b"x", "QQ/QQ/etc/x")
        archive.writestr(b"y", "Qabs/y")
    data = _patch_names(out.getvalue(), {"QQ/QQ/etc/x": "../../etc/x", "Qabs/y": "/abs/y"})
    found = read_all(data, "7z")
    assert [(m.name, content) for m, content in found] == [("../../etc/x", b"x"), ("/abs/y", b"y")]


def _patch_names(data: bytes, renames: dict[str, str]) -> bytes:
    """Replace same-length UTF-16 names in a plain 7z header and fix both header CRCs."""
    raw = bytearray(data)
    offset, size = struct.unpack_from("<QQ", raw, 12)
    start = 32 + offset
    header = bytes(raw[start : start + size])
    for old, new in renames.items():
        assert len(old) == len(new)
        header = header.replace(old.encode("utf-16-le"), new.encode("utf-16-le"))
    raw[start : start + size] = header
    struct.pack_into("<I", raw, 28, zlib.crc32(header))
    struct.pack_into("<I", raw, 8, zlib.crc32(bytes(raw[12:32])))
    return bytes(raw)


def test_corrupt_data_gives_member_read_error() -> None:
    noise = random.Random(5).randbytes(50_000)
    data = bytearray(sevenzip_bytes([("noise.bin", noise)]))
    data[100:120] = b"\x00" * 20  # inside the packed stream, after the 32-byte signature header
    content = read_all(bytes(data), "7z")[0][1]
    assert isinstance(content, str) and content.startswith("MemberReadError")


def test_truncated_archive_is_an_error_note() -> None:
    data = sevenzip_bytes(ENTRIES)
    (note,) = members(data[: len(data) // 2], "7z")
    assert (note.kind, note.status) == ("container", "error")


def test_huge_declared_dictionary_is_refused() -> None:
    found = members(sevenzip_bytes(ENTRIES), "7z", limits=Limits(max_dictionary_bytes=1024))
    assert all(m.status == "limit" for m in found if m.size)
    assert "dictionary" in next(m for m in found if m.size).reason


def test_bomb_refused_from_declared_sizes() -> None:
    data = sevenzip_bytes([("zeros.bin", bytes(20 * 1024 * 1024))])
    (member,) = members(data, "7z")
    assert member.status == "limit"


def test_skip_beyond_budget_is_refused_without_decoding() -> None:
    data = sevenzip_bytes([("zeros.bin", bytes(4 * 1024 * 1024)), ("after.txt", b"after")])
    limits = Limits(max_ratio=10**9)
    content = read_all(data, "7z", limits=limits, budget=Budget(1024 * 1024))
    # zeros.bin is read (and stopped by the budget); after.txt needs it decoded first.
    assert isinstance(content[0][1], str) and "LimitExceeded" in content[0][1]
    assert isinstance(content[1][1], str) and "LimitExceeded" in content[1][1]


def test_max_entries_counts_the_rest() -> None:
    found = members(sevenzip_bytes(ENTRIES), "7z", limits=Limits(max_entries=1))
    assert found[1].status == "limit"
    assert "3 more entries not listed" in found[1].reason

"""Tar reader: plain and compressed tars, links, order, damage and limits."""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from vigil.sources.archives import MemberReadError
from vigil.sources.limits import Budget, Limits

from .samples import STANDARD, members, read_all, tar_bytes


@pytest.mark.parametrize(
    ("compression", "reader"), [("", "tar"), ("gz", "gzip"), ("bz2", "bzip2"), ("xz", "xz")]
)
def test_reads_plain_and_compressed_tars(compression: str, reader: str) -> None:
    found = read_all(tar_bytes(STANDARD, compression), reader)
    # tarfile drops the trailing slash of directory names.
    assert [m.name for m, _ in found] == [name.rstrip("/") for name, _ in STANDARD]
    assert all(m.locator.leaf.type == "tar" for m, _ in found)
    for (member, content), (_, data) in zip(found, STANDARD, strict=True):
        assert content == data
        assert member.mtime == 1_600_000_000.0
        if data is not None:
            assert member.size == len(data)


def test_traversal_and_absolute_names_are_kept() -> None:
    names = [m.name for m in members(tar_bytes(STANDARD), "tar")]
    assert "../../etc/x" in names
    assert "/abs/x" in names


def test_links_and_special_files_are_skipped() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        data = b"payload"
        info = tarfile.TarInfo("file.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        for name, kind, target in [
            ("soft", tarfile.SYMTYPE, "file.txt"),
            ("hard", tarfile.LNKTYPE, "file.txt"),
            ("fifo", tarfile.FIFOTYPE, ""),
            ("null", tarfile.CHRTYPE, ""),
        ]:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            archive.addfile(info)
    found = members(out.getvalue(), "tar")
    kinds = {m.name: (m.kind, m.status, m.link_target) for m in found}
    assert kinds == {
        "file.txt": ("file", "ok", None),
        "soft": ("symlink", "skipped", "file.txt"),
        "hard": ("hardlink", "skipped", "file.txt"),
        "fifo": ("special", "skipped", None),
        "null": ("special", "skipped", None),
    }


def test_unread_members_are_skipped_in_order() -> None:
    entries = [(f"f{i}", bytes([i]) * 10_000) for i in range(5)]
    stream = io.BytesIO(tar_bytes(entries, "gz"))
    from vigil.sources.archives import CONTAINER_TYPES
    from vigil.sources.locator import Locator

    got = {}
    for member in CONTAINER_TYPES["gzip"].iter_members(
        stream, Locator.for_path("/e/x.tgz"), Limits(), Budget(10**9)
    ):
        if member.name in ("f1", "f4"):
            with member.open() as data:
                got[member.name] = data.read()
    assert got == {"f1": bytes([1]) * 10_000, "f4": bytes([4]) * 10_000}


def test_opening_an_earlier_member_fails_cleanly() -> None:
    from vigil.sources.archives import CONTAINER_TYPES
    from vigil.sources.locator import Locator

    stream = io.BytesIO(tar_bytes([("a", b"a" * 2000), ("b", b"b" * 2000)]))
    listed = list(
        CONTAINER_TYPES["tar"].iter_members(
            stream, Locator.for_path("/e/x.tar"), Limits(), Budget(10**9)
        )
    )
    with pytest.raises(MemberReadError):
        listed[0].open().read()


@pytest.mark.parametrize(("compression", "reader"), [("", "tar"), ("gz", "gzip")])
def test_truncated_tar_keeps_members_then_reports_error(compression: str, reader: str) -> None:
    noise = random.Random(7)  # incompressible, so a cut lands inside the last member
    entries = [
        ("a", noise.randbytes(3000)),
        ("b", noise.randbytes(3000)),
        ("c", noise.randbytes(60_000)),
    ]
    data = tar_bytes(entries, compression)
    found = read_all(data[: len(data) // 2], reader)
    assert [(m.name, content) for m, content in found[:2]] == entries[:2]
    note = found[-1][0]
    assert (note.kind, note.status) == ("container", "error")
    assert "end" in note.reason  # "unexpected end of data", "ended before …", "no end-of-archive"


def test_corrupt_header_mid_archive_is_reported() -> None:
    data = bytearray(tar_bytes([("a", b"a" * 600), ("b", b"b" * 600)]))
    second = data.find(b"b" + b"\x00" * 50, 1024)  # the second header's name field
    data[second + 148 : second + 156] = b"9999999\x00"  # break its checksum
    found = read_all(bytes(data), "tar")
    assert found[0][0].name == "a"
    assert found[-1][0].status == "error"
    assert "unreadable header" in found[-1][0].reason


def test_not_a_tar_is_an_error_note() -> None:
    (note,) = members(b"\x01" * 2048, "tar")
    assert (note.kind, note.status) == ("container", "error")


def test_empty_tar_has_no_members() -> None:
    assert members(tar_bytes([]), "tar") == []


def test_max_entries_on_a_stream_says_further_entries() -> None:
    data = tar_bytes([(f"f{i}", b"x") for i in range(6)])
    found = members(data, "tar", limits=Limits(max_entries=2))
    assert [m.name for m in found[:2]] == ["f0", "f1"]
    assert found[2].status == "limit"
    assert "further entries not listed" in found[2].reason


def test_declared_member_size_limit() -> None:
    (member,) = members(
        tar_bytes([("big", b"x" * 4096)]), "tar", limits=Limits(max_member_bytes=1000)
    )
    assert member.status == "limit"


def test_compressed_tar_bomb_stops_on_budget() -> None:
    data = tar_bytes([("zeros", bytes(8 * 1024 * 1024)), ("after", b"never reached")], "gz")
    found = read_all(data, "gzip", limits=Limits(max_ratio=10**9), budget=Budget(2 * 1024 * 1024))
    first_content = found[0][1]
    assert isinstance(first_content, str) and "LimitExceeded" in first_content
    assert found[-1][0].status == "limit"


def test_compressed_tar_bomb_stops_on_ratio() -> None:
    data = tar_bytes([("zeros", bytes(20 * 1024 * 1024))], "gz")
    found = read_all(data, "gzip")
    content = found[0][1]
    assert isinstance(content, str) and "ratio" in content


def test_member_declaring_2_to_88_bytes_ends_the_listing_not_the_scan() -> None:
    """A base-256 size field of ~2^88 bytes once made tarfile skip for ever."""
    info = tarfile.TarInfo("liar")
    info.size = 256**11 - 1  # the largest a 12-byte base-256 field holds
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    data = tar_bytes([("before", b"kept")])[:1024] + header + bytes(1024)
    found = read_all(data, "tar")
    assert found[0][0].name == "before"
    assert found[0][1] == b"kept"
    liar = next(m for m, _ in found if m.name == "liar")
    assert liar.status == "limit"  # over the member-size limit, never opened
    note = found[-1][0]
    assert (note.kind, note.status) == ("container", "error")
    assert "runs past the end" in note.reason

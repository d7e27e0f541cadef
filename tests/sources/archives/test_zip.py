"""Zip reader: listing, names as stored, zip64, encryption, damage and bombs."""

from __future__ import annotations

import io
import shutil
import stat
import struct
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest

from vigil.sources.archives import MemberReadError
from vigil.sources.limits import Budget, LimitExceeded, Limits

from .samples import STANDARD, aes_extra, members, patch_zip, read_all, zip_bytes


def test_lists_every_entry_with_names_exactly_as_stored() -> None:
    found = read_all(zip_bytes(STANDARD), "zip")
    assert [m.name for m, _ in found] == [name for name, _ in STANDARD]
    by_name = {m.name: (m, data) for m, data in found}
    assert by_name["docs/"][0].kind == "dir"
    assert by_name["docs/"][0].is_dir
    for name, data in STANDARD:
        if data is not None:
            assert by_name[name][1] == data
    traversal = by_name["../../etc/x"][0]
    assert traversal.locator.leaf.path == "../../etc/x"
    assert traversal.locator.leaf.type == "zip"
    assert traversal.locator.parent is not None


def test_member_fields() -> None:
    member = next(m for m in members(zip_bytes(STANDARD), "zip") if m.name == "docs/readme.txt")
    assert member.status == "ok"
    assert member.size == 600
    assert member.compressed_size is not None and member.compressed_size < 600
    # DOS time has no zone: reported as if UTC.
    assert member.mtime == 1577934246.0


def test_extended_timestamp_wins_over_dos_time() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("a.txt", date_time=(2020, 1, 1, 0, 0, 0))
        info.extra = struct.pack("<HHBi", 0x5455, 5, 1, 1_234_567_890)
        archive.writestr(info, b"x")
    (member,) = members(out.getvalue(), "zip")
    assert member.mtime == 1_234_567_890.0


def test_stored_and_other_methods_read() -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        found = read_all(zip_bytes([("a.bin", b"abc" * 1000)], method), "zip")
        assert found[0][1] == b"abc" * 1000


def test_zip64_is_read() -> None:
    data = zip_bytes([("big.bin", b"z" * 5000), ("small.txt", b"s")], force_zip64=True)
    assert b"\x01\x00\x10\x00" in data  # a zip64 extra field is present
    found = read_all(data, "zip")
    assert [(m.name, content) for m, content in found] == [
        ("big.bin", b"z" * 5000),
        ("small.txt", b"s"),
    ]


def test_duplicate_names_get_distinct_locators() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on duplicates
        data = zip_bytes([("a.txt", b"first"), ("a.txt", b"second")])
    first, second = members(data, "zip")
    assert first.locator != second.locator
    assert first.locator.key() != second.locator.key()
    assert second.locator.leaf.get("occurrence") == 2
    assert first.locator.leaf.get("occurrence") is None


def test_zipcrypto_flag_means_encrypted_and_never_opened() -> None:
    data = patch_zip(zip_bytes([("secret.jpg", b"not really a jpeg")]), flags=0x1)
    (member,) = members(data, "zip")
    assert member.status == "encrypted"
    assert "ZipCrypto" in member.reason
    assert member.locator.leaf.get("encrypted") is True
    with pytest.raises(MemberReadError):
        member.open()


def test_aes_encrypted_zip_detected_from_extra_field() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("secret.png")
        info.extra = aes_extra()
        archive.writestr(info, b"ciphertext stand-in")
    data = patch_zip(out.getvalue(), flags=0x1, method=99)
    (member,) = members(data, "zip")
    assert member.status == "encrypted"
    assert "AES" in member.reason


@pytest.mark.skipif(shutil.which("zip") is None, reason="Debian 'zip' tool not installed")
def test_zip_tool_password_archive(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"benign")
    subprocess.run(
        ["zip", "-q", "-P", "pw", "enc.zip", "a.txt"], cwd=tmp_path, check=True, timeout=60
    )
    (member,) = members((tmp_path / "enc.zip").read_bytes(), "zip")
    assert member.status == "encrypted"


def test_unsupported_method_reported() -> None:
    data = patch_zip(zip_bytes([("a.txt", b"x" * 100)], zipfile.ZIP_STORED), method=9)
    (member,) = members(data, "zip")
    assert member.status == "unsupported"
    assert "deflate64" in member.reason


def test_unix_symlink_entry_is_skipped_with_target() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, b"../target.jpg")
    (member,) = members(out.getvalue(), "zip")
    assert (member.kind, member.status, member.link_target) == (
        "symlink",
        "skipped",
        "../target.jpg",
    )


def test_truncated_zip_recovers_members_then_reports_error() -> None:
    data = zip_bytes([("a.txt", b"a" * 1000), ("b.txt", b"b" * 1000), ("c.txt", b"c" * 5000)])
    cut = data[: data.find(b"PK\x03\x04", data.find(b"c.txt") - 40) + 40]  # inside c's header
    found = read_all(cut, "zip")
    assert [(m.name, content) for m, content in found[:2]] == [
        ("a.txt", b"a" * 1000),
        ("b.txt", b"b" * 1000),
    ]
    note = found[-1][0]
    assert (note.kind, note.status) == ("container", "error")
    assert "2 entries recovered" in note.reason
    assert found[0][0].locator.leaf.get("recovered") is True


def test_recovery_with_data_descriptors() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(_Unseekable(out), "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("one.txt", b"1" * 3000)
        archive.writestr("two.txt", b"2" * 3000)
    data = out.getvalue()
    assert struct.unpack_from("<H", data, 6)[0] & 0x8  # sizes follow the data
    cut = data[: data.find(b"PK\x01\x02")]  # central directory lost
    found = read_all(cut, "zip")
    assert [(m.name, content) for m, content in found[:2]] == [
        ("one.txt", b"1" * 3000),
        ("two.txt", b"2" * 3000),
    ]
    assert found[-1][0].status == "error"


def test_not_a_zip_is_an_error_note_not_an_exception() -> None:
    (note,) = members(b"this is not a zip at all" * 10, "zip")
    assert (note.kind, note.status) == ("container", "error")
    assert "central directory unreadable" in note.reason


def test_corrupt_member_data_raises_member_read_error() -> None:
    data = bytearray(zip_bytes([("a.txt", bytes(range(256)) * 40)]))
    start = data.find(b"a.txt") + 5
    data[start + 10 : start + 40] = b"\xff" * 30
    (member,) = members(bytes(data), "zip")
    assert member.status == "ok"
    with pytest.raises(MemberReadError), member.open() as stream:
        stream.read()


def test_classic_bomb_is_refused_from_declared_sizes() -> None:
    data = zip_bytes([("zeros.bin", bytes(20 * 1024 * 1024))])
    assert len(data) < 100_000
    (member,) = members(data, "zip")
    assert member.status == "limit"
    assert "ratio" in member.reason
    with pytest.raises(MemberReadError):
        member.open()


def test_member_size_limit_from_declared_size() -> None:
    (member,) = members(
        zip_bytes([("a.bin", b"x" * 5000)]), "zip", limits=Limits(max_member_bytes=100)
    )
    assert member.status == "limit"


def test_budget_stops_many_small_expansions() -> None:
    entries = [(f"part{i}.bin", bytes(300_000)) for i in range(10)]
    found = read_all(zip_bytes(entries), "zip", budget=Budget(1_000_000))
    texts = [content for _, content in found]
    assert texts[:3] == [bytes(300_000)] * 3
    assert all(isinstance(t, str) and t.startswith("LimitExceeded") for t in texts[3:])


def test_stored_members_do_not_use_the_budget() -> None:
    entries = [(f"part{i}.bin", b"s" * 300_000) for i in range(5)]
    budget = Budget(1000)
    found = read_all(zip_bytes(entries, zipfile.ZIP_STORED), "zip", budget=budget)
    assert all(content == b"s" * 300_000 for _, content in found)
    assert budget.used_bytes == 0


def test_max_entries_reports_how_many_were_not_listed() -> None:
    data = zip_bytes([(f"f{i}.txt", b"x") for i in range(10)])
    found = members(data, "zip", limits=Limits(max_entries=3))
    assert [m.name for m in found[:3]] == ["f0.txt", "f1.txt", "f2.txt"]
    assert len(found) == 4
    assert found[3].status == "limit"
    assert "7 more entries not listed" in found[3].reason


def test_limit_exceeded_is_a_source_error() -> None:
    from vigil.errors import SourceError

    assert issubclass(LimitExceeded, SourceError)
    assert issubclass(MemberReadError, SourceError)


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek, so zipfile writes data descriptors."""

    def __init__(self, sink: io.BytesIO) -> None:
        self._sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        return self._sink.write(data)  # type: ignore[arg-type]

    def flush(self) -> None:
        pass

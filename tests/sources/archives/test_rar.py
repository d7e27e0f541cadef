"""RAR reader against the real ``rarfile`` backend: stored RAR 5 archives written by rar5.py.

Compressed and encrypted RAR can be made only by RARLAB's non-free ``rar``;
those tests run where it is installed and otherwise skip naming it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.sources.archives import rar as rar_reader
from vigil.sources.identify import sniff

from .rar5 import rar5_bytes
from .samples import members, read_all

RAR4 = b"Rar!\x1a\x07\x00" + b"\x00" * 100
MAY_2021 = int(datetime(2021, 5, 6, tzinfo=UTC).timestamp())
STORED = [
    ("docs", None, MAY_2021),
    ("docs/stored.txt", b"stored data", MAY_2021),
    ("pictures/grey.raw", bytes(range(256)) * 64, MAY_2021),
    ("empty.bin", b"", MAY_2021),
]
RAR_TOOL = shutil.which("rar")
needs_rar = pytest.mark.skipif(
    RAR_TOOL is None,
    reason="needs RARLAB's rar command to make compressed/encrypted RAR (non-free, not in Debian)",
)


def test_rar_signatures_are_sniffed() -> None:
    assert sniff(RAR4).name == "rar"
    assert sniff(rar5_bytes(STORED)).name == "rar"


def test_without_rarfile_the_archive_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rarfile", None)  # makes `import rarfile` fail
    (note,) = members(rar5_bytes(STORED), "rar")
    assert (note.kind, note.status) == ("container", "unsupported")
    assert "rarfile" in note.reason


def test_stored_members_are_listed_and_read() -> None:
    found = {m.name.rstrip("/"): (m, content) for m, content in read_all(rar5_bytes(STORED), "rar")}
    assert set(found) == {"docs", "docs/stored.txt", "pictures/grey.raw", "empty.bin"}
    assert found["docs"][0].kind == "dir"
    for name, data, _ in STORED:
        if data is not None:
            member, content = found[name]
            assert (member.kind, member.status, content) == ("file", "ok", data)
            assert member.size == len(data)
            assert member.mtime == MAY_2021
            assert member.locator.leaf.type == "rar"


def test_a_damaged_member_is_an_error_not_data() -> None:
    data = bytearray(rar5_bytes([("a.txt", b"original bytes", MAY_2021)]))
    at = data.find(b"original bytes")
    data[at] ^= 0xFF  # the stored CRC32 no longer matches
    (found,) = read_all(bytes(data), "rar")
    member, content = found
    assert member.name == "a.txt"
    assert isinstance(content, str) and content != "original bytes"  # an exception's text


def test_without_a_tool_compressed_members_are_unsupported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rar_reader, "_has_tool", lambda _rarfile: False)
    labelled = rar5_bytes([("packed.txt", b"not really packed", MAY_2021)], method=3)
    (member,) = members(labelled, "rar")
    assert member.status == "unsupported"
    assert "unrar" in member.reason


def test_a_later_volume_is_a_note() -> None:
    (note,) = members(rar5_bytes(STORED, volume_number=1), "rar")
    assert (note.kind, note.status) == ("container", "unsupported")
    assert "first volume" in note.reason


def _rar(tmp_path: Path, *options: str) -> bytes:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_bytes(b"compressible text " * 500)
    out = tmp_path / "out.rar"
    subprocess.run(
        [str(RAR_TOOL), "a", "-m5", *options, str(out), "a.txt"],
        cwd=source, check=True, capture_output=True,
    )  # fmt: skip
    return out.read_bytes()


@needs_rar
def test_compressed_rar_made_by_rar(tmp_path: Path) -> None:
    ((member, content),) = read_all(_rar(tmp_path), "rar")
    if rar_reader._has_tool(__import__("rarfile")):
        assert content == b"compressible text " * 500
    else:
        assert member.status == "unsupported"


@needs_rar
def test_encrypted_headers_and_members_made_by_rar(tmp_path: Path) -> None:
    (note,) = members(_rar(tmp_path, "-hpsecret"), "rar")
    assert (note.kind, note.status) == ("container", "encrypted")
    (member,) = members(_rar(tmp_path / "m", "-psecret"), "rar")
    assert member.status == "encrypted"

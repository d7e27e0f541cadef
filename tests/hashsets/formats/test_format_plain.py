"""Plain one-hash-per-line lists."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError
from vigil.hashsets.formats.plain import read_plain
from vigil.hashsets.model import HashEntry


def test_reads_mixed_kinds_by_length_skipping_blanks_and_comments(tmp_path: Path) -> None:
    md5 = hashlib.md5(b"a").hexdigest()
    sha1 = hashlib.sha1(b"b").hexdigest().upper()
    sha256 = hashlib.sha256(b"c").hexdigest()
    path = tmp_path / "list.txt"
    path.write_text(f"# known hashes\n{md5}\n\n  {sha1}  \r\n{sha256}\n")

    parsed = read_plain(path)

    assert list(parsed.entries) == [
        HashEntry(md5=bytes.fromhex(md5)),
        HashEntry(sha1=bytes.fromhex(sha1)),
        HashEntry(sha256=bytes.fromhex(sha256)),
    ]
    assert parsed.info == {"entries": "3", "hash_kinds": "md5,sha1,sha256"}


def test_reads_a_file_with_a_bom(tmp_path: Path) -> None:
    md5 = hashlib.md5(b"a").hexdigest()
    path = tmp_path / "list.txt"
    path.write_bytes(b"\xef\xbb\xbf" + md5.encode() + b"\n")
    assert list(read_plain(path).entries) == [HashEntry(md5=bytes.fromhex(md5))]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("a" * 33, "33 hex digits is no MD5"),
        ("z" * 32, "md5 is not hexadecimal"),
        ("a" * 32 + "  name.jpg", "no MD5 (32), SHA-1 (40) or SHA-256 (64)"),
    ],
)
def test_a_bad_line_names_its_number_and_shows_it(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "list.txt"
    path.write_text(f"{'b' * 32}\n# comment\n{line}\n")
    with pytest.raises(ImportFormatError) as caught:
        list(read_plain(path).entries)
    assert caught.value.where == "line 3"
    assert reason in caught.value.reason
    assert repr(line) in caught.value.reason


def test_a_long_bad_line_is_shown_shortened(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("x" * 5000 + "\n")
    with pytest.raises(ImportFormatError) as caught:
        list(read_plain(path).entries)
    assert "…" in caught.value.reason
    assert len(str(caught.value)) < 400

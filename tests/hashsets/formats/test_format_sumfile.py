"""md5sum / sha1sum / sha256sum output, GNU and BSD-tag forms."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError
from vigil.hashsets.formats.sumfile import read_sumfile
from vigil.hashsets.model import HashEntry

DATA = {"a.jpg": b"file-a", "dir/b c.png": b"file-b", "*star.gif": b"file-c"}


def sum_output(algorithm: str, marker: str = " ") -> str:
    """What ``<algorithm>sum`` prints for DATA: text mode '  name', binary mode ' *name'."""
    return "".join(
        f"{hashlib.new(algorithm, data).hexdigest()} {marker}{name}\n"
        for name, data in DATA.items()
    )


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
@pytest.mark.parametrize("marker", [" ", "*"])
def test_reads_gnu_output_of_each_tool(tmp_path: Path, algorithm: str, marker: str) -> None:
    path = tmp_path / "SUMS"
    path.write_text(sum_output(algorithm, marker))

    parsed = read_sumfile(path)
    entries = list(parsed.entries)

    expected = []
    for name, data in DATA.items():
        entry = HashEntry(name=name)
        setattr(entry, algorithm, hashlib.new(algorithm, data).digest())
        expected.append(entry)
    assert entries == expected
    assert parsed.info == {"entries": "3", "hash_kinds": algorithm}


def test_reads_bsd_tags_crlf_and_escaped_names(tmp_path: Path) -> None:
    md5 = hashlib.md5(b"x").hexdigest()
    sha256 = hashlib.sha256(b"y").hexdigest().upper()
    sha1 = hashlib.sha1(b"z").hexdigest()
    path = tmp_path / "SUMS"
    path.write_bytes(
        f"MD5 (photo one.jpg) = {md5}\r\n"
        f"SHA256 (b.png) = {sha256}\r\n"
        f"\\{sha1}  new\\nline\\\\back.jpg\r\n".encode()
    )

    entries = list(read_sumfile(path).entries)

    assert entries[0] == HashEntry(md5=bytes.fromhex(md5), name="photo one.jpg")
    assert entries[1] == HashEntry(sha256=bytes.fromhex(sha256), name="b.png")
    assert entries[2] == HashEntry(sha1=bytes.fromhex(sha1), name="new\nline\\back.jpg")


def test_blank_lines_and_comments_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "SUMS"
    path.write_text("# made by a test\n\n" + sum_output("md5"))
    assert len(list(read_sumfile(path).entries)) == 3


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("just some words", "not 'HASH  name'"),
        (f"{'a' * 128}  big.iso", "128 hex digits is no MD5"),
        (f"SHA1 (x) = {'a' * 32}", "the tag says SHA1 but the hash has a md5 length"),
        (f"{'a' * 31}g  name", "not 'HASH  name'"),
    ],
)
def test_bad_lines_name_the_line_and_show_it(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "SUMS"
    path.write_text(sum_output("md5") + line + "\n")
    with pytest.raises(ImportFormatError) as caught:
        list(read_sumfile(path).entries)
    assert caught.value.where == "line 4"
    assert reason in caught.value.reason
    assert repr(line[:80] + ("…" if len(line) > 80 else "")) in caught.value.reason


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "SUMS"
    path.write_bytes(b"")
    with pytest.raises(ImportFormatError, match="empty"):
        read_sumfile(path)


def test_reads_md5deep_z_output_with_its_size_column(tmp_path: Path) -> None:
    path = tmp_path / "md5deep.txt"
    digest = hashlib.md5(b"file-a").hexdigest()
    path.write_text(f"         6  {digest}  /case/a.jpg\n")
    (entry,) = list(read_sumfile(path).entries)
    assert entry == HashEntry(md5=bytes.fromhex(digest), name="/case/a.jpg", size=6)


def test_a_bad_line_is_refused_unless_skipped(tmp_path: Path) -> None:
    digest = hashlib.md5(b"file-a").hexdigest()
    path = tmp_path / "SUMS"
    path.write_text(f"{digest}  a.jpg\nmd5sum: b.jpg: Permission denied\n{digest}  c.jpg\n")
    with pytest.raises(ImportFormatError, match="line 2"):
        list(read_sumfile(path).entries)
    parsed = read_sumfile(path, skip_bad_lines=True)
    assert [e.name for e in parsed.entries] == ["a.jpg", "c.jpg"]
    assert parsed.info["skipped_lines"] == "1"
    assert parsed.info["skipped_line_reasons"].startswith("line 2: ")

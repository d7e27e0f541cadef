"""hashdeep CSV output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError
from vigil.hashsets.formats.hashdeep import read_hashdeep
from vigil.hashsets.model import HashEntry

HEADER = "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n"
PREAMBLE = "## Invoked from: /home/examiner\n## $ hashdeep -r exhibit\n##\n"


def row(data: bytes, name: str) -> str:
    """The hashdeep line for ``data`` stored as ``name``."""
    md5 = hashlib.md5(data).hexdigest()
    return f"{len(data)},{md5},{hashlib.sha256(data).hexdigest()},{name}\n"


def write(tmp_path: Path, text: str) -> Path:
    """Write a hashdeep sample and return its path."""
    path = tmp_path / "hashes.hashdeep"
    path.write_text(text)
    return path


def test_reads_rows_and_the_run_details(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + PREAMBLE + row(b"one", "/x/a.jpg") + row(b"", "/x/a, b.txt"))

    parsed = read_hashdeep(path)
    entries = list(parsed.entries)

    assert entries == [
        HashEntry(
            md5=hashlib.md5(b"one").digest(),
            sha256=hashlib.sha256(b"one").digest(),
            name="/x/a.jpg",
            size=3,
        ),
        HashEntry(
            md5=hashlib.md5(b"").digest(),
            sha256=hashlib.sha256(b"").digest(),
            name="/x/a, b.txt",  # commas in the last column belong to the name
            size=0,
        ),
    ]
    assert parsed.info == {
        "invoked_from": "/home/examiner",
        "command": "hashdeep -r exhibit",
        "entries": "2",
        "hash_kinds": "md5,sha256",
    }


def test_other_algorithms_are_kept_in_extra(tmp_path: Path) -> None:
    header = "%%%% HASHDEEP-1.0\n%%%% size,sha1,tiger,filename\n"
    sha1 = hashlib.sha1(b"x").hexdigest()
    path = write(tmp_path, f"{header}1,{sha1},ABCDEF,x.bin\n")
    (entry,) = read_hashdeep(path).entries
    assert entry.sha1 == bytes.fromhex(sha1)
    assert entry.extra == {"tiger": "abcdef"}


def test_a_repeated_header_may_change_the_columns(tmp_path: Path) -> None:
    sha1 = hashlib.sha1(b"y").hexdigest()
    text = (
        HEADER + row(b"x", "x") + "%%%% HASHDEEP-1.0\n%%%% size,sha1,filename\n" + f"1,{sha1},y\n"
    )
    entries = list(read_hashdeep(write(tmp_path, text)).entries)
    assert entries[1] == HashEntry(sha1=bytes.fromhex(sha1), name="y", size=1)


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("size,md5,filename\n", "line 1", "a hashdeep file starts with"),
        ("%%%% HASHDEEP-1.0\nsize,md5,filename\n", "line 2", "expected the column line"),
        ("%%%% HASHDEEP-1.0\n%%%% size,md5\n", "line 2", "must be distinct and end with filename"),
        ("%%%% HASHDEEP-1.0\n%%%% size,tiger,filename\n", "line 2", "name no md5, sha1 or sha256"),
        (HEADER + PREAMBLE + "x," + row(b"a", "a")[2:], "line 6", "size: not a size in bytes"),
        (HEADER + "3,abc,def,name\n", "line 3", "md5: md5 must be 32 hex digits"),
        (HEADER + "3,name\n", "line 3", "2 fields, the header has 4"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, where: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ImportFormatError) as caught:
        list(read_hashdeep(path).entries)
    assert caught.value.where == where
    assert reason in caught.value.reason
    assert "the line reads" in caught.value.reason

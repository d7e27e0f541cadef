"""iLook Investigator hash files: the V1, V3 and V4 layouts md5deep/hashdeep define."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError
from vigil.hashsets.formats import detect_format, read_hashset
from vigil.hashsets.formats.ilook import HEADERS, read_ilook
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import load_scheme

V1, V3, V4 = HEADERS


def _hex(kind: str, data: bytes) -> str:
    return hashlib.new(kind, data).hexdigest()


def _v3_row(data: bytes, name: str, path: str, *, v4: bool = False) -> str:
    row = [_hex("md5", data), _hex("sha1", data), name, path, str(len(data)),
           _hex("sha256", data), _hex("sha384", data), _hex("sha512", data)]  # fmt: skip
    if v4:
        row += ["2024-01-02 03:04:05", "2024-01-02 03:04:06", ""]
    return ",".join(row) + "\n"


def write(tmp_path: Path, text: str) -> Path:
    """Write an iLook sample and return its path."""
    path = tmp_path / "hashes.txt"
    path.write_text(text)
    return path


def test_v1_rows_md5_name_size_and_the_rest_kept(tmp_path: Path) -> None:
    md5 = _hex("md5", b"one")
    path = write(tmp_path, f'{V1}\n{md5.upper()},Alert,"Case 7, seized",a.jpg,"C:\\x, y",3\n')

    parsed = read_ilook(path)

    assert list(parsed.entries) == [
        HashEntry(
            md5=bytes.fromhex(md5),
            name="a.jpg",
            size=3,
            extra={
                "hash_type": "Alert",
                "set_description": "Case 7, seized",
                "file_path": "C:\\x, y",
            },
        )
    ]
    assert parsed.info == {"ilook_version": "1", "entries": "1", "hash_kinds": "md5"}


@pytest.mark.parametrize("v4", [False, True])
def test_v3_and_v4_rows_carry_md5_sha1_and_sha256(tmp_path: Path, v4: bool) -> None:
    header = V4 if v4 else V3
    path = write(tmp_path, f"{header}\n" + _v3_row(b"two", "b.png", "D:\\pics", v4=v4))

    (entry,) = read_ilook(path).entries

    assert (entry.md5, entry.sha1, entry.sha256) == (
        hashlib.md5(b"two").digest(), hashlib.sha1(b"two").digest(),
        hashlib.sha256(b"two").digest(),
    )  # fmt: skip
    assert (entry.name, entry.size) == ("b.png", 3)
    assert entry.extra["sha512"] == _hex("sha512", b"two")
    assert entry.extra.get("mod_time") == ("2024-01-02 03:04:06" if v4 else None)
    assert "last_access_time" not in entry.extra  # empty values are not kept


@pytest.mark.parametrize("header", HEADERS)
def test_detected_by_the_column_line(tmp_path: Path, header: str) -> None:
    row = (f"{_hex('md5', b'x')},Known,set,x.jpg,C:\\,1\n" if header == V1
           else _v3_row(b"x", "x.jpg", "C:\\", v4=header == V4))  # fmt: skip
    path = write(tmp_path, f"{header}\r\n{row}")

    assert detect_format(path) == "ilook"
    parsed = read_hashset(path, load_scheme("uk"))
    assert parsed.format == "ilook"
    assert [e.md5 for e in parsed.entries] == [hashlib.md5(b"x").digest()]


def test_a_bad_row_is_refused_by_number_unless_skipped(tmp_path: Path) -> None:
    good = _v3_row(b"ok", "ok.jpg", "C:\\")
    path = write(tmp_path, f"{V3}\n{good}not,a,row\n{good}")

    with pytest.raises(ImportFormatError, match=r"line 3: 3 fields, the iLook column line has 8"):
        list(read_hashset(path, load_scheme("uk")).entries)

    parsed = read_hashset(path, load_scheme("uk"), skip_bad_lines=True)
    assert len(list(parsed.entries)) == 2
    assert parsed.info["skipped_lines"] == "1"
    assert parsed.info["skipped_line_reasons"].startswith("line 3: 3 fields")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("abc,Known,s,a.jpg,C:\\,1", "md5 must be 32 hex digits, got 3"),
        (f"{_hex('md5', b'x')},Known,s,a.jpg,C:\\,big", "FileSize is not a size in bytes"),
        (",Known,s,a.jpg,C:\\,1", "no MD5, SHA-1 or SHA-256 in the row"),
        (f'{_hex("md5", b"x")},"Known,s,a.jpg,C:\\,1', "not a CSV row"),  # unclosed quote
    ],
)
def test_each_bad_value_is_named(tmp_path: Path, row: str, reason: str) -> None:
    path = write(tmp_path, f"{V1}\n{row}\n")
    with pytest.raises(ImportFormatError, match="line 2: ") as caught:
        list(read_ilook(path).entries)
    assert reason in str(caught.value)


def test_repeated_column_lines_comments_and_blanks_pass(tmp_path: Path) -> None:
    row = _v3_row(b"r", "r.jpg", "C:\\")
    path = write(tmp_path, f"{V3}\n{row}\n# note\n{V3}\n{row}")
    assert len(list(read_ilook(path).entries)) == 2


def test_not_an_ilook_file(tmp_path: Path) -> None:
    path = write(tmp_path, "V2Hash,Something\n")
    with pytest.raises(ImportFormatError, match="line 1: an iLook hash file starts with"):
        read_ilook(path)

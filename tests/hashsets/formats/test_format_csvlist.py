"""CSV hash lists with a header: columns, delimiters, categories, extra columns, errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError, UnknownCategoryError
from vigil.hashsets.formats import detect_format
from vigil.hashsets.formats.csvlist import read_csv
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import Scheme

MD5_A = hashlib.md5(b"a").hexdigest()
MD5_B = hashlib.md5(b"b").hexdigest()
SHA1_A = hashlib.sha1(b"a").hexdigest()
SHA256_A = hashlib.sha256(b"a").hexdigest()
PDQ = "f0" * 32


def write(tmp_path: Path, text: str) -> Path:
    """Write a CSV sample and return its path."""
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_column(tmp_path: Path, uk: Scheme) -> None:
    text = (
        "md5,sha1,sha256,pdq,pdq_quality,category,name,size\n"
        f'{MD5_A},{SHA1_A},{SHA256_A},{PDQ},87,A,"a, b.jpg",1234\n'
    )
    parsed = read_csv(write(tmp_path, text), uk)

    assert list(parsed.entries) == [
        HashEntry(
            md5=bytes.fromhex(MD5_A),
            sha1=bytes.fromhex(SHA1_A),
            sha256=bytes.fromhex(SHA256_A),
            pdq=bytes.fromhex(PDQ),
            pdq_quality=87,
            category="A",
            name="a, b.jpg",
            size=1234,
        )
    ]
    assert parsed.info == {
        "entries": "1",
        "columns": "md5,sha1,sha256,pdq,pdq_quality,category,name,size",
        "hash_kinds": "md5,sha1,sha256,pdq",
    }


@pytest.mark.parametrize(
    ("scheme_name", "cells", "expected"),
    [
        (
            "uk",
            ["1", "Category B", "c", "uncategorised", "0", "category a", ""],
            ["A", "B", "C", "uncategorised", "uncategorised", "A", None],
        ),
        (
            "us",
            ["1", "2", "0", "cgi", "4: Comparison", ""],
            ["cam", "exploitive", "non_pertinent", "cgi", "comparison", None],
        ),
    ],
)
def test_categories_may_be_codes_keys_or_labels(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    scheme_name: str,
    cells: list[str],
    expected: list[str | None],
) -> None:
    scheme: Scheme = request.getfixturevalue(scheme_name)
    rows = "".join(f'{MD5_A},"{cell}"\n' for cell in cells)
    entries = list(read_csv(write(tmp_path, "md5,category\n" + rows), scheme).entries)
    assert [e.category for e in entries] == expected


def test_header_is_case_insensitive_in_any_order_with_extra_columns(
    tmp_path: Path, uk: Scheme
) -> None:
    text = (
        f"# exported by a test\n\nName,Exhibit,MD5 , Size\nx.jpg,EX-1,{MD5_A},10\ny.jpg,,{MD5_B},\n"
    )
    entries = list(read_csv(write(tmp_path, text), uk).entries)
    assert entries == [
        HashEntry(md5=bytes.fromhex(MD5_A), name="x.jpg", size=10, extra={"Exhibit": "EX-1"}),
        HashEntry(md5=bytes.fromhex(MD5_B), name="y.jpg"),
    ]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(tmp_path: Path, uk: Scheme, delimiter: str) -> None:
    text = delimiter.join(["sha1", "name"]) + "\n" + delimiter.join([SHA1_A, "a,b.jpg"]) + "\n"
    (entry,) = read_csv(write(tmp_path, text), uk).entries
    assert entry == HashEntry(sha1=bytes.fromhex(SHA1_A), name="a,b.jpg")


def test_blank_rows_are_skipped_and_a_bom_is_ignored(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"\xef\xbb\xbfmd5\r\n" + MD5_A.encode() + b"\r\n\r\n,\r\n")
    assert list(read_csv(path, uk).entries) == [HashEntry(md5=bytes.fromhex(MD5_A))]


def test_known_good_lists_keep_categories_aside(tmp_path: Path, uk: Scheme) -> None:
    path = write(tmp_path, f"md5,category\n{MD5_A},99\n")
    (entry,) = read_csv(path, uk, known_good=True).entries
    assert entry.category is None
    assert entry.extra == {"source_category": "99"}


def test_unknown_category_names_the_line_the_value_and_the_scheme(
    tmp_path: Path, uk: Scheme
) -> None:
    path = write(tmp_path, f"md5,category\n{MD5_A},A\n{MD5_B},Z9\n")
    with pytest.raises(UnknownCategoryError) as caught:
        list(read_csv(path, uk).entries)
    assert caught.value.where == "line 3"
    assert "'Z9'" in caught.value.reason
    assert "'uk'" in caught.value.reason
    assert MD5_B in caught.value.reason  # the offending line is shown


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("hash,filename", "the header row names none of md5"),
        ("name,size,category", "names no hash column"),
        ("md5,name,MD5", "names a column twice"),
        (MD5_A + ",a.jpg,", "the header row names none"),  # a list without a header
    ],
)
def test_wrong_or_missing_columns_name_the_header_line(
    tmp_path: Path, uk: Scheme, header: str, reason: str
) -> None:
    path = write(tmp_path, f"# comment\n{header}\n{MD5_A},x,y\n")
    with pytest.raises(ImportFormatError) as caught:
        read_csv(path, uk)
    assert caught.value.where == "line 2"
    assert reason in caught.value.reason
    assert repr(header) in caught.value.reason


def test_a_file_with_only_comments_has_no_header(tmp_path: Path, uk: Scheme) -> None:
    with pytest.raises(ImportFormatError, match="no header row"):
        read_csv(write(tmp_path, "# nothing\n\n"), uk)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (f"{MD5_A},x.jpg", "2 fields, the header row (line 1) has 3"),
        (f"{MD5_A},x.jpg,1,2", "4 fields, the header row (line 1) has 3"),
        ("abc,x.jpg,1", "md5: md5 must be 32 hex digits, got 3"),
        (f"{MD5_A},x.jpg,-5", "size: not a whole number"),
        (",x.jpg,5", "no hash in this row"),
    ],
)
def test_bad_rows_name_the_line_and_show_it(
    tmp_path: Path, uk: Scheme, row: str, reason: str
) -> None:
    path = write(tmp_path, f"md5,name,size\n{MD5_B},ok.jpg,1\n{row}\n")
    with pytest.raises(ImportFormatError) as caught:
        list(read_csv(path, uk).entries)
    assert caught.value.where == "line 3"
    assert reason in caught.value.reason
    assert "the line reads" in caught.value.reason


def test_pdq_quality_runs_from_0_to_100(tmp_path: Path, uk: Scheme) -> None:
    path = write(tmp_path, f"pdq,pdq_quality\n{PDQ},100\n{PDQ},101\n")
    entries = read_csv(path, uk).entries
    assert next(entries).pdq_quality == 100
    with pytest.raises(ImportFormatError, match="runs from 0 to 100"):
        next(entries)


def test_a_quoted_field_spanning_lines_reports_the_right_line(tmp_path: Path, uk: Scheme) -> None:
    path = write(tmp_path, f'md5,name\n{MD5_A},"two\nlines"\nbad,x\n')
    entries = read_csv(path, uk).entries
    assert next(entries).name == "two\nlines"
    with pytest.raises(ImportFormatError) as caught:
        next(entries)
    assert caught.value.where == "line 4"


def test_nsrl_rdsv2_keeps_every_hash_column(tmp_path: Path, uk: Scheme) -> None:
    text = (
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\n'
        f'"{SHA1_A.upper()}","{MD5_A.upper()}","E8B7BE43","a.txt",1,1234,"358",""\n'
    )
    path = tmp_path / "NSRLFile.txt"
    path.write_text(text, encoding="utf-8")
    parsed = read_csv(path, uk, known_good=True)
    (entry,) = list(parsed.entries)
    assert entry.sha1 == bytes.fromhex(SHA1_A)
    assert entry.md5 == bytes.fromhex(MD5_A)
    assert entry.name == "a.txt" and entry.size == 1
    assert entry.extra["CRC32"] == "E8B7BE43" and entry.extra["ProductCode"] == "1234"
    assert parsed.info["hash_kinds"] == "md5,sha1"
    assert detect_format(path) == "csv"

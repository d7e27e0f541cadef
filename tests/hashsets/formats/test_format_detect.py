"""Format detection by content, and read_hashset's dispatch."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from format_samples import media

from vigil.errors import ImportFormatError, UsageError
from vigil.hashsets.formats import FORMATS, detect_format, read_hashset
from vigil.hashsets.formats.nsrl import NOT_NSRL
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import Scheme

MD5 = hashlib.md5(b"a").hexdigest()
SHA256 = hashlib.sha256(b"a").hexdigest()

TEXT_SAMPLES = {
    "hashdeep": f"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n## x\n1,{MD5},a\n",
    "ilook": f"V1Hash,HashType,SetDescription,FileName,FilePath,FileSize\n{MD5},K,s,a.jpg,C:,1\n",
    "csv": f"# list\nMD5,Category,Name\n{MD5},1,a.jpg\n",
    "sumfile": f"{SHA256}  a.jpg\n",
    "plain": f"# known\n\n{MD5}\n",
}


@pytest.mark.parametrize("fmt", sorted(TEXT_SAMPLES))
def test_text_formats_are_told_apart_by_content_not_extension(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "misleading.json"
    path.write_text(TEXT_SAMPLES[fmt])
    assert detect_format(path) == fmt


def test_bsd_tag_sumfile(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f"MD5 (a.jpg) = {MD5}\n")
    assert detect_format(path) == "sumfile"


def test_a_sumfile_name_that_looks_like_csv_columns_stays_a_sumfile(tmp_path: Path) -> None:
    path = tmp_path / "SUMS"
    path.write_text(f"{MD5}  a;size\n")
    assert detect_format(path) == "sumfile"


@pytest.mark.parametrize(
    ("kwargs", "version"),
    [({"version": "2.0"}, "2.0"), ({"version": "1.x"}, "1.x"), ({"bom": True}, "2.0")],
)
def test_vics_is_detected(vics_file: Any, kwargs: dict[str, Any], version: str) -> None:
    path = vics_file([media(1)], name="set.txt", **kwargs)
    assert detect_format(path) == "vics"


def test_vics_whose_model_key_comes_after_a_big_value_list(vics_file: Any) -> None:
    # Over 64 KiB of records before the key: detection must look past its sniff buffer.
    path = vics_file([media(i, Comments="c" * 200) for i in range(400)], context_last=True)
    assert path.stat().st_size > 64 * 1024
    assert b"odata.context" not in path.read_bytes()[: 64 * 1024]
    assert detect_format(path) == "vics"


def test_json_that_is_not_vics(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"value": [{"MD5": MD5}]}))
    with pytest.raises(ImportFormatError, match="not a VICS file"):
        detect_format(path)


def test_nsrl_is_detected(nsrl_db: Any) -> None:
    assert detect_format(nsrl_db("minimal")) == "nsrl"


def test_sqlite_without_nsrl_views(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    conn.close()
    with pytest.raises(ImportFormatError) as caught:
        detect_format(path)
    assert caught.value.reason == NOT_NSRL


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(ImportFormatError) as caught:
        detect_format(path)
    assert (caught.value.where, caught.value.reason) == ("byte 0", "the file is empty (0 bytes)")


def test_a_0_byte_file_read_as_nsrl(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "rds.db"
    path.write_bytes(b"")
    with pytest.raises(ImportFormatError, match="0-byte file: not an SQLite database"):
        read_hashset(path, uk, format="nsrl")


@pytest.mark.parametrize(
    ("content", "where", "reason"),
    [
        (b"PK\x03\x04rest", "byte 0", "a ZIP archive"),
        (b"# only\n\n# comments\n", "whole file", "no hash lines"),
        (b"\n\nhello world\n", "line 3", "not a hash-set format Vigil reads"),
        (b"hash,filename\n", "line 1", "not a hash-set format Vigil reads"),
    ],
)
def test_files_of_no_known_format(tmp_path: Path, content: bytes, where: str, reason: str) -> None:
    path = tmp_path / "x"
    path.write_bytes(content)
    with pytest.raises(ImportFormatError) as caught:
        detect_format(path)
    assert caught.value.where == where
    assert reason in caught.value.reason


def test_read_hashset_detects_and_dispatches(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "list.csv"
    path.write_text(TEXT_SAMPLES["csv"])
    parsed = read_hashset(path, uk)
    assert parsed.format == "csv"
    assert list(parsed.entries) == [HashEntry(md5=bytes.fromhex(MD5), category="A", name="a.jpg")]


def test_read_hashset_with_a_forced_format(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "list"
    path.write_text(f"{MD5}\n")
    with pytest.raises(ImportFormatError, match="not 'HASH  name'"):
        list(read_hashset(path, uk, format="sumfile").entries)
    assert read_hashset(str(path), uk, format="plain").format == "plain"


def test_read_hashset_refuses_an_unknown_format(tmp_path: Path, uk: Scheme) -> None:
    path = tmp_path / "list"
    path.write_text(f"{MD5}\n")
    with pytest.raises(UsageError, match="use one of vics, nsrl"):
        read_hashset(path, uk, format="xml")


def test_read_hashset_marks_known_good_sets(vics_file: Any, uk: Scheme) -> None:
    parsed = read_hashset(vics_file([media(1, Category=42)]), uk, known_good=True)
    (entry,) = parsed.entries
    assert entry.category is None
    assert parsed.info["known_good"] == "true"


def test_every_format_has_a_reader() -> None:
    assert set(FORMATS) == {"vics", "nsrl", "hashdeep", "ilook", "csv", "sumfile", "plain", "vpdq"}

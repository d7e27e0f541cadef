"""vPDQ feature files: read Meta's reference text, tell it from other lists, write it back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vigil.errors import ImportFormatError
from vigil.hashsets.formats import detect_format, read_hashset
from vigil.hashsets.formats.vpdq import read_frames, write_vpdq
from vigil.hashsets.schemes import load_scheme

DATA = Path(__file__).resolve().parents[2] / "data" / "vpdq" / "hashes"


def test_a_reference_file_is_detected_and_read_as_one_video() -> None:
    path = DATA / "doorknob-hd-no-bar.txt"
    assert detect_format(path) == "vpdq"
    parsed = read_hashset(path, load_scheme("uk"))
    (entry,) = list(parsed.entries)
    assert entry.name == "doorknob-hd-no-bar" and entry.has_hash()
    assert entry.frames is not None and len(entry.frames) == 120
    first = entry.frames[0]
    assert (first.frame_number, first.timestamp_s) == (0, 0.0)
    assert parsed.info["frames"] == "120"


def test_written_back_it_is_the_reference_text() -> None:
    path = DATA / "pattern-hd-no-bar.txt"
    out = io.BytesIO()
    assert write_vpdq(read_frames(path), out) == 206
    assert out.getvalue().decode().splitlines() == path.read_text().splitlines()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0,100,zz" + "0" * 62 + ",0.000\n", "not a vPDQ feature line"),
        ("0,101," + "0" * 64 + ",0.000\n", "quality 101"),
        ("1,100," + "0" * 64 + ",0.1\n0,100," + "0" * 64 + ",0.0\n", "must rise"),
    ],
)
def test_a_bad_line_is_refused_with_its_number(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ImportFormatError, match=why):
        read_frames(path)


def test_a_plain_md5_list_is_not_taken_for_vpdq(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("d41d8cd98f00b204e9800998ecf8427e\n")
    assert detect_format(path) == "plain"

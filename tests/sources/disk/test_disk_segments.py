"""Split raw and EWF segment files found by name and read as one."""

from __future__ import annotations

import os
from pathlib import Path

from vigil.sources.disk.info import image_attrs
from vigil.sources.disk.segments import (
    ConcatStream,
    _ewf_suffix,
    ewf_segments,
    later_raw_segment,
    later_segment,
    raw_segments,
    raw_segments_missing,
)

from .conftest import DiskSet


def test_raw_segments_in_order(tmp_path: Path) -> None:
    for number in (1, 2, 3, 5):
        (tmp_path / f"x.{number:03d}").write_bytes(bytes([number]) * 10)
    found = raw_segments(os.fsencode(tmp_path / "x.001"))
    assert [os.path.basename(p) for p in found] == [b"x.001", b"x.002", b"x.003"]  # stops at a gap
    assert raw_segments(os.fsencode(tmp_path / "x.002")) == [os.fsencode(tmp_path / "x.002")]
    assert later_raw_segment(os.fsencode(tmp_path / "x.003")) == os.fsencode(tmp_path / "x.001")
    assert later_raw_segment(os.fsencode(tmp_path / "x.001")) is None
    (tmp_path / "y.002").write_bytes(b"alone")
    assert later_raw_segment(os.fsencode(tmp_path / "y.002")) is None  # no first segment beside


def test_ewf_names_follow_libewf() -> None:
    assert _ewf_suffix(b"E", 2) == b"E02"
    assert _ewf_suffix(b"E", 99) == b"E99"
    assert _ewf_suffix(b"E", 100) == b"EAA"
    assert _ewf_suffix(b"E", 101) == b"EAB"
    assert _ewf_suffix(b"E", 126) == b"EBA"
    assert _ewf_suffix(b"e", 100) == b"eaa"
    assert _ewf_suffix(b"Ex", 7) == b"Ex07"


def test_ewf_segments_of_fixture(disks: DiskSet) -> None:
    found = ewf_segments(os.fsencode(disks.e01))
    on_disk = sorted(disks.e01.parent.glob("exhibit.E*"))
    assert [os.fsdecode(p) for p in found] == [str(p) for p in on_disk]


def test_concat_stream_reads_across_boundaries(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    paths = []
    for index, start in enumerate(range(0, len(data), 1000), 1):
        path = tmp_path / f"s.{index:03d}"
        path.write_bytes(data[start : start + 1000])
        paths.append(os.fsencode(path))
    with ConcatStream(paths) as stream:
        assert stream.size == len(data)
        assert stream.read() == data
        stream.seek(995)
        assert stream.read(10) == data[995:1005]
        stream.seek(-3, os.SEEK_END)
        assert stream.read(100) == data[-3:]


def test_later_segments_are_tagged(disks: DiskSet) -> None:
    second = sorted(disks.e01.parent.glob("exhibit.E*"))[1]
    head = second.read_bytes()[:16]
    assert later_segment(os.fsencode(second), "ewf", head) == {
        "segment": 2,
        "segment_of": "EWF set (opened from its first segment)",
    }
    assert later_segment(os.fsencode(disks.e01), "ewf", disks.e01.read_bytes()[:16]) is None
    tagged = later_segment(os.fsencode(disks.split[1]), "unknown", b"")
    assert tagged == {"segment": 2, "segment_of": "usb.001"}


def test_raw_segments_from_000(tmp_path: Path) -> None:
    for number in (0, 1, 2):
        (tmp_path / f"z.{number:03d}").write_bytes(bytes([number]) * 10)
    found = raw_segments(os.fsencode(tmp_path / "z.000"))
    assert [os.path.basename(p) for p in found] == [b"z.000", b"z.001", b"z.002"]
    assert raw_segments(os.fsencode(tmp_path / "z.001")) == [os.fsencode(tmp_path / "z.001")]
    assert later_raw_segment(os.fsencode(tmp_path / "z.001")) == os.fsencode(tmp_path / "z.000")
    assert later_segment(os.fsencode(tmp_path / "z.001"), "unknown", b"") == {
        "segment": 2,
        "segment_of": "z.000",
    }
    assert raw_segments_missing(found) is None


def test_raw_segment_gap_is_named(tmp_path: Path) -> None:
    for number in (1, 2, 4):
        (tmp_path / f"g.{number:03d}").write_bytes(b"x" * 10)
    found = raw_segments(os.fsencode(tmp_path / "g.001"))
    assert len(found) == 2
    reason = raw_segments_missing(found)
    assert reason is not None and "g.003 is missing" in reason
    attrs = image_attrs(os.fsencode(tmp_path / "g.001"), "disk-image", verify_media=True)
    assert "g.003 is missing" in attrs["image_error"]

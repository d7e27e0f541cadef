"""Carving pictures by structure: right offset and length, nothing invalid."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import pytest
from PIL import Image

from vigil.sources.disk.carve import SECTOR, Carved, carve

from .images import picture


def _reader(data: bytes) -> Callable[[int, int], bytes]:
    return lambda offset, length: data[offset : offset + length]


def _disk(*pieces: tuple[int, bytes], size: int = 1 << 20) -> bytes:
    disk = bytearray(b"\x00" * size)
    for offset, data in pieces:
        disk[offset : offset + len(data)] = data
    return bytes(disk)


def _progressive() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, "JPEG", progressive=True)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF"])
def test_each_format_found_at_its_offset(fmt: str) -> None:
    data = picture(3, fmt)
    disk = _disk((8 * SECTOR, data))
    found = list(carve(_reader(disk), [(0, len(disk))]))
    kind = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif"}[fmt]
    assert found == [Carved(8 * SECTOR, len(data), kind)]


def test_progressive_jpeg_and_several_files_in_a_row() -> None:
    first, second = _progressive(), picture(9, "PNG")
    gap = -(-len(first) // SECTOR) * SECTOR
    disk = _disk((SECTOR, first), (SECTOR + gap, second))
    found = list(carve(_reader(disk), [(0, len(disk))]))
    assert [(c.offset, c.length, c.kind) for c in found] == [
        (SECTOR, len(first), "jpeg"),
        (SECTOR + gap, len(second), "png"),
    ]


def test_invalid_and_unaligned_are_not_carved() -> None:
    jpeg, png = picture(1), bytearray(picture(2, "PNG"))
    png[40] ^= 0xFF  # a chunk's CRC no longer matches
    disk = _disk(
        (SECTOR, jpeg[: len(jpeg) // 2]),  # truncated: zeros follow, no EOI
        (64 * SECTOR, bytes(png)),
        (300 * SECTOR + 7, jpeg),  # not on a sector boundary
        (600 * SECTOR, b"GIF89a" + b"\x00" * 100),  # no image, no trailer
    )
    assert list(carve(_reader(disk), [(0, len(disk))])) == []


def test_only_given_ranges_and_file_must_fit() -> None:
    jpeg = picture(4)
    disk = _disk((10 * SECTOR, jpeg), (1000 * SECTOR, jpeg))
    inside = [(0, 20 * SECTOR + len(jpeg)), (1000 * SECTOR, 1000 * SECTOR + len(jpeg) - 1)]
    found = list(carve(_reader(disk), inside))
    assert [c.offset for c in found] == [10 * SECTOR]  # the second runs past its range


def test_carved_names_sort_by_offset() -> None:
    assert Carved(4096, 10, "jpeg").name == "000000004096.jpg"
    assert Carved(512, 10, "gif").name < Carved(4096, 10, "png").name


def test_file_across_a_scan_window() -> None:
    from vigil.sources.disk import carve as module

    png = picture(5, "PNG")
    offset = module.SCAN_BYTES - SECTOR  # straddles the first window's end
    disk = _disk((offset, png), size=module.SCAN_BYTES + (1 << 20))
    found = list(carve(_reader(disk), [(0, len(disk))]))
    assert [(c.offset, c.length) for c in found] == [(offset, len(png))]
    assert struct.unpack(">I", png[8:12])[0] == 13  # IHDR first

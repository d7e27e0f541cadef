"""Recognising disk images from their first bytes."""

from __future__ import annotations

import os
import struct

import pytest

from vigil.sources.disk.signatures import HEADER_BYTES, disk_type, ewf_segment_number, file_system
from vigil.sources.identify import SNIFF_BYTES, sniff

from .conftest import DiskSet


def _head(path: os.PathLike[str]) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(SNIFF_BYTES)


def test_sniff_window_reaches_the_iso_volume_descriptor() -> None:
    assert SNIFF_BYTES >= HEADER_BYTES


def test_each_fixture_is_recognised(disks: DiskSet) -> None:
    assert sniff(_head(disks.fat)).name == "fs-image"
    assert file_system(_head(disks.fat)) == "fat"
    assert file_system(_head(disks.ext4)) == "ext"
    assert file_system(_head(disks.ntfs)) == "ntfs"
    assert file_system(_head(disks.iso)) == "iso9660"
    assert file_system(_head(disks.exfat)) == "exfat"
    assert sniff(_head(disks.iso)).name == "fs-image"
    assert sniff(_head(disks.mbr)).name == "disk-image"
    assert sniff(_head(disks.gpt)).name == "disk-image"
    assert sniff(_head(disks.e01)).name == "ewf"
    assert sniff(_head(disks.split[0])).name == "fs-image"


def test_ewf_segment_numbers(disks: DiskSet) -> None:
    segments = sorted(disks.e01.parent.glob("exhibit.E*"))
    assert len(segments) > 1
    numbers = [ewf_segment_number(_head(p)) for p in segments]
    assert numbers == list(range(1, len(segments) + 1))
    assert ewf_segment_number(b"not an ewf file") is None


def _mbr(entries: list[tuple[int, int, int, int]]) -> bytes:
    sector = bytearray(512)
    for index, (status, kind, start, count) in enumerate(entries):
        struct.pack_into("<B3xB3xII", sector, 446 + 16 * index, status, kind, start, count)
    sector[510:512] = b"\x55\xaa"
    return bytes(sector) + bytes(4096)


def test_mbr_needs_plausible_entries() -> None:
    assert disk_type(_mbr([(0x80, 0x83, 2048, 4096)])) == "disk-image"
    assert disk_type(_mbr([])) is None  # boot mark, no partition
    assert disk_type(_mbr([(0x12, 0x83, 2048, 4096)])) is None  # bad status byte
    assert disk_type(_mbr([(0x00, 0x83, 0, 4096)])) is None  # starts on the table itself


@pytest.mark.parametrize("seed", range(20))
def test_random_data_is_not_a_disk(seed: int) -> None:
    data = bytearray(os.urandom(SNIFF_BYTES))
    data[510:512] = b"\x55\xaa"  # even with the boot mark by chance
    data[446] = 0x33  # a status byte no table uses
    assert disk_type(bytes(data)) is None

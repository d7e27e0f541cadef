"""eMule known.met: the binary tag format, read record by record."""

from __future__ import annotations

import struct

import pytest

from vigil.demo import artefacts as A
from vigil.indicators.emule import parse_known_met


def test_records_with_name_size_hash_and_statistics() -> None:
    data = A.known_met([("a.jpg", 1234, b"\x11" * 16, 99), ("b.avi", 5, b"\x22" * 16, 0)])
    first, second = parse_known_met(data)
    assert first == {
        "name": "a.jpg",
        "size": 1234,
        "ed2k": "11" * 16,
        "parts": 0,
        "last_written": "2023-07-22T04:26:40+00:00",
        "file_type": "Image",
        "uploaded": 99,
        "requests": 3,
        "accepted": 2,
        "last_shared": "2023-11-14T22:13:20+00:00",
    }
    assert second["name"] == "b.avi" and second["ed2k"] == "22" * 16


def _record(tags: list[bytes], parts: int = 0) -> bytes:
    body = struct.pack("<I", 0) + b"\x33" * 16 + struct.pack("<H", parts) + b"\x44" * 16 * parts
    return body + struct.pack("<I", len(tags)) + b"".join(tags)


def test_large_files_short_strings_and_unknown_tags_are_read() -> None:
    tags = [
        bytes([0x80 | (0x10 + 4), 0x01]) + b"x.jp",  # STR4 (length in the type), one-byte id
        struct.pack("<BBI", 0x83, 0x02, 5),  # size low
        struct.pack("<BBI", 0x83, 0x3A, 1),  # size high: 4 GiB + 5
        struct.pack("<BH", 0x02, 4) + b"note" + struct.pack("<H", 2) + b"hi",  # named string tag
        struct.pack("<BB", 0x87, 0x70) + struct.pack("<I", 3) + b"abc",  # blob
        struct.pack("<BB", 0x86, 0x71) + struct.pack("<H", 9) + b"\x00\x00",  # bool array
        struct.pack("<BBQ", 0x8B, 0x72, 7),  # uint64
        struct.pack("<BBB", 0x8A, 0x73, 2) + b"zz",  # bsob
    ]
    data = struct.pack("<BI", 0x0F, 1) + _record(tags, parts=2)
    (record,) = parse_known_met(data)
    assert record["name"] == "x.jp" and record["size"] == (1 << 32) + 5 and record["parts"] == 2


def test_an_ansi_name_of_old_versions_is_decoded() -> None:
    tags = [struct.pack("<BBH", 0x82, 0x01, 5) + "caf\xe9!".encode("cp1252")]
    (record,) = parse_known_met(struct.pack("<BI", 0x0E, 1) + _record(tags))
    assert record["name"] == "café!"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x0a\x00\x00\x00\x00", "header byte 0x0a"),
        (struct.pack("<BI", 0x0E, 2) + _record([]), "truncated at byte"),
        (struct.pack("<BI", 0x0E, 1) + _record([b"\x8c\x01"]), "unknown tag type 0x0c"),
    ],
)
def test_malformed_files_say_where(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_known_met(data)

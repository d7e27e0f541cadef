"""Byte-level checks: appended data, encrypted volumes, encrypted documents."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest

from vigil.demo import artefacts as A
from vigil.demo.imagegen import encode, make_picture
from vigil.indicators.checks import CHECKS
from vigil.indicators.content import (
    appended_data,
    encrypted_volume,
    jpeg_end,
    ole2_encryption,
    pdf_encryption,
    png_end,
)
from vigil.indicators.linking import RunContext
from vigil.indicators.model import ItemView


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    """A plain JPEG."""
    return encode(make_picture(11), "JPEG")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hidden.txt", "x" * 100)
    return buffer.getvalue()


def _with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """The JPEG with an APP1 segment (like EXIF with a thumbnail) right after SOI."""
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def test_a_plain_jpeg_ends_at_its_eoi(jpeg: bytes) -> None:
    assert jpeg_end(jpeg) == len(jpeg)
    assert appended_data("jpeg", jpeg) is None


def test_an_embedded_thumbnail_end_marker_is_not_the_end(jpeg: bytes) -> None:
    thumbnail = b"Exif\x00\x00" + b"\xff\xd8\xff\xdb" + b"\x00" * 50 + b"\xff\xd9"
    data = _with_app1(jpeg, thumbnail)
    assert jpeg_end(data) == len(data)
    assert appended_data("jpeg", data) is None


def test_an_archive_after_a_jpeg(jpeg: bytes) -> None:
    tail = _zip()
    found = appended_data("jpeg", jpeg + tail)
    assert found == {
        "image": "jpeg",
        "end_offset": len(jpeg),
        "bytes": len(tail),
        "type": "zip",
        "family": "archive",
    }


def test_padding_after_the_end_is_not_reported(jpeg: bytes) -> None:
    assert appended_data("jpeg", jpeg + bytes(300)) is None
    assert appended_data("jpeg", jpeg + b"\xff" * 64) is None


def test_a_second_jpeg_is_normal_only_in_a_multi_picture_file(jpeg: bytes) -> None:
    plain = appended_data("jpeg", jpeg + jpeg)
    assert plain is not None and plain["type"] == "jpeg"
    mpf = _with_app1(jpeg, b"MPF\x00" + bytes(20))  # APP2 in reality; any segment will do here
    assert appended_data("jpeg", mpf + jpeg) is None


def test_png_iend_and_data_after_it() -> None:
    png = encode(make_picture(12, (64, 48)), "PNG")
    assert png_end(png) == len(png)
    assert appended_data("png", png) is None
    found = appended_data("png", png + os.urandom(2048))
    assert found is not None and found["end_offset"] == len(png) and found["bytes"] == 2048
    assert found["family"] == "unknown"


def test_malformed_images_give_no_end() -> None:
    assert jpeg_end(b"\xff\xd8\xff\xe0\x00") is None
    assert jpeg_end(b"not a jpeg") is None
    assert png_end(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x05IHDR") is None


def _volume(data: bytes) -> dict[str, object] | None:
    return encrypted_volume(io.BytesIO(data), len(data))


def test_volume_headers_at_the_start() -> None:
    assert _volume(A.bitlocker_volume()) == {"kind": "bitlocker", "offset": 0}
    assert _volume(A.luks_header()) == {"kind": "luks", "offset": 0}
    assert _volume(os.urandom(1 << 20)) is None


def test_a_bitlocker_partition_inside_an_mbr_disk_image() -> None:
    disk = A.disk_with_partition(A.bitlocker_volume(), start_lba=2048)
    assert _volume(disk) == {"kind": "bitlocker", "offset": 2048 * 512}


def test_a_luks_partition_behind_a_gpt() -> None:
    mbr = bytearray(512)
    struct.pack_into("<B3sB3sII", mbr, 446, 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, 0xFFFF)
    mbr[510:512] = b"\x55\xaa"
    header = bytearray(512)
    header[0:8] = b"EFI PART"
    struct.pack_into("<QII", header, 72, 2, 128, 128)  # entries at LBA 2, 128 of 128 bytes
    entries = bytearray(128 * 128)
    entries[0:16] = os.urandom(16)  # a partition type GUID: the entry is in use
    struct.pack_into("<QQ", entries, 32, 40, 4000)
    disk = bytes(mbr) + bytes(header) + bytes(entries)
    disk += bytes(40 * 512 - len(disk)) + A.luks_header(1 << 20)
    assert _volume(disk) == {"kind": "luks", "offset": 40 * 512}


def test_office_encryption_streams_are_found_as_directory_entries() -> None:
    assert ole2_encryption(A.encrypted_ole2()) == {
        "format": "ole2",
        "markers": ["EncryptionInfo", "EncryptedPackage"],
    }


def test_the_names_in_ordinary_text_are_not_directory_entries() -> None:
    text = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(517) + "EncryptedPackage".encode("utf-16-le")
    assert ole2_encryption(text + bytes(200)) is None


def test_pdf_encryption_in_the_trailer() -> None:
    assert pdf_encryption(A.encrypted_pdf()) == {"format": "pdf", "markers": ["/Encrypt"]}
    plain = A.encrypted_pdf().replace(b" /Encrypt 5 0 R", b"")
    assert pdf_encryption(plain) is None
    # Text that merely mentions the word is not a trailer entry.
    assert pdf_encryption(b"%PDF-1.4\n(see /Encrypt in the manual)\n%%EOF") is None


def test_phone_trailers_are_named_and_left_out_by_the_shipped_rules(jpeg: bytes) -> None:
    samsung = appended_data(
        "jpeg", jpeg + b"\x00\x00\x01\n\x0e\x00\x00\x00Image_UTC_Data1510110855"
    )
    assert samsung is not None and samsung["camera_trailer"] == "samsung-sef"
    xmp = _with_app1(jpeg, b"http://ns.adobe.com/xap/1.0/\x00<x GCamera:MicroVideo='1'/>")
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(2000)
    motion = appended_data("jpeg", xmp + video)
    assert motion is not None and motion["camera_trailer"] == "motion-photo"
    assert motion["type"] == "mp4"
    check = CHECKS["appended_data"]
    view = ItemView(1, "k", "/p.jpg", "p", "p.jpg", 1, "jpeg", "image", "ok", None, False, (),
                    {"facts": {"appended": motion}})  # fmt: skip
    assert check.fn(view, dict(check.params), RunContext()) is None
    assert check.fn(view, {**check.params, "camera_trailers": True}, RunContext()) is not None

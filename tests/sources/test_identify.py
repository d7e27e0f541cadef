"""True-type sniffing from signatures, and extension mismatch."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sqlite3
import struct
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from vigil.sources.identify import (
    SNIFF_BYTES,
    TYPES,
    UNKNOWN,
    by_name,
    extension_mismatch,
    is_tar_header,
    sniff,
)

from .archives.samples import sevenzip_bytes, tar_bytes, zip_bytes

FAMILIES = {
    "image",
    "video",
    "archive",
    "document",
    "database",
    "executable",
    "disk",
    "other",
    "unknown",
}


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


def _riff(kind: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 1000) + kind + b"\x00" * 32


def _ebml(doctype: bytes) -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88" + doctype + b"\x00" * 40


def _ts(step: int, start: int) -> bytes:
    data = bytearray(step * 6)
    for i in range(start, len(data), step):
        data[i] = 0x47
    return bytes(data)


def _pe() -> bytes:
    head = bytearray(0x100)
    head[:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, 0x80)
    head[0x80:0x84] = b"PE\x00\x00"
    return bytes(head)


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (40, 90, 160)).save(out, fmt)
    return out.getvalue()


def _sqlite(tmp: Path) -> bytes:
    path = tmp / "x.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (x)")
    conn.close()
    return path.read_bytes()


def _head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(SNIFF_BYTES)


def _zip_first(name: str, data: bytes = b"x", *more: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(name, data)
        for other in more:
            archive.writestr(other, b"x")
    return out.getvalue()


SAMPLES: dict[str, bytes] = {
    "jpeg": _image("JPEG"),
    "png": _image("PNG"),
    "gif": _image("GIF"),
    "bmp": _image("BMP"),
    "tiff": _image("TIFF"),
    "tiff-be": b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 100,
    "bigtiff": b"II+\x00\x08\x00\x00\x00" + b"\x00" * 100,
    "webp": _image("WEBP"),
    "heic": _ftyp(b"heic", b"mif1", b"heic"),
    "heic-by-compatible": _ftyp(b"mif1", b"mif1", b"heic"),
    "heif": _ftyp(b"mif1", b"mif1"),
    "avif": _ftyp(b"avif", b"mif1", b"miaf"),
    "avif-by-compatible": _ftyp(b"mif1", b"avif"),
    "cr3": _ftyp(b"crx ", b"crx "),
    "mp4": _ftyp(b"isom", b"isom", b"avc1"),
    "mp4-unknown-brand": _ftyp(b"zzzz"),
    "mov": _ftyp(b"qt  ", b"qt  "),
    "mov-bare": b"\x00\x00\x00\x10moov" + b"\x00" * 32,
    "3gp": _ftyp(b"3gp5", b"3gp5"),
    "m4a": _ftyp(b"M4A ", b"M4A "),
    "avi": _riff(b"AVI "),
    "wav": _riff(b"WAVE"),
    "mkv": _ebml(b"matroska"),
    "webm": _ebml(b"webm"),
    "asf": b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c" + b"\x00" * 20,
    "flv": b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00" * 20,
    "mpeg-ts": _ts(188, 0),
    "m2ts": _ts(192, 4),
    "mpeg-ps": b"\x00\x00\x01\xba\x44" + b"\x00" * 20,
    "mpeg-es": b"\x00\x00\x01\xb3\x16" + b"\x00" * 20,
    "zip": zip_bytes([("a.txt", b"a")]),
    "zip-empty": zip_bytes([]),
    "docx": _zip_first("[Content_Types].xml", b"<Types/>", "word/document.xml"),
    "xlsx": _zip_first("[Content_Types].xml", b"<Types/>", "xl/workbook.xml"),
    "pptx": _zip_first("[Content_Types].xml", b"<Types/>", "ppt/presentation.xml"),
    "odt": _zip_first("mimetype", b"application/vnd.oasis.opendocument.text"),
    "ods": _zip_first("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
    "epub": _zip_first("mimetype", b"application/epub+zip"),
    "jar": _zip_first("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
    "apk": _zip_first("AndroidManifest.xml", b"\x03\x00"),
    "gzip": gzip.compress(b"x"),
    "bzip2": bz2.compress(b"x"),
    "bzip2-empty": bz2.compress(b""),
    "xz": lzma.compress(b"x"),
    "7z": sevenzip_bytes([("a.txt", b"a")]),
    "rar4": b"Rar!\x1a\x07\x00" + b"\x00" * 20,
    "rar5": b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20,
    "tar": tar_bytes([("a.txt", b"a")]),
    "tar-gif-name": tar_bytes([("GIF89a.gif", b"a")]),
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "pdf-late": b"From: someone\r\n\r\n%PDF-1.4\n",
    "ole2": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    "elf": _head(Path(sys.executable).resolve()),
    "pe": _pe(),
}

EXPECTED = {
    "tiff-be": "tiff",
    "bigtiff": "tiff",
    "heic-by-compatible": "heic",
    "avif-by-compatible": "avif",
    "mp4-unknown-brand": "mp4",
    "mov-bare": "mov",
    "m2ts": "mpeg-ts",
    "mpeg-es": "mpeg-ps",
    "zip-empty": "zip",
    "bzip2-empty": "bzip2",
    "rar4": "rar",
    "rar5": "rar",
    "tar-gif-name": "tar",
    "pdf-late": "pdf",
}


@pytest.mark.parametrize("label", sorted(SAMPLES))
def test_signature(label: str) -> None:
    expected = EXPECTED.get(label, label)
    assert sniff(SAMPLES[label][:SNIFF_BYTES]).name == expected


def test_heif_from_pillow_heif() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    assert sniff(_image("HEIF")).name == "heic"


def test_sqlite(tmp_path: Path) -> None:
    assert sniff(_sqlite(tmp_path)).name == "sqlite"


def test_v7_tar_by_checksum() -> None:
    block = bytearray(tar_bytes([("old.txt", b"a")])[:512])
    block[257:265] = b"\x00" * 8  # no ustar magic: a pre-POSIX header
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    assert sniff(bytes(block) + b"\x00" * 1024).name == "tar"
    assert is_tar_header(bytes(block))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world, plain text",
        bytes(4096),
        b"BM" + b"\xff" * 60,
        b"MZ",
        b"PK\x03\x04",
        b'MAGIC = b"%PDF-"  # source code that mentions the signature\n',
    ],
)
def test_unknown(data: bytes) -> None:
    assert sniff(data) is UNKNOWN


def test_type_table_is_consistent() -> None:
    for name, ftype in TYPES.items():
        assert ftype.name == name
        assert ftype.family in FAMILIES
        assert ftype.mime
        assert all(ext == ext.lower() and not ext.startswith(".") for ext in ftype.extensions)
    assert by_name("no such type") is UNKNOWN
    assert by_name("jpeg").extensions[:2] == ("jpg", "jpeg")


@pytest.mark.parametrize(
    ("file_name", "type_name", "mismatch"),
    [
        ("a.jpg", "jpeg", False),
        ("a.JPEG", "jpeg", False),
        ("a.jpe", "jpeg", False),
        ("a.jfif", "jpeg", False),
        ("holiday.txt", "jpeg", True),
        ("no_extension", "jpeg", True),
        ("trailing.", "jpeg", True),
        (".jpg", "jpeg", True),  # a dot-file name, not an extension
        ("dir.jpg/inner.png", "png", False),
        ("C:\\Users\\x\\a.PNG", "png", False),
        ("backup.tar.gz", "gzip", False),
        ("report.docx", "docx", False),
        ("report.docx", "zip", True),
        ("History", "sqlite", False),  # browser databases carry no extension
        ("python3", "elf", False),
        ("setup.exe", "pe", False),
        ("anything.xyz", "unknown", False),
        ("", "unknown", False),
    ],
)
def test_extension_mismatch(file_name: str, type_name: str, mismatch: bool) -> None:
    assert extension_mismatch(file_name, by_name(type_name)) is mismatch


def test_every_sample_matches_its_own_usual_extension() -> None:
    for label, data in SAMPLES.items():
        ftype = sniff(data)
        usual = ftype.extensions[0]
        assert not extension_mismatch(f"file.{usual}" if usual else "file", ftype), label


def test_gnu_tar_is_sniffed() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo("gnu.txt")
        archive.addfile(info, io.BytesIO(b""))
    assert sniff(out.getvalue()).name == "tar"

"""Every fuzzed parser: valid seeds made by code, and the check that states its contract.

A check raises only when the contract is broken; errors the caller turns into a
per-item status or a one-line message (ValueError and sqlite3.Error from
artefact parsers, VigilError elsewhere) are the parser saying "malformed".
"""

from __future__ import annotations

import base64
import bz2
import contextlib
import functools
import gzip
import io
import json
import lzma
import sqlite3
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import py7zr

from vigil.demo import artefacts
from vigil.demo.imagegen import encode as encode_picture
from vigil.demo.imagegen import make_picture
from vigil.demo.traces import write_nsrl
from vigil.errors import VigilError
from vigil.hashing.pdq import ImageDecodeError, hash_image
from vigil.hashsets import library
from vigil.hashsets.formats import read_hashset
from vigil.hashsets.schemes import load_scheme
from vigil.indicators.bencode import BencodeError, decode, encode
from vigil.indicators.facts import parse_artefact
from vigil.scan.exif import read_exif
from vigil.sources.archives import CONTAINER_TYPES
from vigil.sources.disk import luks2
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator
from vigil.store.engine import Store, open_store

from .contract import ContractBroken

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HASHES = [f"{i:032x}" for i in range(1, 4)]


@dataclass(frozen=True)
class Target:
    """A parser under fuzz: its valid seeds and its contract."""

    name: str
    seeds: Callable[[], list[bytes]]
    check: Callable[[bytes], None]


# --- artefacts ---------------------------------------------------------------


def _sqlite_bytes(write: Callable[[Path], None]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db"
        write(path)
        return path.read_bytes()


def _artefact_seeds(kind: str) -> list[bytes]:
    if kind == "chromium_history":
        rows = [("https://example.org/a.jpg", "/home/u/a.jpg", WHEN, 1234)]
        return [_sqlite_bytes(lambda p: artefacts.write_chromium_history(p, rows))]
    if kind == "firefox_places":
        rows = [("https://example.org/a.jpg", "file:///home/u/a.jpg", WHEN, 1234)]
        return [_sqlite_bytes(lambda p: artefacts.write_firefox_places(p, rows))]
    if kind == "emule_known_met":
        return [artefacts.known_met([("a.jpg", 1234, bytes(range(16)), 1714560000)])]
    if kind == "torrent":
        return [
            artefacts.torrent("one.jpg", [("one.jpg", 10)])[0],
            artefacts.torrent("album", [("a.jpg", 10), ("b.jpg", 20)])[0],
        ]
    if kind == "utorrent_resume":
        return [artefacts.utorrent_resume([("x.torrent", "X", "C:/dl", bytes(20))])]
    if kind == "qbittorrent_fastresume":
        return [artefacts.qbittorrent_fastresume("X", "/dl", bytes(20))]
    raise KeyError(kind)


def _check_artefact(kind: str, data: bytes) -> None:
    try:
        records = parse_artefact(kind, data, None)
    except (ValueError, sqlite3.Error):
        return  # the item's facts say "malformed"
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ContractBroken(f"{kind}: records are not a list of dicts")
    json.dumps(records, allow_nan=False)  # facts are stored as JSON


def _check_bencode(data: bytes) -> None:
    try:
        value = decode(data)
    except BencodeError:
        return
    encode(value)  # only ints, byte strings, lists and dicts with byte-string keys come out


# --- hash sets -----------------------------------------------------------------


def _hashset_seeds(fmt: str) -> list[bytes]:
    if fmt == "plain":
        return ["\n".join(HASHES).encode() + b"\n"]
    if fmt == "sumfile":
        return ["".join(f"{h}  dir/file {i}.jpg\n" for i, h in enumerate(HASHES)).encode()]
    if fmt == "hashdeep":
        head = "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n## Invoked from: /\n"
        return [(head + "".join(f"{i},{h},/f{i}\n" for i, h in enumerate(HASHES))).encode()]
    if fmt == "ilook":
        v1 = "V1Hash,HashType,SetDescription,FileName,FilePath,FileSize\n"
        v3 = "V3Hash,HashSHA1,FileName,FilePath,FileSize,HashSHA256,HashSHA384,HashSHA512\n"
        sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        rows1 = "".join(f'{h},Known,"set, one",f{i}.jpg,C:\\x,{i}\n' for i, h in enumerate(HASHES))
        rows3 = "".join(f"{h},{sha1},f{i}.jpg,C:\\,{i},,,\n" for i, h in enumerate(HASHES))
        return [(v1 + rows1).encode(), (v3 + rows3).encode()]
    if fmt == "csv":
        return [("md5,category\n" + "".join(f"{h},A\n" for h in HASHES)).encode()]
    if fmt == "vics":
        media = [{"MediaID": i, "MD5": h.upper(), "Category": 1} for i, h in enumerate(HASHES)]
        doc = {
            "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
            "value": media,
        }
        return [json.dumps(doc).encode()]
    if fmt == "nsrl":
        return [_sqlite_bytes(lambda p: write_nsrl(p, b"benign", "Operating System"))]
    raise KeyError(fmt)


def _check_hashset(fmt: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "set"
        path.write_bytes(data)
        try:
            parsed = read_hashset(path, load_scheme("uk"), fmt)
            for _ in parsed.entries:
                pass
            dict(parsed.info)
        except VigilError:
            return


@functools.cache
def _import_store() -> Store:
    folder = Path(tempfile.mkdtemp(prefix="vigil-fuzz-store-"))
    return open_store(f"sqlite:///{folder / 'vigil.db'}")


def _check_import(fmt: str, data: bytes) -> None:
    """A malformed import imports nothing; a good one is listed."""
    store = _import_store()
    name = f"fuzz-{fmt}-{len(library.list_sets(store))}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "set"
        path.write_bytes(data)
        try:
            library.import_file(store, path, name, format=fmt)
        except VigilError:
            if any(s.name == name for s in library.list_sets(store)):
                raise ContractBroken(f"{fmt}: a refused import left set {name!r} behind") from None


# --- archives and pictures -------------------------------------------------------


FILES = [("docs/readme.txt", b"benign text\n" * 40), ("empty.bin", b""), ("raw", bytes(range(256)))]


def _tar(mode: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:
        for name, data in FILES:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _archive_seeds(type_name: str) -> list[bytes]:
    if type_name == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in FILES:
                archive.writestr(name, data)
        stored = io.BytesIO()
        with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("one.txt", b"stored member")
        return [out.getvalue(), stored.getvalue()]
    if type_name == "tar":
        return [_tar("w")]
    if type_name == "gzip":
        return [_tar("w:gz"), gzip.compress(b"plain gzip member\n" * 20)]
    if type_name == "bzip2":
        return [_tar("w:bz2"), bz2.compress(b"plain bzip2 member\n" * 20)]
    if type_name == "xz":
        return [_tar("w:xz"), lzma.compress(b"plain xz member\n" * 20)]
    if type_name == "7z":
        out = io.BytesIO()
        with py7zr.SevenZipFile(out, "w") as archive:
            for name, data in FILES:
                archive.writef(io.BytesIO(data), name)
        return [out.getvalue()]
    raise KeyError(type_name)


def _check_archive(type_name: str, data: bytes) -> None:
    reader = CONTAINER_TYPES[type_name]
    limits = Limits(max_member_bytes=64 << 20, max_expanded_bytes=256 << 20)
    found = reader.iter_members(
        io.BytesIO(data), Locator.for_path("/evidence/x"), limits, Budget(256 << 20)
    )
    for member in found:  # listing never raises: damage becomes an error note
        if member.status == "ok" and member.kind == "file":
            try:
                with member.open() as stream:
                    while stream.read(1 << 20):
                        pass
            except VigilError:
                pass


def _picture_seeds() -> list[bytes]:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(png, "PNG")
    gif = io.BytesIO()
    frames = [Image.new("P", (32, 32), i) for i in range(3)]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    return [encode_picture(make_picture(7, (96, 64))), png.getvalue(), gif.getvalue()]


def _check_picture(data: bytes) -> None:
    with contextlib.suppress(ImageDecodeError):
        hash_image(data)


def _exif_seeds() -> list[bytes]:
    """A JPEG carrying camera, date, software and GPS tags (and one without EXIF)."""
    from PIL import Image

    out = [encode_picture(make_picture(8, (48, 32)))]
    for fmt in ("JPEG",):
        exif = Image.Exif()
        exif[0x010F], exif[0x0110], exif[0x0131] = "Vigil", "Fuzz Camera", "fuzz 1.0"
        exif.get_ifd(0x8769)[0x9003] = "2024:05:01 12:00:00"
        exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
        buffer = io.BytesIO()
        Image.new("RGB", (32, 24), (90, 60, 30)).save(buffer, fmt, exif=exif)
        out.append(buffer.getvalue())
    return out


def _check_exif(data: bytes) -> None:
    # read_exif promises no exception at all for bad data (an unreadable block is no EXIF).
    read_exif(io.BytesIO(data))


# --- LUKS2 headers (sources/disk/luks2.py, our own parser of a hostile header) ---


def _luks2_seeds() -> list[bytes]:
    """A LUKS2 header as cryptsetup lays it out (one PBKDF2 keyslot, small work factors),
    with the keyslot area and a little data behind it."""
    salt = base64.b64encode(bytes(range(32))).decode()
    metadata = {
        "keyslots": {"0": {
            "type": "luks2", "key_size": 64,
            "af": {"type": "luks1", "stripes": 40, "hash": "sha256"},
            "area": {"type": "raw", "offset": "32768", "size": "4096",
                     "encryption": "aes-xts-plain64", "key_size": 64},
            "kdf": {"type": "pbkdf2", "hash": "sha256", "iterations": 1000, "salt": salt},
        }},
        "tokens": {},
        "segments": {"0": {"type": "crypt", "offset": "40960", "size": "dynamic",
                           "iv_tweak": "0", "encryption": "aes-xts-plain64", "sector_size": 512}},
        "digests": {"0": {"type": "pbkdf2", "keyslots": ["0"], "segments": ["0"],
                          "hash": "sha256", "iterations": 1000, "salt": salt,
                          "digest": base64.b64encode(bytes(32)).decode()}},
        "config": {"json_size": "12288", "keyslots_size": "8192"},
    }  # fmt: skip
    text = json.dumps(metadata).encode()
    binary = bytearray(4096)
    binary[:8] = b"LUKS\xba\xbe\x00\x02"
    binary[8:16] = (4096 + 12288).to_bytes(8, "big")
    header = bytes(binary) + text + bytes(12288 - len(text))
    return [header + bytes(range(256)) * 96 + bytes(8192)]


def _check_luks2(data: bytes) -> None:
    # Every fault of a hostile header is a Luks2Error (crypt.py turns it into a note).
    stream = io.BytesIO(data)
    try:
        metadata = luks2.read_metadata(stream)
        luks2.volume_key(stream, metadata, b"not the passphrase")
        luks2.data_segment(metadata, len(data))
    except luks2.Luks2Error:
        return


ARTEFACT_KINDS = [
    "chromium_history",
    "firefox_places",
    "emule_known_met",
    "torrent",
    "utorrent_resume",
    "qbittorrent_fastresume",
]
HASHSET_FORMATS = ["plain", "sumfile", "hashdeep", "ilook", "csv", "vics", "nsrl"]
ARCHIVE_TYPES = ["zip", "tar", "gzip", "bzip2", "xz", "7z"]

TARGETS: dict[str, Target] = {
    "bencode": Target("bencode", lambda: _artefact_seeds("torrent"), _check_bencode),
    "picture": Target("picture", _picture_seeds, _check_picture),
    "exif": Target("exif", _exif_seeds, _check_exif),
    "luks2-header": Target("luks2-header", _luks2_seeds, _check_luks2),
}
for _kind in ARTEFACT_KINDS:
    TARGETS[f"artefact-{_kind}"] = Target(
        f"artefact-{_kind}",
        functools.partial(_artefact_seeds, _kind),
        functools.partial(_check_artefact, _kind),
    )
for _fmt in HASHSET_FORMATS:
    TARGETS[f"hashset-{_fmt}"] = Target(
        f"hashset-{_fmt}",
        functools.partial(_hashset_seeds, _fmt),
        functools.partial(_check_hashset, _fmt),
    )
    TARGETS[f"import-{_fmt}"] = Target(
        f"import-{_fmt}",
        functools.partial(_hashset_seeds, _fmt),
        functools.partial(_check_import, _fmt),
    )
for _type in ARCHIVE_TYPES:
    TARGETS[f"archive-{_type}"] = Target(
        f"archive-{_type}",
        functools.partial(_archive_seeds, _type),
        functools.partial(_check_archive, _type),
    )

from .phone_targets import PHONE_TARGETS  # noqa: E402  (after the Target class they fill)

for _name, (_seeds, _check) in PHONE_TARGETS.items():
    TARGETS[_name] = Target(_name, _seeds, _check)

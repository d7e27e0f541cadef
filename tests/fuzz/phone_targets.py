"""Phone extractions, header sniffing and ``--key`` parsing under fuzz (registered in targets.py).

Seeds are built by the same code as the phone tests (``tests/sources/phones/samples.py``):
an adb backup (plain, deflated, encrypted), a Cellebrite UFDR zip and its
``report.xml`` alone (with hostile XML written by code: a DOCTYPE with
entities, the same in UTF-16, deep nesting, a huge attribute), and an iOS
backup whose ``Manifest.db`` or ``Manifest.plist`` is the damaged file (the
rest of the backup folder is written beside it, as a scan meets it).

Every container check reads each member the reader lists and holds the member
to what the store needs of it: a name, an ASCII locator key, a size that fits a
BIGINT and a finite time (see :func:`storable_member`).
"""

from __future__ import annotations

import functools
import io
import json
import math
import plistlib
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from sources.phones.samples import PASSWORD, adb_bytes, ios_backup, ufdr_bytes
from vigil.errors import VigilError
from vigil.sources.archives import CONTAINER_TYPES
from vigil.sources.archives.base import Member
from vigil.sources.identify import TYPES, extension_mismatch, is_tar_header, sniff
from vigil.sources.keys import ExhibitKey, KeyOptionError, keys_for, keys_scope, parse_key
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator
from vigil.sources.opaque import OPAQUE, opaque_trailer, opaque_type
from vigil.sources.phones.ufdr import read_report

from .contract import ContractBroken

MAX_STORED = 2**63 - 1
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
ENTRIES = [
    ("apps/com.whatsapp/f/a.txt", b"hello\n" * 40),
    ("shared/0/DCIM/Camera/IMG_1.jpg", JPEG),
]
IOS_FILES = [
    ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG", JPEG),
    ("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "Message/Media/a/b.jpg", b"wa" * 50),
]
UFDR_FILES = [
    ("/data/media/0/DCIM/Camera/IMG_1.jpg", "files/Image/IMG_1.jpg", JPEG),
    ("/data/data/com.whatsapp/databases/msgstore.db", "files/Database/msgstore.db", b"m" * 99),
]


def storable_member(member: Member) -> None:
    """Raise ContractBroken unless the store can keep ``member`` as it is."""
    if not isinstance(member.name, str) or not isinstance(member.reason, str):
        raise ContractBroken(f"member name or reason is not text: {member!r}")
    key = member.locator.key()  # raises on a value JSON cannot hold
    if not key.isascii():
        raise ContractBroken("locator key is not ASCII")
    for what, value in (("size", member.size), ("compressed size", member.compressed_size)):
        if value is not None and not (isinstance(value, int) and 0 <= value <= MAX_STORED):
            raise ContractBroken(f"{what} {value!r} does not fit a BIGINT column")
    if member.mtime is not None and not (
        isinstance(member.mtime, float) and math.isfinite(member.mtime)
    ):
        raise ContractBroken(f"time {member.mtime!r} is not a finite float")
    if member.link_target is not None and not isinstance(member.link_target, str):
        raise ContractBroken(f"link target {member.link_target!r} is not text")


def read_members(type_name: str, data: bytes, outer: str, secrets: tuple[str, ...] = ()) -> None:
    """List a container of ``type_name`` held in ``data``, reading every member's bytes."""
    limits = Limits(max_member_bytes=64 << 20, max_expanded_bytes=256 << 20)
    with keys_scope(secrets):
        found = CONTAINER_TYPES[type_name].iter_members(
            io.BytesIO(data), Locator.for_path(outer), limits, Budget(256 << 20)
        )
        consume(found)


def consume(found: Iterable[Member]) -> None:
    """Check and read every member of an ``iter_members`` listing (which never raises)."""
    for member in found:
        storable_member(member)
        if member.status == "ok" and member.kind == "file":
            try:
                with member.open() as stream:
                    while stream.read(1 << 20):
                        pass
            except VigilError:
                pass


# --- adb ---------------------------------------------------------------------------


def _adb_seeds() -> list[bytes]:
    return [
        adb_bytes(ENTRIES, compressed=True),
        adb_bytes(ENTRIES, compressed=False, version=1),
        adb_bytes(ENTRIES, compressed=True, password=PASSWORD),
    ]


def _check_adb(data: bytes) -> None:
    read_members("adb-backup", data, "/evidence/backup.ab", (PASSWORD,))


# --- UFDR ----------------------------------------------------------------------------


def _report(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("report.xml")


def _hostile_reports() -> list[bytes]:
    good = _report(ufdr_bytes(UFDR_FILES)).decode()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE project [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcde", "bcdef", strict=True)
        )
        + ']><project xmlns="http://pa.cellebrite.com/report/2.0">&f;</project>'
    )
    # The DOCTYPE spelled in UTF-16 and past the first read: the byte check must not be all.
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + laughs[21:]).encode("utf-16")
    late = ('<?xml version="1.0"?>' + "<!--" + "x" * 4080 + "-->" + laughs[21:]).encode()
    nested = good.replace("<taggedFiles>", "<taggedFiles>" + "<a>" * 10_000 + "</a>" * 10_000)
    wide = good.replace('deleted="Intact"', 'deleted="Intact" x="' + "y" * (1 << 18) + '"', 1)
    # Nested items: asking the open-element stack "inside a file?" per item was quadratic
    # (this seed took 5 s of CPU, 40,000 deep 18 s, before open elements were counted).
    items = good.replace("<taggedFiles>", "<metadata>" + "<item>" * 20_000 + "</item>" * 20_000
                         + "</metadata><taggedFiles>")  # fmt: skip
    sizes = good.replace(f'size="{len(JPEG)}"', 'size="99999999999999999999999"', 1)
    return [good.encode(), laughs.encode(), utf16, late, nested.encode(), wide.encode(),
            items.encode(), sizes.encode()]  # fmt: skip


def _check_report(data: bytes) -> None:
    try:
        report = read_report(io.BytesIO(data))
    except (ValueError, ET.ParseError):
        return  # ufdr_members turns these into an error note, members keep zip paths
    for local, reported in report.files.items():
        if not isinstance(local, str) or not isinstance(reported.path, str):
            raise ContractBroken("a reported path is not text")
        if reported.size is not None and not 0 <= reported.size <= MAX_STORED:
            raise ContractBroken(f"reported size {reported.size} does not fit a BIGINT")
        if reported.mtime is not None and not math.isfinite(reported.mtime):
            raise ContractBroken(f"reported time {reported.mtime!r} is not finite")
    json.dumps(report.project)


def _ufdr_seeds() -> list[bytes]:
    plain = ufdr_bytes(UFDR_FILES, extra=[("unlisted.txt", b"u")])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # reports' bytes visible
        archive.writestr("report.xml", _report(plain))
        for _device, local, content in UFDR_FILES:
            archive.writestr(local, content)
    return [plain, out.getvalue()]


def _check_ufdr(data: bytes) -> None:
    read_members("zip", data, "/evidence/phone.ufdr")


# --- iOS backup -------------------------------------------------------------------------


@functools.cache
def _ios_seed_folder() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = ios_backup(Path(tmp) / "b", IOS_FILES, dirs=[("CameraRollDomain", "Media")])
        return {
            str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }


def _xml_manifest() -> bytes:
    manifest = plistlib.loads(_ios_seed_folder()["Manifest.plist"])
    return plistlib.dumps(manifest, fmt=plistlib.FMT_XML)


def _check_ios(damaged: str, data: bytes) -> None:
    files = dict(_ios_seed_folder())
    files[damaged] = data
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "backup"
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        plist = folder / "Manifest.plist"
        limits, budget = Limits(max_member_bytes=64 << 20), Budget(256 << 20)
        found = CONTAINER_TYPES["ios-backup"].iter_members(
            io.BytesIO(plist.read_bytes()), Locator.for_path(str(plist)), limits, budget
        )
        consume(found)


# --- sniffing and --key --------------------------------------------------------------------


def _sniff_seeds() -> list[bytes]:
    """Headers of the types Vigil names, opaque containers included, each padded to 4 KiB."""

    def at(offset: int, magic: bytes, size: int = 4096) -> bytes:
        return (bytes(offset) + magic).ljust(size, b"\x00")

    tar = bytearray(at(0, b"docs/readme.txt", 512))
    tar[148:156] = b" " * 8
    tar[148:155] = b"%06o\x00" % (sum(tar[:148]) + 256 + sum(tar[156:512]))
    return [
        at(0, b"conectix"), at(0, b"vhdxfile"), at(0, b"KDMV"), at(0, b"QFI\xfb"),
        at(0, b"LUKS\xba\xbe"), at(3, b"-FVE-FS-"), at(64, b"\x7f\x10\xda\xbe"),
        at(32, b"NXSB"), at(512, b"LABELONE" + bytes(16) + b"LVM2 001"),
        at(88, b"CS\x01\x00"), at(0, b"ANDROID BACKUP\n5\n1\nnone\n"),
        at(0, b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
        at(0, b"PK\x03\x04" + bytes(22) + b"\x08\x00\x00\x00mimetype"),
        at(0, b"MZ" + bytes(58) + b"\x40\x00\x00\x00PE\x00\x00"),
        at(0, b"BM" + bytes(12) + b"\x28\x00\x00\x00"), at(0, b"BZh91AY&SY"),
        at(3, b"NTFS    ") [:510] + b"\x55\xaa" + bytes(4096 - 512),
        _ios_seed_folder()["Manifest.plist"], _xml_manifest(),
        bytes(tar) + bytes(3584), b"\x00" * 3584 + b"koly\x00\x00\x00\x04" + bytes(504),
    ]  # fmt: skip


def _check_sniff(data: bytes) -> None:
    found = sniff(data)
    if TYPES.get(found.name) is not found:
        raise ContractBroken(f"sniff named an unregistered type {found.name!r}")
    extension_mismatch("exhibit.bin", found)
    opaque = opaque_type(data)
    # Either Vigil opens it (a registered reader) or it has a status and reason.
    if opaque is not None and opaque not in OPAQUE and opaque not in CONTAINER_TYPES:
        raise ContractBroken(f"opaque type {opaque!r} has no reader, status or reason")
    if opaque_trailer(data[-512:]) not in (None, "dmg"):
        raise ContractBroken("opaque_trailer named something else than dmg")
    is_tar_header(data)


def _key_seeds() -> list[bytes]:
    return [
        b"EX1=passphrase:correct horse",
        b"/evidence/backup.ab=passphrase:a:b=c",
        "CASE-7/ITEM 3=passphrase:p\u00e4ss\u202ew\U0001f600".encode(),
    ]


def _check_key(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        key = parse_key(text)
    except KeyOptionError as exc:
        if not str(exc).isprintable():
            raise ContractBroken("a --key error is not one printable line") from exc
        return
    if f"{key.exhibit}={key.kind}:{key.secret}" != text:
        raise ContractBroken("parse_key lost or changed part of the option")
    if repr(key) != repr(ExhibitKey(key.exhibit, key.kind, "another secret")):
        raise ContractBroken("the secret shows in repr()")
    if keys_for([key], {key.exhibit}) != (key,):
        raise ContractBroken("a key is not found for its own exhibit")


PHONE_TARGETS: dict[str, tuple[Callable[[], list[bytes]], Callable[[bytes], None]]] = {
    "phone-adb": (_adb_seeds, _check_adb),
    "phone-ufdr": (_ufdr_seeds, _check_ufdr),
    "phone-ufdr-report": (_hostile_reports, _check_report),
    "phone-ios-manifest-db": (
        lambda: [_ios_seed_folder()["Manifest.db"]],
        functools.partial(_check_ios, "Manifest.db"),
    ),
    "phone-ios-manifest-plist": (
        lambda: [_ios_seed_folder()["Manifest.plist"], _xml_manifest()],
        functools.partial(_check_ios, "Manifest.plist"),
    ),
    "sniff": (_sniff_seeds, _check_sniff),
    "key-option": (_key_seeds, _check_key),
}
"""Name -> (seeds, check), as targets.py's Target takes them."""

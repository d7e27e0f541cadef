"""True-type identification from content signatures, and extension mismatch.

``sniff`` looks only at the first bytes of a file (callers pass ``SNIFF_BYTES``),
never at its name, so a JPEG renamed ``holiday.txt`` is still a JPEG. Names of
types are stable identifiers: the archive registry is keyed by them.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass

from vigil.sources.disk.signatures import disk_type
from vigil.sources.opaque import opaque_type

SNIFF_BYTES = 36 * 1024
"""Leading bytes callers should pass to :func:`sniff` (ISO 9660 names itself at 32 769)."""


@dataclass(frozen=True, slots=True)
class FileType:
    """A true file type: stable name, MIME type, family and usual extensions.

    An empty string in ``extensions`` means that having no extension is usual
    (ELF binaries, browser SQLite databases).
    """

    name: str
    mime: str
    family: str
    extensions: tuple[str, ...]


def _t(name: str, mime: str, family: str, *extensions: str) -> FileType:
    return FileType(name, mime, family, extensions)


_RAW_TIFF = ("dng", "nef", "nrw", "cr2", "arw", "srf", "sr2", "pef", "srw", "3fr", "erf", "kdc")
# Disk images are named freely: these are the names acquisition tools and examiners use.
_RAW_DISK = ("dd", "raw", "img", "image", "bin", "001", "dsk", "ima", "vfd", "")
_SEGMENTS = tuple(f"e{n:02d}" for n in range(2, 100))
_ALL = [
    _t("jpeg", "image/jpeg", "image", "jpg", "jpeg", "jpe", "jfif", "jif"),
    _t("png", "image/png", "image", "png", "apng"),
    _t("gif", "image/gif", "image", "gif"),
    _t("bmp", "image/bmp", "image", "bmp", "dib"),
    _t("tiff", "image/tiff", "image", "tif", "tiff", *_RAW_TIFF),
    _t("webp", "image/webp", "image", "webp"),
    _t("heic", "image/heic", "image", "heic", "heif", "hif"),
    _t("heif", "image/heif", "image", "heif", "heic", "hif"),
    _t("avif", "image/avif", "image", "avif"),
    _t("cr3", "image/x-canon-cr3", "image", "cr3"),
    _t("mp4", "video/mp4", "video", "mp4", "m4v", "f4v", "mp4v"),
    _t("mov", "video/quicktime", "video", "mov", "qt"),
    _t("3gp", "video/3gpp", "video", "3gp", "3gpp", "3g2", "3gp2"),
    _t("avi", "video/x-msvideo", "video", "avi"),
    _t("mkv", "video/x-matroska", "video", "mkv", "mk3d"),
    _t("webm", "video/webm", "video", "webm"),
    _t("asf", "video/x-ms-asf", "video", "wmv", "asf", "wma"),
    _t("flv", "video/x-flv", "video", "flv"),
    _t("mpeg-ts", "video/mp2t", "video", "ts", "m2ts", "mts", "m2t", "tsv", "trp"),
    _t("mpeg-ps", "video/mpeg", "video", "mpg", "mpeg", "mpe", "vob", "m2p", "m1v", "m2v"),
    _t("m4a", "audio/mp4", "other", "m4a", "m4b", "m4p"),
    _t("wav", "audio/wav", "other", "wav"),
    _t("zip", "application/zip", "archive", "zip", "zipx", "cbz"),
    _t("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       "document", "docx", "docm", "dotx", "dotm"),
    _t("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       "document", "xlsx", "xlsm", "xltx", "xltm"),
    _t("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
       "document", "pptx", "pptm", "ppsx", "potx"),
    _t("ooxml", "application/vnd.openxmlformats-officedocument", "document",
       "docx", "docm", "xlsx", "xlsm", "pptx", "pptm", "ppsx", "vsdx", "xps"),
    _t("odt", "application/vnd.oasis.opendocument.text", "document", "odt", "ott"),
    _t("ods", "application/vnd.oasis.opendocument.spreadsheet", "document", "ods", "ots"),
    _t("odp", "application/vnd.oasis.opendocument.presentation", "document", "odp", "otp"),
    _t("odf", "application/vnd.oasis.opendocument", "document", "odt", "ods", "odp", "odg"),
    _t("epub", "application/epub+zip", "document", "epub"),
    _t("jar", "application/java-archive", "executable", "jar", "war", "ear"),
    _t("apk", "application/vnd.android.package-archive", "executable", "apk"),
    _t("gzip", "application/gzip", "archive", "gz", "gzip", "tgz", "taz", "svgz"),
    _t("bzip2", "application/x-bzip2", "archive", "bz2", "bz", "tbz", "tbz2"),
    _t("xz", "application/x-xz", "archive", "xz", "txz"),
    _t("7z", "application/x-7z-compressed", "archive", "7z"),
    _t("rar", "application/vnd.rar", "archive", "rar", "cbr"),
    _t("tar", "application/x-tar", "archive", "tar"),
    _t("pdf", "application/pdf", "document", "pdf"),
    _t("sqlite", "application/vnd.sqlite3", "database",
       "sqlite", "sqlite3", "sqlitedb", "db", "db3", "s3db", "sl3", ""),
    _t("ole2", "application/x-ole-storage", "document",
       "doc", "dot", "xls", "xlt", "ppt", "pps", "pot", "msg", "msi", "db", "pub", "vsd"),
    _t("elf", "application/x-executable", "executable",
       "", "so", "o", "ko", "elf", "bin", "out", "axf", "prx"),
    _t("pe", "application/vnd.microsoft.portable-executable", "executable",
       "exe", "dll", "sys", "scr", "com", "ocx", "cpl", "drv", "efi", "mui", "ax"),
    _t("mz", "application/x-dosexec", "executable", "exe", "com"),
    _t("ewf", "application/x-ewf", "disk", "e01", "ex01", "s01", *_SEGMENTS),
    _t("disk-image", "application/x-raw-disk-image", "disk", *_RAW_DISK),
    _t("fs-image", "application/x-raw-disk-image", "disk", *_RAW_DISK, "iso"),
    _t("ios-backup", "application/x-apple-plist", "archive", "plist"),
    _t("adb-backup", "application/x-android-backup", "archive", "ab"),
    # VM disks, opened by sources/disk/vdisk.py (a fixed VHD starts with its raw media).
    _t("vhd", "application/x-vhd", "disk", "vhd", "avhd"),
    _t("vhdx", "application/x-vhdx", "disk", "vhdx", "avhdx"),
    _t("vmdk", "application/x-vmdk", "disk", "vmdk"),
    _t("qcow", "application/x-qemu-disk", "disk", "qcow2", "qcow", "qcow2c", "img"),
    # Opened as evidence (sources/disk/vdisk.py), unsupported inside archives: named by its end.
    _t("dmg", "application/x-apple-diskimage", "disk", "dmg", "sparseimage", "img"),
    # Recognised, not opened: their items are "unsupported"/"encrypted" (sources/opaque.py).
    _t("vdi", "application/x-virtualbox-vdi", "disk", "vdi"),
    _t("apfs", "application/x-apfs", "disk", *_RAW_DISK),
    _t("lvm", "application/x-lvm2", "disk", *_RAW_DISK),
    _t("bitlocker", "application/x-bitlocker", "disk", *_RAW_DISK),
    _t("luks", "application/x-luks", "disk", *_RAW_DISK, "luks"),
    _t("filevault", "application/x-core-storage", "disk", *_RAW_DISK),
]  # fmt: skip

TYPES: dict[str, FileType] = {t.name: t for t in _ALL}
"""Every type :func:`sniff` can return, by name."""

UNKNOWN = FileType("unknown", "application/octet-stream", "unknown", ())
TYPES[UNKNOWN.name] = UNKNOWN

# Signatures at offset 0, checked longest first so that e.g. RAR5 wins over RAR4.
_MAGIC: list[tuple[bytes, str]] = sorted(
    [
        (b"\xff\xd8\xff", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"II+\x00", "tiff"),  # BigTIFF
        (b"MM\x00+", "tiff"),
        (b"0&\xb2u\x8ef\xcf\x11\xa6\xd9\x00\xaa\x00b\xcel", "asf"),
        (b"FLV\x01", "flv"),
        (b"\x00\x00\x01\xba", "mpeg-ps"),
        (b"\x00\x00\x01\xb3", "mpeg-ps"),  # MPEG-1/2 video elementary stream
        (b"\x1f\x8b\x08", "gzip"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
        (b"Rar!\x1a\x07\x00", "rar"),
        (b"Rar!\x1a\x07\x01\x00", "rar"),
        (b"%PDF-", "pdf"),
        (b"SQLite format 3\x00", "sqlite"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
        (b"\x7fELF", "elf"),
        (b"ANDROID BACKUP\n", "adb-backup"),
    ],
    key=lambda item: -len(item[0]),
)

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
# Bare QuickTime files may start with one of these atoms instead of ``ftyp``.
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
_TS_PACKET = 188
_LATE_PDF = re.compile(rb"[\r\n]%PDF-[12]\.[0-9]")


def sniff(header: bytes) -> FileType:
    """The true type of a file from its first bytes (pass at least ``SNIFF_BYTES``)."""
    # ustar first: a tar's first member name sits at offset 0 and may well begin
    # with another type's magic (a file called "GIF89a.gif").
    if header[257:262] == b"ustar":
        return TYPES["tar"]
    for magic, name in _MAGIC:
        if header.startswith(magic):
            return TYPES[name]
    # Boot sectors and volume headers are checked before the weak, anywhere-in-
    # the-header checks (a PDF or TS file stored early on a disk must not win).
    disk = opaque_type(header) or disk_type(header)
    if disk is not None:
        return TYPES[disk]
    head = header[:4096]  # the window the checks below were designed for
    if is_ios_manifest(header):
        return TYPES["ios-backup"]
    for check in (_riff, _iso_bmff, _ebml, _zip, _bzip2, _bmp, _mz, _v7_tar, _mpeg_ts, _late_pdf):
        found = check(head)
        if found is not None:
            return TYPES[found]
    return UNKNOWN


def by_name(name: str) -> FileType:
    """The :class:`FileType` called ``name`` (``unknown`` when there is none)."""
    return TYPES.get(name, UNKNOWN)


def extension_mismatch(file_name: str, ftype: FileType) -> bool:
    """True when the name's extension is not one usual for ``ftype`` (case-insensitive).

    A known type on a name without an extension is a mismatch unless the type
    lists ``""``; an unknown type never mismatches.
    """
    if ftype.family == "unknown":
        return False
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    ext = os.path.splitext(base)[1].lstrip(".").lower()
    return ext not in ftype.extensions


def is_ios_manifest(head: bytes) -> bool:
    """True for the first bytes of an iOS backup's ``Manifest.plist`` (binary or XML).

    Its keys ``BackupKeyBag`` and ``IsEncrypted`` come near the start of a binary
    plist (keys are written before values); in an XML one they follow the
    ``Applications`` dict, which a phone with very many apps may push past the
    sniffed bytes.
    """
    if head.startswith(b"bplist00"):
        return b"BackupKeyBag" in head and b"IsEncrypted" in head
    if head.lstrip()[:5] == b"<?xml" and b"<plist" in head[:512]:
        return b"<key>BackupKeyBag</key>" in head and b"<key>IsEncrypted</key>" in head
    return False


def _riff(h: bytes) -> str | None:
    if not h.startswith(b"RIFF") or len(h) < 12:
        return None
    return {b"WEBP": "webp", b"AVI ": "avi", b"AVIX": "avi", b"WAVE": "wav"}.get(h[8:12])


def _iso_bmff(h: bytes) -> str | None:
    """MP4/MOV/3GP/HEIF family: decide by the ``ftyp`` major and compatible brands."""
    if len(h) < 12:
        return None
    if h[4:8] != b"ftyp":
        return "mov" if h[4:8] in _QT_ATOMS and int.from_bytes(h[:4], "big") >= 8 else None
    box_size = int.from_bytes(h[:4], "big")
    major = h[8:12]
    end = min(max(box_size, 16), len(h), 256)
    compatible = {h[i : i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compatible
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and brands & _AVIF_BRANDS):
        return "avif"
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return "heic"
    if major in _HEIF_BRANDS:
        return "heif"
    if major == b"crx ":
        return "cr3"
    if major == b"qt  ":
        return "mov"
    if major[:3] in (b"3gp", b"3g2"):
        return "3gp"
    if major in (b"M4A ", b"M4B ", b"M4P "):
        return "m4a"
    return "mp4"  # isom, mp41, mp42, avc1, dash, M4V … and unknown ISO-BMFF brands


def _ebml(h: bytes) -> str | None:
    if not h.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    return "webm" if b"webm" in h[:64] else "mkv"


def _zip(h: bytes) -> str | None:
    if h[:4] in (b"PK\x05\x06", b"PK\x07\x08"):  # empty archive, spanned marker
        return "zip"
    if not h.startswith(b"PK\x03\x04") or len(h) < 30:
        return None
    name_len, extra_len = struct.unpack_from("<HH", h, 26)
    first = h[30 : 30 + name_len]
    if first == b"mimetype":
        data = h[30 + name_len + extra_len : 30 + name_len + extra_len + 80]
        return _odf(data)
    if first in (b"[Content_Types].xml", b"_rels/.rels") or first.startswith(b"docProps/"):
        for marker, name in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"ppt/", "pptx")):
            if marker in h:
                return name
        return "ooxml"
    if b"AndroidManifest.xml" in h or b"classes.dex" in h:
        return "apk"
    if first.startswith(b"META-INF/"):
        return "jar"
    return "zip"


def _odf(mimetype: bytes) -> str:
    prefix = b"application/vnd.oasis.opendocument."
    if mimetype.startswith(b"application/epub+zip"):
        return "epub"
    if not mimetype.startswith(prefix):
        return "zip"
    kind = mimetype[len(prefix) :]
    for word, name in ((b"text", "odt"), (b"spreadsheet", "ods"), (b"presentation", "odp")):
        if kind.startswith(word):
            return name
    return "odf"


def _bzip2(h: bytes) -> str | None:
    # "BZh" + block size digit, then a block magic (pi) or the end-of-stream magic (sqrt pi).
    if len(h) < 10 or h[:3] != b"BZh" or not 0x31 <= h[3] <= 0x39:
        return None
    return (
        "bzip2" if h[4:10] in (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90") else None
    )


def _bmp(h: bytes) -> str | None:
    # "BM" alone is too weak: also require zero reserved fields and a known DIB header size.
    if len(h) < 18 or not h.startswith(b"BM"):
        return None
    reserved = h[6:10]
    dib_size = int.from_bytes(h[14:18], "little")
    return "bmp" if reserved == b"\x00" * 4 and dib_size in _BMP_DIB_SIZES else None


def _mz(h: bytes) -> str | None:
    if len(h) < 64 or not h.startswith(b"MZ"):
        return None
    pe_offset = int.from_bytes(h[0x3C:0x40], "little")
    if pe_offset + 4 > len(h):
        return "pe"  # the PE header lies beyond what we were given: most likely PE
    return "pe" if h[pe_offset : pe_offset + 4] == b"PE\x00\x00" else "mz"


def is_tar_header(block: bytes) -> bool:
    """True when ``block`` starts with a tar header (ustar magic, or a valid v7 checksum)."""
    return len(block) >= 512 and (block[257:262] == b"ustar" or _tar_checksum_ok(block[:512]))


def _v7_tar(h: bytes) -> str | None:
    return "tar" if len(h) >= 512 and _tar_checksum_ok(h[:512]) else None  # pre-POSIX tar


def _tar_checksum_ok(block: bytes) -> bool:
    if block[0] == 0:  # an empty name: zero blocks or random data, not a header
        return False
    field = block[148:156].split(b"\x00", 1)[0].strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    computed = sum(block[:148]) + 8 * 0x20 + sum(block[156:512])
    return stored == computed


def _mpeg_ts(h: bytes) -> str | None:
    # 0x47 sync bytes every 188 bytes (plain TS) or every 192 from offset 4 (M2TS, Blu-ray/AVCHD).
    for start, step in ((0, _TS_PACKET), (4, _TS_PACKET + 4)):
        positions = range(start, min(len(h), start + 5 * step), step)
        if len(positions) >= 3 and all(h[p] == 0x47 for p in positions):
            return "mpeg-ts"
    return None


def _late_pdf(h: bytes) -> str | None:
    # Readers accept "%PDF-" anywhere in the first 1024 bytes (e.g. after a mail header);
    # asking for a line start and a version keeps source code that mentions it out.
    return "pdf" if _LATE_PDF.search(h[:1024]) else None

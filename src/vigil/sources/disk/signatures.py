"""What a disk image looks like in its first bytes (pure Python; no pytsk3 needed).

Three true types: ``ewf`` (an E01/Ex01 segment), ``disk-image`` (a raw image
with an MBR or GPT partition table) and ``fs-image`` (a raw file system with no
partition table: a USB stick formatted whole, an ISO). Checks are strict enough
that an ordinary file is not taken for a disk: a boot sector needs its 0x55AA
mark *and* sane fields.
"""

from __future__ import annotations

import struct

EWF1_MAGIC = b"EVF\x09\x0d\x0a\xff\x00"
EWF2_MAGIC = b"EVF2\x0d\x0a\x81\x00"

ISO_OFFSET = 32769
"""ISO 9660 names itself at sector 16 (byte 32 768) + 1: past most sniff windows."""

HEADER_BYTES = ISO_OFFSET + 5
"""Leading bytes needed to recognise every type here (ISO 9660 is the farthest)."""

_BOOT_MARK = b"\x55\xaa"


def disk_type(header: bytes) -> str | None:
    """``ewf``, ``disk-image``, ``fs-image`` or None, from an image's first bytes."""
    if header.startswith((EWF1_MAGIC, EWF2_MAGIC)):
        return "ewf"
    if file_system(header) is not None:
        return "fs-image"
    if header[512:520] == b"EFI PART" or _mbr(header):
        return "disk-image"
    return None


def file_system(header: bytes) -> str | None:
    """The file-system family a bare volume starts with (layer name), or None."""
    if header[3:11] == b"NTFS    ":
        return "ntfs"
    if header[3:11] == b"EXFAT   ":
        return "exfat"
    if _fat(header):
        return "fat"
    if header[1080:1082] == b"\x53\xef" and _ext_sane(header):
        return "ext"
    if header[1024:1026] in (b"H+", b"HX") and header[1026:1028] in (b"\x00\x04", b"\x00\x05"):
        return "hfs"
    if header[ISO_OFFSET : ISO_OFFSET + 5] == b"CD001":
        return "iso9660"
    return None


def ewf_segment_number(header: bytes) -> int | None:
    """The segment number an EWF segment file records in its header, or None."""
    if header.startswith(EWF1_MAGIC) and len(header) >= 11:
        return int(struct.unpack_from("<H", header, 9)[0])
    if header.startswith(EWF2_MAGIC) and len(header) >= 16:
        return int(struct.unpack_from("<I", header, 12)[0])
    return None


def _fat(h: bytes) -> bool:
    if h[510:512] != _BOOT_MARK or h[:1] not in (b"\xeb", b"\xe9"):
        return False
    sector = int.from_bytes(h[11:13], "little")
    if sector not in (512, 1024, 2048, 4096) or h[13] == 0 or h[13] & (h[13] - 1):
        return False
    return h[54:59] == b"FAT12" or h[54:59] == b"FAT16" or h[82:87] == b"FAT32" or h[16] in (1, 2)


def _ext_sane(h: bytes) -> bool:
    # s_log_block_size (0 = 1 KiB … 6 = 64 KiB) and a non-zero inode count.
    log_block = int.from_bytes(h[1048:1052], "little")
    return log_block <= 6 and int.from_bytes(h[1024:1028], "little") > 0


def _mbr(h: bytes) -> bool:
    """A DOS partition table: the boot mark and four plausible entries, one in use."""
    if len(h) < 512 or h[510:512] != _BOOT_MARK:
        return False
    used = 0
    for index in range(4):
        entry = h[446 + 16 * index : 462 + 16 * index]
        status, kind = entry[0], entry[4]
        start, sectors = struct.unpack_from("<II", entry, 8)
        if status not in (0x00, 0x80):
            return False
        if kind == 0:
            continue
        if sectors == 0 or start == 0:
            return False
        used += 1
    return used > 0

"""Containers Vigil recognises but does not open: nothing opaque may look clean.

A VirtualBox disk, an APFS or LVM volume, an Apple disk image or an
encrypted volume holds files of its own. When Vigil identifies one and has no
reader for it, its item is not ``ok``: it gets status ``unsupported`` (or
``encrypted``) and a reason, so that it is counted under "Errors and limits"
and the examiner knows there is content that was not graded.

:func:`opaque_type` looks only at the first bytes (pure Python, no libraries);
:data:`OPAQUE` says, per type, which status and reason its item gets. VHD,
VHDX, VMDK and QCOW2 are recognised here too (the first bytes name them) but
opened by :mod:`vigil.sources.disk.vdisk`, so they have no entry in
:data:`OPAQUE`: one that cannot be opened gets a note with its own reason. A
DMG is opened there too when it is an evidence file, but keeps its entry for
one inside another container (:data:`TRAILER_ONLY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Opaque:
    """Why a recognised container could not be looked into."""

    status: Literal["unsupported", "encrypted"]
    reason: str


_NOT_OPENED = "its files were not read: mount or convert it and scan the result"
OPAQUE: dict[str, Opaque] = {
    "vdi": Opaque("unsupported", f"VirtualBox VDI virtual disk: {_NOT_OPENED}"),
    "apfs": Opaque("unsupported", f"APFS container: {_NOT_OPENED}"),
    "lvm": Opaque("unsupported", f"LVM2 physical volume: {_NOT_OPENED}"),
    "dmg": Opaque(
        "unsupported",
        "Apple disk image (UDIF/DMG) inside another container: its files were not read"
        " (a DMG names itself at its end only); extract it and scan it on its own",
    ),
    "bitlocker": Opaque("encrypted", "BitLocker encrypted volume: not decrypted, files not read"),
    "luks": Opaque("encrypted", "LUKS encrypted volume: not decrypted, files not read"),
    "filevault": Opaque(
        "encrypted", "Core Storage (FileVault 2) volume: not decrypted, files not read"
    ),
}
"""Status and reason per recognised container type that has no reader."""

_AT_ZERO: tuple[tuple[bytes, str], ...] = (
    (b"vhdxfile", "vhdx"),
    (b"conectix", "vhd"),  # a dynamic/differencing VHD copies its footer to offset 0
    (b"KDMV", "vmdk"),  # sparse extent
    (b"COWD", "vmdk"),  # ESX sparse extent
    (b"# Disk DescriptorFile", "vmdk"),  # descriptor of flat or multi-extent disks
    (b"QFI\xfb", "qcow"),
    (b"LUKS\xba\xbe", "luks"),
    (b"SKUL\xba\xbe", "luks"),  # LUKS2 secondary header copy
)
_VDI_SIGNATURE = b"\x7f\x10\xda\xbe"
"""At offset 64 of a VirtualBox disk image, after its 64-byte text banner."""


def opaque_type(header: bytes) -> str | None:
    """The name of a recognised container Vigil does not open, from its first bytes."""
    for magic, name in _AT_ZERO:
        if header.startswith(magic):
            return name
    if header[3:11] == b"-FVE-FS-":
        return "bitlocker"
    if header[64:68] == _VDI_SIGNATURE:
        return "vdi"
    if header[32:36] == b"NXSB":
        return "apfs"
    if header[512:520] == b"LABELONE" and header[536:544] == b"LVM2 001":
        return "lvm"
    if header[88:90] == b"CS" and int.from_bytes(header[90:92], "little") == 1:
        return "filevault"  # Core Storage volume header: signature, then version 1
    return None


TRAILER_ONLY = frozenset({"dmg"})
"""Types named by their last bytes alone: a top-level file is opened (its reader is
registered), a member of another container is not (members are sniffed by their
first bytes as they stream), so there it stays in :data:`OPAQUE`."""


def opaque_trailer(tail: bytes) -> str | None:
    """``dmg`` when the last 512 bytes of a file are a UDIF ``koly`` trailer, else None."""
    # A DMG names itself only at its end; compressed ones start with plain data.
    is_koly = len(tail) == 512 and tail[:8] == b"koly\x00\x00\x00\x04"
    return "dmg" if is_koly else None

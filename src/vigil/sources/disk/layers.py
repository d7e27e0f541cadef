"""Names of the locator layers that disk images add (no library imports: cheap to use).

Files reached through these layers alone sit in a file system, so they are
``live`` (or ``deleted``/``carved``), not inside an archive.
"""

from __future__ import annotations

from vigil.sources.locator import Locator

EWF = "ewf"
SPLIT = "split"
PARTITION = "partition"
CARVED = "carved"
LVM = "lvm"
"""A logical volume of an LVM2 volume group (disk/lvm.py): the layer path is its name."""
CRYPT_LAYERS = frozenset({"luks", "bitlocker", "filevault"})
"""Decrypted volumes (disk/crypt.py): the layer path is "" or a logical volume's number."""
VHD = "vhd"
VHDX = "vhdx"
VMDK = "vmdk"
QCOW = "qcow"
DMG = "dmg"
VIRTUAL_DISKS = frozenset({VHD, VHDX, VMDK, QCOW, DMG})
"""One layer type per virtual-disk format (the media of a VM disk, parents and extents read)."""

FS_LAYERS = frozenset({"ntfs", "fat", "exfat", "ext", "hfs", "iso9660", "fs"})
"""One layer type per file-system family (``fs`` for any other The Sleuth Kit reads)."""

DISK_LAYERS = frozenset(
    {EWF, SPLIT, PARTITION, CARVED, LVM, *VIRTUAL_DISKS, *FS_LAYERS, *CRYPT_LAYERS}
)


def in_file_system(locator: Locator) -> bool:
    """True when every layer below the evidence root is a disk layer (no archive between)."""
    inner = locator.layers[1:]
    return bool(inner) and all(layer.type in DISK_LAYERS for layer in inner)

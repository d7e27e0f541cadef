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
VHD = "vhd"
VHDX = "vhdx"
VMDK = "vmdk"
QCOW = "qcow"
DMG = "dmg"
VIRTUAL_DISKS = frozenset({VHD, VHDX, VMDK, QCOW, DMG})
"""One layer type per virtual-disk format (the media of a VM disk, parents and extents read)."""

FS_LAYERS = frozenset({"ntfs", "fat", "exfat", "ext", "hfs", "iso9660", "fs"})
"""One layer type per file-system family (``fs`` for any other The Sleuth Kit reads)."""

DISK_LAYERS = frozenset({EWF, SPLIT, PARTITION, CARVED, *VIRTUAL_DISKS, *FS_LAYERS})


def in_file_system(locator: Locator) -> bool:
    """True when every layer below the evidence root is a disk layer (no archive between)."""
    inner = locator.layers[1:]
    return bool(inner) and all(layer.type in DISK_LAYERS for layer in inner)

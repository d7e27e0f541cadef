"""LVM2 (sources/disk/lvm.py): each logical volume read as a disk, also inside LUKS."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from vigil.sources.keys import KeyRing, keys_scope, parse_key
from vigil.sources.locator import Locator
from vigil.sources.reopen import open_item

from . import images
from .conftest import list_image

PASSWORD = "lvm-on-luks"


@dataclass
class Lvm:
    files: dict[str, bytes]
    pv: Path  # a bare physical volume: LVs "home" and "photos"
    disk: Path  # MBR → partition 1 → LUKS1 → LVM2 PV → LV "root" (Debian's encrypted layout)


@pytest.fixture(scope="module")
def lvm(tmp_path_factory: pytest.TempPathFactory) -> Lvm:
    missing = [t for t in ("cryptsetup", "mkfs.vfat", "mcopy", "sfdisk") if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/system-deps.sh test installs them)")
    folder = tmp_path_factory.mktemp("lvm")
    files = {"/a.jpg": images.picture(41), "/DCIM/b.png": images.picture(42, "PNG")}
    home = images.fat_image(
        folder / "home.img", {"/a.jpg": files["/a.jpg"]}, size_mib=8, fat_bits=12
    )
    photos = images.fat_image(
        folder / "photos.img", {"/DCIM/b.png": files["/DCIM/b.png"]}, size_mib=8, fat_bits=12
    )
    pv = images.lvm_image(folder / "pv.img", {"home": home, "photos": photos})
    inner_pv = images.lvm_image(folder / "inner-pv.img", {"root": photos})
    luks = images.luks1_image(folder / "crypt.img", inner_pv, PASSWORD)
    disk = folder / "disk.img"
    images.partitioned(disk, [luks])
    return Lvm(files, pv, disk)


def test_every_logical_volume_is_read(lvm: Lvm) -> None:
    found = {f.locator.display(): f for f in list_image(lvm.pv)}
    a = found[f"os:{lvm.pv} → lvm:home → fat:/a.jpg"]
    b = found[f"os:{lvm.pv} → lvm:photos → fat:/DCIM/b.png"]
    assert (a.status, a.sha256) == ("ok", images.sha256(lvm.files["/a.jpg"]))
    assert (b.status, b.sha256) == ("ok", images.sha256(lvm.files["/DCIM/b.png"]))


def test_lvm_inside_luks_inside_a_partition(lvm: Lvm) -> None:
    ring = KeyRing("EX1", (parse_key(f"EX1=passphrase:{PASSWORD}"),))
    with keys_scope(ring):
        found = {f.locator.display(): f for f in list_image(lvm.disk)}
    wanted = f"os:{lvm.disk} → partition:1 → luks → lvm:root → fat:/DCIM/b.png"
    member = found[wanted]
    assert member.sha256 == images.sha256(lvm.files["/DCIM/b.png"])
    with keys_scope(ring), open_item(member.locator, bytes.fromhex(member.sha256)) as stream:
        assert stream.read() == lvm.files["/DCIM/b.png"]


def test_reopen_a_file_of_a_logical_volume(lvm: Lvm) -> None:
    wanted = f"os:{lvm.pv} → lvm:home → fat:/a.jpg"
    member = next(f for f in list_image(lvm.pv) if f.locator.display() == wanted)
    assert member.sha256 is not None
    with open_item(Locator.from_json(member.locator.to_json()), bytes.fromhex(member.sha256)) as s:
        assert s.read() == lvm.files["/a.jpg"]


def test_damaged_metadata_is_unsupported_with_a_reason(lvm: Lvm, tmp_path: Path) -> None:
    broken = tmp_path / "pv.img"
    data = bytearray(lvm.pv.read_bytes())
    data[4096 + 512 : 4096 + 520] = b"garbage!"  # the metadata text no longer matches its CRC
    broken.write_bytes(bytes(data))
    found = list_image(broken)
    assert [(f.status, f.reason.split(":")[0]) for f in found] == [
        ("unsupported", "LVM2 physical volume")
    ]

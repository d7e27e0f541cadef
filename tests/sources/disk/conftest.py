"""Disk images built once per test session from benign generated pictures."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vigil.sources.archives.nested import iter_nested
from vigil.sources.identify import SNIFF_BYTES, sniff
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator

from . import images


@dataclass
class DiskSet:
    """Every fixture image and what was planted in it."""

    folder: Path
    files: dict[str, bytes] = field(default_factory=dict)  # name → content (all images)
    fat: Path = Path()
    ext4: Path = Path()
    ntfs: Path = Path()
    iso: Path = Path()
    exfat: Path = Path()
    mbr: Path = Path()
    gpt: Path = Path()
    e01: Path = Path()
    split: list[Path] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)  # planted/partition offsets


def _zip(inner: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in inner.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def disks(tmp_path_factory: pytest.TempPathFactory) -> DiskSet:
    """Build the fixture images (skips when the Debian tools are missing)."""
    missing = images.missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make test installs them)")
    folder = tmp_path_factory.mktemp("disks")
    pic = images.picture
    f = {
        "a.jpg": pic(1), "b.png": pic(2, "PNG"), "c.gif": pic(3, "GIF"), "gone.jpg": pic(4),
        "inner.jpg": pic(5), "d.jpg": pic(6), "e.png": pic(7, "PNG"), "f.jpg": pic(8),
        "g.jpg": pic(9), "hidden.png": pic(10, "PNG"), "i.jpg": pic(11), "j.jpg": pic(12),
        "carved.png": pic(13, "PNG"), "carved.gif": pic(14, "GIF"), "unaligned.jpg": pic(15),
        "gpt.jpg": pic(16), "carved.jpg": pic(17),
    }  # fmt: skip
    disk = DiskSet(folder, f)
    disk.fat = images.fat_image(folder / "usb.img", {
        "/DCIM/a.jpg": f["a.jpg"], "/DCIM/b.png": f["b.png"], "/c.gif": f["c.gif"],
        "/album.zip": _zip({"inner.jpg": f["inner.jpg"]}), "/gone.jpg": f["gone.jpg"],
        "/notes.txt": b"shopping list\n",
    }, deleted=("/gone.jpg",))  # fmt: skip
    disk.offsets["carved.png"] = 12 * images.MiB
    images.plant(disk.fat, 12 * images.MiB, f["carved.png"])
    images.plant(disk.fat, 13 * images.MiB, f["carved.jpg"][: len(f["carved.jpg"]) // 2])
    images.plant(disk.fat, 14 * images.MiB + 100, f["unaligned.jpg"])
    disk.ext4 = images.ext4_image(folder / "linux.img", {
        "home/user/pics/d.jpg": f["d.jpg"], "e.png": f["e.png"], "home/user/pics/f.jpg": f["f.jpg"],
    }, deleted=("home/user/pics/f.jpg",))  # fmt: skip
    ntfs_files = {"g.jpg": f["g.jpg"], "readme.txt": b"hello\n", "i.jpg": f["i.jpg"]}
    disk.ntfs = images.ntfs_image(
        folder / "windows.img", ntfs_files, {("readme.txt", "hidden"): f["hidden.png"]},
        deleted=("i.jpg",),
    )  # fmt: skip
    disk.iso = images.iso_image(folder / "disc.iso", {"photos/j.jpg": f["j.jpg"]})
    disk.exfat = images.exfat_image(folder / "card.img")
    disk.offsets["exfat.png"] = 10 * images.MiB
    images.plant(disk.exfat, 10 * images.MiB, f["b.png"])
    small_fat = images.fat_image(folder / "p1.img", {"/a.jpg": f["a.jpg"]}, size_mib=8, fat_bits=12)
    disk.mbr = folder / "disk.img"
    p1, p2 = images.partitioned(disk.mbr, [small_fat, disk.ext4])
    disk.offsets.update(p1=p1, p2=p2)
    gap = disk.mbr.stat().st_size - images.MiB
    disk.offsets["carved.gif"] = gap
    images.plant(disk.mbr, gap, f["carved.gif"])
    gpt_ntfs = images.ntfs_image(folder / "gp.img", {"gpt.jpg": f["gpt.jpg"]}, {}, size_mib=8)
    disk.gpt = folder / "gpt.img"
    images.partitioned(disk.gpt, [gpt_ntfs], label="gpt")
    (folder / "ewf").mkdir()
    disk.e01 = images.ewf(disk.mbr, folder / "ewf" / "exhibit", segment="8MiB")
    (folder / "split").mkdir()
    disk.split = images.split_raw(disk.fat, folder / "split" / "usb", 6 * images.MiB)
    return disk


@dataclass(frozen=True)
class Found:
    """A member listed from an image, with the SHA-256 of its data when it had any."""

    locator: Locator
    kind: str
    status: str
    reason: str
    sha256: str | None


def list_image(path: Path, limits: Limits | None = None) -> list[Found]:
    """Every member of the image at ``path`` (opened as a top-level evidence file)."""
    limits = limits or Limits()
    out = []
    with path.open("rb") as handle:
        kind = sniff(handle.read(SNIFF_BYTES)).name
        handle.seek(0)
        members = iter_nested(handle, kind, Locator.for_path(str(path)), limits, Budget(limits))
        for member in members:
            digest = None
            if member.status == "ok" and member.kind == "file":
                with member.open() as data:
                    digest = hashlib.sha256(data.read()).hexdigest()
            out.append(Found(member.locator, member.kind, member.status, member.reason, digest))
    return out


def by_path(found: list[Found]) -> dict[str, Found]:
    """Members by the path of their innermost layer (carved ones by their name)."""
    return {f.locator.leaf.path: f for f in found}

"""The inventory of a disk image, on SQLite and PostgreSQL: files of its file system carry their
inode and allocation, a deleted file is unallocated, and a carved picture has its byte run."""

from __future__ import annotations

import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from vigil.cases.inventory import InventoryFilter, export_inventory, inventory_items
from vigil.cases.inventory_dfxml import DFXML_NS
from vigil.cases.inventory_model import ByteRun
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store

CASE = "OP-DISK"
MiB = 1024 * 1024
PLANTED_AT = 12 * MiB
TOOLS = ("mkfs.vfat", "mcopy", "mdel")

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason="dosfstools/mtools not installed"
)


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), colour).save(out, "PNG")
    return out.getvalue()


def _fat_image(path: Path, carved: bytes) -> Path:
    """A 16 MiB FAT16 volume: /DCIM/kept.png, a deleted /gone.png, a PNG in free space."""
    with path.open("wb") as handle:
        handle.truncate(16 * MiB)
    run = [("mkfs.vfat", "-F", "16", "-n", "VIGIL", str(path)), ("mmd", "-i", str(path), "::/DCIM")]
    for args in run:
        subprocess.run(args, check=True, capture_output=True)
    for name, colour in (("DCIM/kept.png", (10, 200, 10)), ("gone.png", (10, 10, 200))):
        staged = path.parent / name.replace("/", "_")
        staged.write_bytes(_png(colour))
        subprocess.run(["mcopy", "-i", str(path), str(staged), f"::/{name}"], check=True)
    subprocess.run(["mdel", "-i", str(path), "::/gone.png"], check=True)
    with path.open("r+b") as handle:
        handle.seek(PLANTED_AT)
        handle.write(carved)
    return path


def test_disk_image_items_have_inodes_allocation_and_byte_runs(
    store: Store, tmp_path: Path
) -> None:
    carved = _png((200, 10, 10))
    image = _fat_image(tmp_path / "usb.img", carved)
    run_scan(store, [image], ScanOptions(case=CASE, workers=1))
    with store.connect() as conn:
        found = list(inventory_items(conn, CASE))
    by_name = {i.name: i for i in found}
    kept = by_name["kept.png"]
    assert kept.inode is not None and kept.location == "live" and not kept.on_host
    # FAT overwrites a deleted name's first character: find it by where it was found.
    [gone] = [i for i in found if i.location == "deleted"]
    assert gone.name.endswith("one.png") and gone.inode is not None
    [planted] = [i for i in found if i.location == "carved"]
    assert planted.byte_runs == [ByteRun(0, PLANTED_AT, len(carved))]
    assert planted.size == len(carved)

    target = tmp_path / "items.dfxml"
    export_inventory(store, CASE, "dfxml", target, InventoryFilter(families=("image",)))
    root = ET.parse(target).getroot()
    ns = {"d": DFXML_NS}
    objects = {o.findtext("d:id", namespaces=ns): o for o in root.findall("d:fileobject", ns)}
    run_element = objects[str(planted.id)].find("d:byte_runs/d:byte_run", ns)
    assert run_element is not None
    assert run_element.get("img_offset") == str(PLANTED_AT)
    assert run_element.get("len") == str(len(carved))
    assert objects[str(planted.id)].findtext("d:unalloc", namespaces=ns) == "1"
    assert objects[str(kept.id)].findtext("d:alloc", namespaces=ns) == "1"
    assert objects[str(kept.id)].findtext("d:inode", namespaces=ns) == str(kept.inode)
    assert objects[str(gone.id)].findtext("d:unalloc", namespaces=ns) == "1"

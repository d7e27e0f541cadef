"""VM disks (VHD, VHDX, VMDK, QCOW2) give the files of the raw disk they hold (disk/vdisk.py).

One raw disk (MBR: FAT16 and ext4) is converted by ``qemu-img`` to every format;
each must list the same files with the same SHA-256 as a scan of the raw image.
Children (differencing VHD, QCOW2 overlay, VMDK snapshot) hold only what changed
since their parent and must give the changed disk, read through their parent.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cases.counting import case_summary
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.archives.nested import iter_nested
from vigil.sources.archives.streams import MemberReadError
from vigil.sources.disk import layers
from vigil.sources.disk.layers import in_file_system
from vigil.sources.disk.segments import later_segment
from vigil.sources.identify import SNIFF_BYTES, sniff
from vigil.sources.limits import Budget, Limits
from vigil.sources.locator import Locator
from vigil.sources.opaque import opaque_trailer
from vigil.sources.reopen import open_item
from vigil.store.engine import Store
from vigil.store.schema import item
from vigil.web.render_worker import RenderJob, make_preview

from . import images
from .conftest import Found, list_image

MiB = images.MiB


@dataclass
class VmDisks:
    """The raw disks and every VM disk made of them, by name."""

    raw: Path
    changed: Path
    folder: Path  # every VM disk, with its parents and extents beside it
    disks: dict[str, Path] = field(default_factory=dict)
    children: dict[str, Path] = field(default_factory=dict)
    added: bytes = b""


def _tools() -> list[str]:
    return [
        t for t in ("qemu-img", "mkfs.vfat", "mcopy", "mkfs.ext4", "sfdisk") if not shutil.which(t)
    ]


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> VmDisks:
    missing = _tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make test installs them)")
    work = tmp_path_factory.mktemp("vdisk")
    pic = images.picture
    # 3 MiB of noise first, so that later files lie past the first 2 MiB block of a VHD
    noise = random.Random(14).randbytes(3 * MiB)
    fat = images.fat_image(work / "fat.img", {
        "/big.bin": noise, "/DCIM/a.jpg": pic(41), "/DCIM/b.png": pic(42, "PNG"),
        "/album.zip": _zip({"inner.jpg": pic(43)}), "/gone.jpg": pic(44),
    }, deleted=("/gone.jpg",), size_mib=12)  # fmt: skip
    ext4 = images.ext4_image(work / "ext.img", {"home/u/c.jpg": pic(45)}, size_mib=8)
    raw = work / "raw.img"
    offsets = images.partitioned(raw, [fat, ext4])
    changed = work / "changed.img"
    shutil.copyfile(raw, changed)
    added = pic(46)
    staged = work / "new.jpg"
    staged.write_bytes(added)
    subprocess.run(
        ["mcopy", "-i", f"{changed}@@{offsets[0]}", str(staged), "::/new.jpg"], check=True
    )
    out = work / "vm"
    out.mkdir()
    vm = VmDisks(raw, changed, out, added=added)
    convert = images.qemu_convert
    vm.disks = {
        "vhd-dynamic": convert(raw, out / "dynamic.vhd", "vpc", "subformat=dynamic"),
        "vhd-fixed": convert(raw, out / "fixed.vhd", "vpc", "subformat=fixed"),
        "vhdx": convert(raw, out / "disk.vhdx", "vhdx"),
        "vmdk-sparse": convert(raw, out / "sparse.vmdk", "vmdk"),
        "vmdk-stream": convert(raw, out / "stream.vmdk", "vmdk", "subformat=streamOptimized"),
        "vmdk-flat": convert(raw, out / "flat.vmdk", "vmdk", "subformat=monolithicFlat"),
        "vmdk-split-flat": images.split_flat_vmdk(raw, out / "split.vmdk", 3)[0],
        "vmdk-split-sparse": convert(
            raw, out / "twos.vmdk", "vmdk", "subformat=twoGbMaxExtentSparse"
        ),
        "qcow2": convert(raw, out / "disk.qcow2", "qcow2"),
        "dmg-zlib": images.udif(raw, out / "udzo.dmg", compress=True),
        "dmg-raw": images.udif(raw, out / "udrw.dmg", compress=False),
    }
    # the parents are the dynamic VHD, the sparse VMDK and the QCOW2 above
    vm.children = {
        "vhd-differencing": images.differencing_vhd(
            vm.disks["vhd-dynamic"], changed, out / "child.vhd", "C:\\VMs\\dynamic.vhd"
        ),
        "qcow2-overlay": images.overlay(
            vm.disks["qcow2"], raw, changed, out / "overlay.qcow2", "qcow2"
        ),
        "vmdk-snapshot": images.overlay(
            vm.disks["vmdk-sparse"], raw, changed, out / "snapshot.vmdk", "vmdk"
        ),
    }
    return vm


def _zip(inner: dict[str, bytes]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in inner.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _view(found: list[Found]) -> set[tuple[tuple[tuple[str, str], ...], str, str, str | None]]:
    """What a disk gave, with the evidence file and any VM-disk layer taken out."""
    out = set()
    for f in found:
        inner = [
            (x.type, x.path) for x in f.locator.layers[1:] if x.type not in layers.VIRTUAL_DISKS
        ]
        if not inner:
            continue  # a note about the VM disk itself
        out.add((tuple(inner), f.kind, f.status, f.sha256))
    return out


@pytest.fixture(scope="module")
def raw_view(vm: VmDisks) -> set[tuple[tuple[tuple[str, str], ...], str, str, str | None]]:
    return _view(list_image(vm.raw))


@pytest.mark.parametrize(
    "name",
    ["vhd-dynamic", "vhd-fixed", "vhdx", "vmdk-sparse", "vmdk-stream", "vmdk-flat",
     "vmdk-split-flat", "vmdk-split-sparse", "qcow2", "dmg-zlib", "dmg-raw"],
)  # fmt: skip
def test_every_file_of_the_raw_disk_comes_out_the_same(
    vm: VmDisks, raw_view: set[object], name: str
) -> None:
    found = _tolerant_list(vm.disks[name])
    view = _view(found)
    assert sum(1 for entry in view if entry[3] is not None) > 5
    assert view == raw_view
    files = [f for f in found if f.sha256 is not None and f.locator.leaf.type in ("fat", "ext")]
    assert files and all(in_file_system(f.locator) for f in files)  # so "live", not "archive"
    if name != "vhd-fixed":  # a fixed VHD is its raw media and a footer: read as raw
        assert all(f.locator.layers[1].type in layers.VIRTUAL_DISKS for f in found)


@pytest.mark.parametrize("name", ["vhd-differencing", "qcow2-overlay", "vmdk-snapshot"])
def test_a_child_disk_reads_through_its_parent(vm: VmDisks, name: str) -> None:
    child = vm.children[name]
    assert child.stat().st_size < vm.raw.stat().st_size // 4  # it holds only what changed
    found = list_image(child)
    assert _view(found) == _view(list_image(vm.changed))
    by_name = {f.locator.leaf.path: f for f in found}
    assert by_name["/new.jpg"].sha256 == images.sha256(vm.added)
    assert by_name["/big.bin"].sha256 is not None  # past the child's first block: the parent's


@pytest.mark.parametrize(
    ("name", "parent"),
    [("vhd-differencing", "dynamic.vhd"), ("qcow2-overlay", "disk.qcow2"),
     ("vmdk-snapshot", "sparse.vmdk")],
)  # fmt: skip
def test_missing_parent_is_unsupported_never_read_as_empty(
    vm: VmDisks, tmp_path: Path, name: str, parent: str
) -> None:
    alone = tmp_path / vm.children[name].name
    shutil.copyfile(vm.children[name], alone)
    found = list_image(alone)
    assert [(f.kind, f.status, f.reason) for f in found] == [
        ("container", "unsupported", f"parent disk {parent} not found beside it")
    ]


def test_missing_extent_is_unsupported(vm: VmDisks, tmp_path: Path) -> None:
    for path in vm.folder.glob("split*"):
        if not path.name.endswith("f002.vmdk"):
            shutil.copyfile(path, tmp_path / path.name)
    found = list_image(tmp_path / "split.vmdk")
    assert [(f.status, f.reason) for f in found] == [
        ("unsupported", "extent file split-f002.vmdk not found beside it")
    ]


@pytest.mark.parametrize("name", ["vhd-dynamic", "vhdx", "vmdk-sparse", "vmdk-stream", "qcow2"])
@pytest.mark.parametrize("keep", [0.01, 0.5])
def test_truncated_disk_says_so(vm: VmDisks, tmp_path: Path, name: str, keep: float) -> None:
    source = vm.disks[name]
    data = source.read_bytes()
    cut = tmp_path / source.name
    cut.write_bytes(data[: int(len(data) * keep)])
    found = _tolerant_list(cut)
    layer = max((t for t in layers.VIRTUAL_DISKS if name.startswith(t)), key=len)
    notes = [f for f in found if f.kind == "container" and f.locator.leaf.type == layer]
    assert notes, found
    assert all(n.status == "error" and n.reason for n in notes)
    whole = {f.locator.leaf.path: f.sha256 for f in list_image(source) if f.sha256}
    for f in found:  # whatever did come out is what the disk holds
        if f.sha256 is not None and not f.locator.flag("carved"):
            assert whole.get(f.locator.leaf.path) == f.sha256


def _tolerant_list(path: Path) -> list[Found]:
    """Like ``list_image``, a file whose data cannot be read being an error (as in a scan).

    The type is found as a scan finds it: first bytes, then a DMG's trailer.
    """
    limits = Limits()
    out = []
    with path.open("rb") as handle:
        kind = sniff(handle.read(SNIFF_BYTES)).name
        if path.stat().st_size >= 512:
            handle.seek(-512, 2)
            kind = opaque_trailer(handle.read(512)) or kind
        handle.seek(0)
        for m in iter_nested(handle, kind, Locator.for_path(str(path)), limits, Budget(limits)):
            status, reason, digest = m.status, m.reason, None
            if m.status == "ok" and m.kind == "file":
                try:
                    with m.open() as data:
                        digest = images.sha256(data.read())
                except MemberReadError as exc:
                    status, reason = "error", str(exc)
            out.append(Found(m.locator, m.kind, status, reason, digest))
    return out


def test_vm_disk_inside_a_zip_opens_when_it_needs_nothing_beside_it(
    vm: VmDisks, tmp_path: Path, raw_view: set[object]
) -> None:
    bundle = tmp_path / "vms.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(vm.disks["qcow2"], "vm/disk.qcow2")
        archive.write(vm.children["vhd-differencing"], "vm/child.vhd")
    found = list_image(bundle)
    qcow = [f for f in found if f.locator.layers[1].path == "vm/disk.qcow2"]
    assert _strip_zip(_view(qcow)) == raw_view
    child = [
        f for f in found if f.locator.layers[1].path == "vm/child.vhd" and f.kind == "container"
    ]
    assert [(f.status, f.reason) for f in child][-1] == (
        "unsupported",
        "parent disk dynamic.vhd not found beside it"
        " (read from inside a container, where only this file is at hand)",
    )
    item_ = next(f for f in qcow if f.locator.leaf.path == "/DCIM/a.jpg")
    assert item_.sha256 is not None
    with open_item(item_.locator, bytes.fromhex(item_.sha256)) as stream:
        assert images.sha256(stream.read()) == item_.sha256


def _strip_zip(view: set[tuple[tuple[tuple[str, str], ...], str, str, str | None]]) -> set[object]:
    return {(inner[1:], kind, status, sha) for inner, kind, status, sha in view if len(inner) > 1}


@pytest.mark.parametrize(
    "name", ["vhd-dynamic", "vhdx", "vmdk-sparse", "vmdk-split-flat", "qcow2", "vhd-differencing",
             "qcow2-overlay", "vmdk-snapshot", "dmg-zlib"],
)  # fmt: skip
def test_each_file_reopens_from_its_locator(vm: VmDisks, name: str) -> None:
    path = vm.disks.get(name) or vm.children[name]
    found = [f for f in _tolerant_list(path) if f.sha256 is not None]
    assert len(found) > 5
    for f in found:  # by the key the store keeps, as the review app's previews do
        assert f.sha256 is not None
        with open_item(f.locator.key(), bytes.fromhex(f.sha256)) as stream:
            assert images.sha256(stream.read()) == f.sha256
    picture = next(f for f in found if f.locator.leaf.path == "/DCIM/a.jpg")
    assert picture.sha256 is not None
    job = RenderJob(picture.locator.key(), bytes.fromhex(picture.sha256), False, 128, 8.0, 1)
    assert make_preview(job)[:3] == b"\xff\xd8\xff"  # the blurred JPEG thumbnail of review


def test_extents_are_segments_of_their_descriptor(vm: VmDisks) -> None:
    first = vm.folder / "split-f001.vmdk"
    assert later_segment(bytes(first), "disk-image", first.read_bytes()[:16]) == {
        "segment": 1,
        "segment_of": "split.vmdk (VMDK extent, read through it)",
    }
    assert later_segment(bytes(vm.folder / "sparse.vmdk"), "vmdk", b"KDMV") is None


def _state(paths: list[Path]) -> dict[Path, tuple[str, int, int]]:
    return {p: (images.file_sha256(p), p.stat().st_mtime_ns, p.stat().st_atime_ns) for p in paths}


def test_folder_scan_reads_each_disk_once_leaves_evidence_untouched_and_counts_problems(
    store: Store, vm: VmDisks, tmp_path: Path
) -> None:
    folder = tmp_path / "exhibits"
    shutil.copytree(vm.folder, folder)
    lonely = folder / "lonely"
    lonely.mkdir()
    shutil.copyfile(vm.children["vhd-differencing"], lonely / "child.vhd")  # no parent beside
    data = vm.disks["qcow2"].read_bytes()
    (folder / "cut.qcow2").write_bytes(data[:1000])
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in paths:  # atimes in the past, so that a read that updates them shows
        st = path.stat()
        import os

        os.utime(path, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns))
    before = _state(paths)
    run_scan(store, [folder], ScanOptions(case="c", workers=1))
    assert _state(paths) == before

    with store.connect() as conn:
        rows = list(conn.execute(sa.select(item)))
    a_jpg = [r for r in rows if r.display.endswith("fat:/DCIM/a.jpg")]
    # 11 disks, 3 children; the extents are read through their descriptors only
    assert len(a_jpg) == 14
    assert {r.location for r in a_jpg} == {"live"}
    extents = [r for r in rows if r.attrs and "segment_of" in r.attrs]
    assert sorted(Path(Locator.from_json(r.locator).leaf.path).name for r in extents) == [
        "flat-flat.vmdk", "split-f001.vmdk", "split-f002.vmdk", "split-f003.vmdk", "twos-s001.vmdk"
    ]  # fmt: skip
    problems = {(r.status, r.reason) for r in rows if r.status not in ("ok", "skipped")}
    assert ("unsupported", "parent disk dynamic.vhd not found beside it") in problems
    assert any(s == "error" and r.startswith("not a readable QCOW2 image") for s, r in problems)
    summary = case_summary(store, "c")
    assert summary.problems.get("unsupported", 0) >= 1
    assert summary.problems.get("error", 0) >= 1


@pytest.mark.parametrize("method", ["aes", "luks"])
def test_encrypted_qcow2_is_encrypted_not_ciphertext_read_as_a_disk(
    vm: VmDisks, tmp_path: Path, method: str
) -> None:
    target = tmp_path / f"{method}.qcow2"
    secret = ["--object", "secret,id=sec0,data=benign-passphrase"]
    options = ["-o", f"encrypt.format={method},encrypt.key-secret=sec0"]
    if method == "luks":
        options[1] += ",encrypt.iter-time=10"  # ms of key stretching, not qemu's 2 s
    command = ["qemu-img", "convert", *secret, "-O", "qcow2", *options, str(vm.raw), str(target)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    found = list_image(target)
    assert [(f.status, f.reason) for f in found] == [
        ("encrypted", f"QCOW2 image {target.name} is encrypted ({method.upper()}):"
         " not decrypted, files not read"),
    ]  # fmt: skip


def test_evidence_info_names_every_file_read_and_the_layout(vm: VmDisks) -> None:
    from vigil.cli.summary_view import _image_lines
    from vigil.sources.disk.info import describe_image

    info = describe_image(bytes(vm.children["vhd-differencing"]))
    assert info is not None
    assert (info["format"], info["parents"]) == ("vhd", ["dynamic.vhd"])
    assert [s["name"] for s in info["segments"]] == ["child.vhd", "dynamic.vhd"]
    assert [v.get("file_system") for v in info["volumes"] if v["slot"] in ("1", "2")] == [
        "fat16", "ext4"
    ]  # fmt: skip
    assert "read through parent disk(s): dynamic.vhd" in _image_lines(info)
    split = describe_image(bytes(vm.disks["vmdk-split-flat"]))
    assert split is not None
    assert [s["name"] for s in split["segments"]] == [
        "split.vmdk", "split-f001.vmdk", "split-f002.vmdk", "split-f003.vmdk"
    ]  # fmt: skip
    assert split["media_size"] == vm.raw.stat().st_size


def test_dmg_with_a_damaged_block_table_is_an_error(vm: VmDisks, tmp_path: Path) -> None:
    data = bytearray(vm.disks["dmg-zlib"].read_bytes())
    listing = data.index(b"<key>Data</key>")
    start = data.index(b"<data>", listing) + len(b"<data>")
    data[start : start + 8] = b"AAAAAAAA"  # the base64 of "mish" and its version: zeros
    damaged = tmp_path / "damaged.dmg"
    damaged.write_bytes(bytes(data))
    found = _tolerant_list(damaged)
    assert [(f.kind, f.status) for f in found] == [("container", "error")]
    assert found[0].reason.startswith("not a readable Apple UDIF (DMG) image (damaged.dmg): ")

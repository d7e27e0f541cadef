"""Benign disk images built with Debian's tools (no mounting, no root needed).

Pictures come from :func:`vigil.demo.imagegen.make_picture`; file systems from
``mkfs.vfat``/``mtools``, ``mkfs.ext4 -d``/``debugfs``, ``mkntfs``/``ntfscp``,
``genisoimage``; partition tables from ``sfdisk``; E01 from ``ewfacquire``.
"""

from __future__ import annotations

import hashlib
import itertools
import plistlib
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from vigil.demo.imagegen import encode, make_picture

MiB = 1024 * 1024
TOOLS = ("mkfs.vfat", "mcopy", "mkfs.ext4", "debugfs", "mkntfs", "ntfscp", "sfdisk", "ewfacquire")


def missing_tools() -> list[str]:
    """The builders' commands that are not installed (``make test`` installs them)."""
    return [tool for tool in (*TOOLS, "genisoimage", "mkfs.exfat") if shutil.which(tool) is None]


def picture(seed: int, fmt: str = "JPEG", size: tuple[int, int] = (160, 120)) -> bytes:
    """A generated, benign picture."""
    return encode(make_picture(seed, size), fmt)


def sha256(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(*args: str | Path, stdin: str | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, input=stdin, text=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


def _stage(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = folder / name.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def fat_image(path: Path, files: dict[str, bytes], deleted: tuple[str, ...] = (),
              size_mib: int = 16, fat_bits: int = 16) -> Path:  # fmt: skip
    """A FAT volume holding ``files`` (paths with ``/``); ``deleted`` ones then removed."""
    with path.open("wb") as handle:
        handle.truncate(size_mib * MiB)
    _run("mkfs.vfat", "-F", str(fat_bits), "-n", "VIGIL", path)
    made: set[str] = set()
    for name, data in files.items():
        parts = name.strip("/").split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in made:
                _run("mmd", "-i", path, f"::/{folder}")
                made.add(folder)
        staged = path.parent / f".stage-{parts[-1]}"
        staged.write_bytes(data)
        _run("mcopy", "-i", path, staged, f"::/{name.strip('/')}")
        staged.unlink()
    for name in deleted:
        _run("mdel", "-i", path, f"::/{name.strip('/')}")
    return path


def ext4_image(path: Path, files: dict[str, bytes], deleted: tuple[str, ...] = (),
               size_mib: int = 16) -> Path:  # fmt: skip
    """An ext4 volume populated with ``mkfs.ext4 -d`` (no mount); ``deleted`` removed by debugfs."""
    stage = path.parent / f".stage-{path.name}"
    _stage(stage, files)
    _run("mkfs.ext4", "-q", "-F", "-L", "vigil", "-d", stage, path, f"{size_mib}M")
    shutil.rmtree(stage)
    for name in deleted:
        _run("debugfs", "-w", "-R", f"rm /{name.strip('/')}", path)
    return path


def ntfs_image(path: Path, files: dict[str, bytes], streams: dict[tuple[str, str], bytes],
               deleted: tuple[str, ...] = (), size_mib: int = 16) -> Path:  # fmt: skip
    """An NTFS volume: root-level ``files``, alternate ``streams`` ((file, stream) → data).

    ntfs-3g has no tool to delete without mounting, so ``deleted`` files get
    their MFT record's in-use flag cleared, as a deletion leaves it.
    """
    with path.open("wb") as handle:
        handle.truncate(size_mib * MiB)
    _run("mkntfs", "-q", "-F", "-Q", "-s", "512", "-c", "4096", "-L", "vigil", path)
    staged = path.parent / f".stage-{path.name}"
    for name, data in files.items():
        staged.write_bytes(data)
        _run("ntfscp", "-q", "-f", path, staged, name)
    for (name, stream), data in streams.items():
        staged.write_bytes(data)
        _run("ntfscp", "-q", "-f", "-N", stream, path, staged, name)
    staged.unlink(missing_ok=True)
    for name in deleted:
        _clear_in_use(path, _ntfs_inode(path, name))
    return path


def _ntfs_inode(path: Path, name: str) -> int:
    out = subprocess.run(["ntfsinfo", "-F", name, str(path)], check=True, capture_output=True,
                         text=True).stdout  # fmt: skip
    first = out.splitlines()[0]  # "Dumping Inode 65 (0x41)"
    return int(first.split()[2])


def _clear_in_use(path: Path, inode: int) -> None:
    with path.open("r+b") as handle:
        boot = handle.read(512)
        cluster = struct.unpack_from("<H", boot, 11)[0] * boot[13]
        mft = struct.unpack_from("<q", boot, 0x30)[0] * cluster
        code = struct.unpack_from("<b", boot, 0x40)[0]
        record = 2 ** (-code) if code < 0 else code * cluster
        handle.seek(mft + inode * record + 0x16)
        (flags,) = struct.unpack("<H", handle.read(2))
        handle.seek(mft + inode * record + 0x16)
        handle.write(struct.pack("<H", flags & ~1))


def exfat_image(path: Path, size_mib: int = 16) -> Path:
    """An empty exFAT volume (nothing can populate one without mounting it)."""
    with path.open("wb") as handle:
        handle.truncate(size_mib * MiB)
    _run("mkfs.exfat", "-L", "VIGIL", path)
    return path


def iso_image(path: Path, files: dict[str, bytes]) -> Path:
    """An ISO 9660 image (Rock Ridge and Joliet names) of ``files``."""
    stage = path.parent / f".stage-{path.name}"
    _stage(stage, files)
    _run("genisoimage", "-quiet", "-R", "-J", "-o", path, stage)
    shutil.rmtree(stage)
    return path


def partitioned(path: Path, volumes: list[Path], label: str = "dos", gap_mib: int = 2) -> list[int]:
    """A disk with one partition per volume file (1 MiB aligned, a free gap at the end).

    Returns each partition's byte offset.
    """
    offsets, lines, start = [], [f"label: {label}"], MiB
    for volume in volumes:
        size = volume.stat().st_size
        lines.append(f"start={start // 512}, size={size // 512}, type="
                     + ("L" if label == "gpt" else "83"))  # fmt: skip
        offsets.append(start)
        start += -(-size // MiB) * MiB
    total = start + gap_mib * MiB + (MiB if label == "gpt" else 0)
    with path.open("wb") as handle:
        handle.truncate(total)
    _run("sfdisk", "-q", path, stdin="\n".join(lines) + "\n")
    with path.open("r+b") as handle:
        for offset, volume in zip(offsets, volumes, strict=True):
            handle.seek(offset)
            handle.write(volume.read_bytes())
    return offsets


def plant(path: Path, offset: int, data: bytes) -> None:
    """Write bytes into an image at ``offset`` (space no file system entry points at)."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def ewf(raw: Path, target: Path, segment: str = "1MiB", compression: str = "none",
        **meta: str) -> Path:  # fmt: skip
    """An E01 set of ``raw`` (MD5+SHA-1 stored); returns the ``.E01`` path."""
    _run(
        "ewfacquire", "-u", "-q", "-t", target, "-c", compression, "-S", segment, "-d", "sha1",
        "-C", meta.get("case", "CASE-1"), "-D", meta.get("description", "USB stick"),
        "-E", meta.get("evidence", "EX-1"), "-e", meta.get("examiner", "DC Example"),
        "-N", meta.get("notes", "benign test image"), raw,
    )  # fmt: skip
    return target.with_name(target.name + ".E01")


def split_raw(raw: Path, base: Path, chunk: int) -> list[Path]:
    """``raw`` cut into ``base.001``, ``base.002`` … of ``chunk`` bytes each."""
    data, paths = raw.read_bytes(), []
    for number, start in enumerate(range(0, len(data), chunk), 1):
        part = base.with_name(f"{base.name}.{number:03d}")
        part.write_bytes(data[start : start + chunk])
        paths.append(part)
    return paths


def fat_loop(path: Path) -> Path:
    """A FAT16 volume whose folder ``/D`` holds an entry ``LOOP`` that points back at ``/D``."""
    fat_image(path, {"/D/x.txt": b"x"})
    with path.open("r+b") as handle:
        boot = handle.read(512)
        bps, spc = struct.unpack_from("<H", boot, 11)[0], boot[13]
        reserved, fats = struct.unpack_from("<H", boot, 14)[0], boot[16]
        roots, per_fat = (
            struct.unpack_from("<H", boot, 17)[0],
            struct.unpack_from("<H", boot, 22)[0],
        )
        root = (reserved + fats * per_fat) * bps
        data = root + roots * 32
        handle.seek(root)
        table = handle.read(roots * 32)
        index = next(i for i in range(0, len(table), 32) if table[i : i + 11] == b"D          ")
        cluster = struct.unpack_from("<H", table, index + 26)[0]
        start = data + (cluster - 2) * spc * bps
        handle.seek(start)
        entries = handle.read(spc * bps)
        free = next(i for i in range(0, len(entries), 32) if entries[i] == 0)
        entry = bytearray(32)
        entry[0:11], entry[11] = b"LOOP       ", 0x10
        struct.pack_into("<H", entry, 26, cluster)
        handle.seek(start + free)
        handle.write(entry)
    return path


def iso_fat_hybrid(path: Path, fat_files: dict[str, bytes], iso_files: dict[str, bytes]) -> Path:
    """One volume that is both a FAT16 and an ISO 9660 file system, each with its own files.

    The FAT's reserved sectors (512 KiB) are left unused by FAT; the ISO image,
    all but its 32 KiB system area (where the FAT boot sector stays), is written
    into them. Both are valid: TSK's auto-detection names both and picks neither.
    """
    iso = iso_image(path.with_suffix(".iso"), iso_files)
    data = iso.read_bytes()
    iso.unlink()
    reserved = 1024  # sectors
    if len(data) > reserved * 512:
        raise ValueError("ISO too large for the FAT's reserved area")
    with path.open("wb") as handle:
        handle.truncate(16 * MiB)
    _run("mkfs.vfat", "-F", "16", "-R", str(reserved), "-n", "HYBRID", path)
    for name, content in fat_files.items():
        staged = path.parent / f".stage-{name}"
        staged.write_bytes(content)
        _run("mcopy", "-i", path, staged, f"::/{name}")
        staged.unlink()
    plant(path, 32 * 1024, data[32 * 1024 :])
    return path


def luks2_image(path: Path, volume: Path, password: str, kdf: str = "pbkdf2") -> Path:
    """``volume`` encrypted into a LUKS2 volume at ``path``, offline (no device-mapper).

    ``cryptsetup reencrypt --encrypt`` moves the data 8 MiB on to make room for
    the header; the work factors are the smallest cryptsetup takes (fast tests).
    """
    reserve = 8 * MiB
    path.write_bytes(volume.read_bytes())
    with path.open("r+b") as handle:
        handle.truncate(volume.stat().st_size + reserve)
    cost = (
        ["--pbkdf-force-iterations", "1000"]
        if kdf == "pbkdf2"
        else ["--pbkdf-force-iterations", "4", "--pbkdf-memory", "32", "--pbkdf-parallel", "1"]
    )
    _run("cryptsetup", "reencrypt", "--encrypt", "--type", "luks2", "--batch-mode",
         "--reduce-device-size", f"{reserve // MiB}M", "--pbkdf", kdf, *cost,
         "--key-file", "-", path, stdin=password)  # fmt: skip
    return path


def luks1_image(path: Path, volume: Path, password: str) -> Path:
    """``volume`` encrypted into a LUKS1 volume at ``path``, offline (no device-mapper).

    ``cryptsetup reencrypt --encrypt`` needs device-mapper for LUKS1 but not for
    LUKS2: encrypt as LUKS2 (PBKDF2, so that the header converts), then convert
    the header to LUKS1. The header takes 4 MiB in front of the data.
    """
    luks2_image(path, volume, password)
    _run("cryptsetup", "convert", "--type", "luks1", "--batch-mode", path)
    return path


# --- LVM2, crafted: the lvm2 tools want a block device, and loop devices need root ---
# Layout per LVM2's format_text (label.c, layout.h): label header in sector 1 with the
# PV header after it, one metadata area at 4 KiB (its header, then the text), extents
# from 1 MiB on. Checksums are LVM's CRC-32 (initial value 0xf597a6cf, no final XOR).


def lvm_crc(data: bytes) -> int:
    """LVM2's CRC-32 (calc_crc): zlib's polynomial, another initial value, no final XOR."""
    return zlib.crc32(data, 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def _lvm_id(seed: int) -> str:
    """A 32-character LVM id, shown 6-4-4-4-4-4-6 as in the metadata."""
    raw = hashlib.sha256(str(seed).encode()).hexdigest()[:32]
    letters = "".join("abcdefghijklmnopqrstuvwxyzABCDEF"[int(c, 16) + (i % 2) * 16]
                      for i, c in enumerate(raw))  # fmt: skip
    cuts = (0, 6, 10, 14, 18, 22, 26, 32)
    return "-".join(letters[a:b] for a, b in itertools.pairwise(cuts))


def lvm_image(path: Path, volumes: dict[str, Path], extent_mib: int = 1) -> Path:
    """An LVM2 physical volume at ``path``: volume group ``vg0``, one linear LV per volume."""
    pe_start, extent = MiB, extent_mib * MiB
    datas = {name: volume.read_bytes() for name, volume in volumes.items()}
    sizes = {name: -(-len(data) // extent) for name, data in datas.items()}
    total = pe_start + sum(sizes.values()) * extent
    lvs, first = [], 0
    for number, (name, count) in enumerate(sizes.items()):
        lvs.append(f"""{name} {{
id = "{_lvm_id(10 + number)}"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1
segment1 {{
start_extent = 0
extent_count = {count}
type = "striped"
stripe_count = 1
stripes = [
"pv0", {first}
]
}}
}}
""")
        first += count
    pv_id = _lvm_id(1)
    text = (
        f"""vg0 {{
id = "{_lvm_id(2)}"
seqno = 1
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = {extent // 512}
max_lv = 0
max_pv = 0
metadata_copies = 0
physical_volumes {{
pv0 {{
id = "{pv_id}"
device = "/dev/vigil0"
status = ["ALLOCATABLE"]
flags = []
dev_size = {total // 512}
pe_start = {pe_start // 512}
pe_count = {sum(sizes.values())}
}}
}}
logical_volumes {{
{"".join(lvs)}}}
}}
contents = "Text Format Volume Group"
version = 1
description = ""
creation_host = "vigil-tests"
creation_time = 0
""".encode()
        + b"\0"
    )
    image = bytearray(total)
    mda_offset, mda_size = 4096, pe_start - 4096
    pv_header = pv_id.replace("-", "").encode() + struct.pack("<Q", total)
    pv_header += struct.pack("<QQ", pe_start, 0) + bytes(16)  # data area, then the list's end
    pv_header += struct.pack("<QQ", mda_offset, mda_size) + bytes(16)  # metadata area, end
    label = bytearray(512)
    label[0:8], label[24:32] = b"LABELONE", b"LVM2 001"
    struct.pack_into("<QxxxxI", label, 8, 1, 32)  # sector of the label, offset of the PV header
    label[32 : 32 + len(pv_header)] = pv_header
    struct.pack_into("<I", label, 16, lvm_crc(bytes(label[20:])))
    image[512:1024] = label
    mda = bytearray(512)
    mda[4:20] = b" LVM2 x[5A%r0N*>"
    struct.pack_into("<IQQ", mda, 20, 1, mda_offset, mda_size)
    struct.pack_into("<QQII", mda, 40, 512, len(text), lvm_crc(text), 0)
    struct.pack_into("<I", mda, 0, lvm_crc(bytes(mda[4:])))
    image[mda_offset : mda_offset + 512] = mda
    image[mda_offset + 512 : mda_offset + 512 + len(text)] = text
    at = pe_start
    for name, data in datas.items():
        image[at : at + len(data)] = data
        at += sizes[name] * extent
    path.write_bytes(bytes(image))
    return path


def qemu_convert(raw: Path, target: Path, fmt: str, *options: str) -> Path:
    """``raw`` converted by ``qemu-img`` to ``fmt`` (vpc, vhdx, vmdk, qcow2)."""
    args: list[str | Path] = ["qemu-img", "convert", "-O", fmt]
    for option in options:
        args += ["-o", option]
    command = [str(a) for a in (*args, raw.resolve(), target.name)]
    subprocess.run(command, check=True, cwd=target.parent, stdout=subprocess.DEVNULL)
    return target


def overlay(parent: Path, raw: Path, changed: Path, target: Path, fmt: str) -> Path:
    """A child of ``parent`` (media ``raw``) in ``fmt`` holding the 64 KiB runs ``changed`` alters.

    ``qemu-img create -b`` makes the empty child and ``qemu-io`` writes the changes into it.
    """
    run = {"check": True, "cwd": target.parent, "stdout": subprocess.DEVNULL}
    create = ["qemu-img", "create", "-f", fmt, "-b", parent.name, "-F", fmt, target.name]
    subprocess.run(create, **run)  # type: ignore[call-overload]
    old, new, chunk = raw.read_bytes(), changed.read_bytes(), 64 * 1024
    commands: list[str] = []
    for start in range(0, len(new), chunk):
        if new[start : start + chunk] != old[start : start + chunk]:
            piece = target.with_name(f".chunk-{start}")
            piece.write_bytes(new[start : start + chunk])
            commands += ["-c", f"write -q -s {piece} {start} {len(new[start : start + chunk])}"]
    subprocess.run(["qemu-io", "-f", fmt, *commands, target.name], **run)  # type: ignore[call-overload]
    for piece in target.parent.glob(".chunk-*"):
        piece.unlink()
    return target


def _vhd_checksum(block: bytes, at: int) -> bytes:
    data = bytearray(block)
    data[at : at + 4] = bytes(4)
    return struct.pack(">I", ~sum(data) & 0xFFFFFFFF)


def differencing_vhd(parent: Path, changed: Path, target: Path, parent_name: str) -> Path:
    """A differencing VHD over ``parent`` whose view is the raw image ``changed``.

    qemu-img cannot make one, so: the 2 MiB blocks of ``changed`` that differ from
    the parent's media go into a dynamic VHD (qemu writes their sector bitmaps full),
    which is then made differencing as the VHD specification says: disk type 4 in
    the footer (and its copy), the parent's unique id, time stamp and name in the
    dynamic header, both checksums redone. Unchanged blocks are read from the parent.
    """
    block = 2 * MiB
    base = parent.with_suffix(".media")
    qemu_img = ("qemu-img", "convert", "-f", "vpc", "-O", "raw", parent, base)
    subprocess.run([str(a) for a in qemu_img], check=True, stdout=subprocess.DEVNULL)
    old, new = base.read_bytes(), changed.read_bytes()
    base.unlink()
    delta = bytearray(len(new))
    for start in range(0, len(new), block):
        if new[start : start + block] != old[start : start + block]:
            delta[start : start + block] = new[start : start + block]
    staged = target.with_suffix(".delta")
    staged.write_bytes(bytes(delta))
    qemu_convert(staged, target, "vpc", "subformat=dynamic")
    staged.unlink()
    parent_footer = parent.read_bytes()[:512]
    data = bytearray(target.read_bytes())
    footer = bytearray(data[:512])
    footer[60:64] = struct.pack(">I", 4)  # differencing
    footer[64:68] = _vhd_checksum(footer, 64)
    data[:512] = data[-512:] = footer
    (where,) = struct.unpack_from(">Q", footer, 16)
    header = bytearray(data[where : where + 1024])
    header[40:56] = parent_footer[68:84]  # the parent's unique id
    header[56:60] = parent_footer[24:28]  # and its time stamp
    header[64:576] = parent_name.encode("utf-16-be").ljust(512, b"\x00")
    header[36:40] = _vhd_checksum(header, 36)
    data[where : where + 1024] = header
    target.write_bytes(bytes(data))
    return target


def split_flat_vmdk(raw: Path, descriptor: Path, extents: int) -> list[Path]:
    """A VMDK of several FLAT extents (``x-f001.vmdk`` …) and its text descriptor."""
    data = raw.read_bytes()
    sectors = len(data) // 512
    per = -(-sectors // extents)
    lines, paths = [], [descriptor]
    for number in range(extents):
        part = data[number * per * 512 : (number + 1) * per * 512]
        path = descriptor.with_name(f"{descriptor.stem}-f{number + 1:03d}.vmdk")
        path.write_bytes(part)
        paths.append(path)
        lines.append(f'RW {len(part) // 512} FLAT "{path.name}" 0')
    text = ["# Disk DescriptorFile", "version=1", "CID=fffffffe", "parentCID=ffffffff",
            'createType="twoGbMaxExtentFlat"', "", "# Extent description", *lines, "",
            "# The Disk Data Base", "#DDB", 'ddb.adapterType = "ide"', ""]  # fmt: skip
    descriptor.write_text("\n".join(text))
    return paths


def udif(raw: Path, target: Path, compress: bool, chunk_sectors: int = 2048) -> Path:
    """An Apple disk image (UDIF) of ``raw``, built as the format is documented.

    hdiutil does not run on Linux, so the test writes one: the data fork (chunks
    of ``chunk_sectors``, zlib-compressed as UDZO does, or stored raw as UDRW;
    all-zero chunks left out as "ignore" runs), an XML property list whose
    ``blkx`` entry holds the ``mish`` block table, and the 512-byte ``koly`` trailer.
    """
    media = raw.read_bytes()
    sectors = len(media) // 512
    data = bytearray()
    runs = []
    for first in range(0, sectors, chunk_sectors):
        count = min(chunk_sectors, sectors - first)
        piece = media[first * 512 : (first + count) * 512]
        if piece.count(0) == len(piece):
            runs.append((0x00000002, first, count, len(data), 0))  # zeros, nothing stored
            continue
        stored = zlib.compress(piece) if compress else piece
        runs.append((0x80000005 if compress else 0x00000001, first, count, len(data), len(stored)))
        data += stored
    runs.append((0xFFFFFFFF, sectors, 0, len(data), 0))  # end of the table
    mish = bytearray(b"mish" + struct.pack(">IQQQII", 1, 0, sectors, 0, 0x208, 0))
    mish += bytes(24) + struct.pack(">II", 2, 32) + bytes(128)  # CRC32 slot, unchecked
    mish += struct.pack(">I", len(runs))
    for kind, first, count, offset, length in runs:
        mish += struct.pack(">IIQQQQ", kind, 0, first, count, offset, length)
    entry = {"Attributes": "0x0050", "CFName": "whole disk", "Data": bytes(mish), "ID": "0",
             "Name": "whole disk"}  # fmt: skip
    listing = plistlib.dumps({"resource-fork": {"blkx": [entry]}})
    koly = bytearray(512)
    struct.pack_into(">4sIII", koly, 0, b"koly", 4, 512, 1)
    struct.pack_into(">QQ", koly, 24, 0, len(data))  # data fork offset and length
    struct.pack_into(">II", koly, 56, 1, 1)  # segment 1 of 1
    struct.pack_into(">QQ", koly, 216, len(data), len(listing))  # the property list
    struct.pack_into(">IQ", koly, 488, 1, sectors)  # image variant, sector count
    target.write_bytes(bytes(data) + listing + bytes(koly))
    return target

"""Whole scans of damaged disk images, each in a child process.

The Sleuth Kit and libewf are C: a damaged image could crash or hang the
process that parses it, which an in-process harness would take down with it.
So each damaged image is scanned by ``vigil scan`` in a child, and the child is
held to the scan contract: it exits OK (or with findings), prints no traceback,
records at least the image itself, finishes within a time bound and a memory
bound, and leaves the image's bytes and mode as they were.

Damage is written in place (a disk image's structures sit at fixed offsets:
shifting bytes would only make a different, less interesting image) and only
into sectors that hold something: boot sectors, tables, directories, file data.
An input is the seed's name and its edits, so a failing one is saved to the
corpus as a few hundred bytes of JSON, not a copy of the image.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from vigil.demo.diskimage import write_fat12
from vigil.demo.imagegen import encode, make_picture

from .contract import CORPUS, SAVE, ContractBroken

SECTOR = 512
SCAN_SECONDS = float(os.environ.get("VIGIL_FUZZ_SCAN_SECONDS", "120"))
"""Bound on one whole scan in a child (start-up included; shared CI machines are slow)."""
SCAN_MEMORY_MIB = float(os.environ.get("VIGIL_FUZZ_SCAN_MEMORY_MIB", "1536"))
"""Bound on the child's peak resident memory (one worker: the scan runs in the child)."""
OK_EXITS = (0, 3)
"""OK and FINDINGS (cli/exit_codes.py): what a scan that kept the contract ends with."""


@dataclass(frozen=True)
class DiskInput:
    """A seed image by name with in-place edits: ``(offset, bytes)``, then an optional cut."""

    seed: str
    edits: tuple[tuple[int, bytes], ...] = ()
    cut_at: int | None = None

    def to_json(self) -> str:
        """The input as the corpus keeps it."""
        edits = [[offset, data.hex()] for offset, data in self.edits]
        return json.dumps({"seed": self.seed, "edits": edits, "cut_at": self.cut_at})

    @classmethod
    def from_json(cls, text: str) -> DiskInput:
        """An input saved by :meth:`to_json`."""
        raw = json.loads(text)
        edits = tuple((int(o), bytes.fromhex(h)) for o, h in raw["edits"])
        return cls(str(raw["seed"]), edits, raw["cut_at"])


@dataclass
class DiskSeed:
    """A valid image and the sectors of it that hold something (where damage is written)."""

    data: bytes
    used_sectors: list[int] = field(default_factory=list)


def _picture(seed: int) -> bytes:
    return encode(make_picture(seed, (160, 120)), "JPEG")


def _fat12(folder: Path) -> Path:
    path = folder / "floppy.img"
    write_fat12(
        path,
        live={"HOLIDAY.JPG": _picture(1), "NOTES.TXT": b"benign notes\n" * 80},
        deleted={"GONE.JPG": _picture(2)},
        free=[_picture(3)],
    )
    return path


def _ext4(folder: Path) -> Path:
    from sources.disk import images

    files = {"photos/a.jpg": _picture(4), "docs/readme.txt": b"benign\n" * 50}
    return images.ext4_image(folder / "ext4.img", files, deleted=("photos/a.jpg",), size_mib=4)


def _ntfs(folder: Path) -> Path:
    from sources.disk import images

    files = {"pic.jpg": _picture(5), "notes.txt": b"benign\n" * 50}
    streams = {("notes.txt", "hidden"): _picture(7)}
    return images.ntfs_image(folder / "ntfs.img", files, streams, ("pic.jpg",), size_mib=4)


def _mbr(folder: Path) -> Path:
    from sources.disk import images

    files = {"DCIM/b.jpg": _picture(6)}
    fat = images.fat_image(folder / "part.img", files, size_mib=2, fat_bits=12)
    disk = folder / "mbr.img"
    images.partitioned(disk, [fat], gap_mib=1)
    return disk


BUILDERS: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "fat12": (_fat12, ()),
    "ext4": (_ext4, ("mkfs.ext4", "debugfs")),
    "ntfs": (_ntfs, ("mkntfs", "ntfscp")),
    "mbr": (_mbr, ("mkfs.vfat", "mcopy", "sfdisk")),
}
"""Seed images by name, with the Debian tools each needs (``make test`` installs them)."""


def missing(seed: str) -> list[str]:
    """Tools a seed's builder needs that are not installed."""
    return [tool for tool in BUILDERS[seed][1] if shutil.which(tool) is None]


@cache
def seed_image(seed: str) -> DiskSeed:
    """Build the seed once per session; list its sectors that are not all zero."""
    with tempfile.TemporaryDirectory(prefix="vigil-fuzz-seed-") as folder:
        data = BUILDERS[seed][0](Path(folder)).read_bytes()
    zero = bytes(SECTOR)
    used = [i for i in range(len(data) // SECTOR) if data[i * SECTOR : (i + 1) * SECTOR] != zero]
    return DiskSeed(data, used)


def damaged(input_: DiskInput) -> bytes:
    """The seed with the input's edits written over it, then cut."""
    seed = seed_image(input_.seed).data
    image = bytearray(seed)
    for offset, data in input_.edits:
        image[offset : offset + len(data)] = data
    del image[len(seed) :]  # written in place: an edit at the end never makes it longer
    return bytes(image[: input_.cut_at] if input_.cut_at is not None else image)


_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x80",
    b"\x01\x00\x00\x00",
    b"\xff" * 8,
]


@st.composite
def disk_inputs(draw: st.DrawFn, seed: str) -> DiskInput:
    """A few in-place edits in the seed's used sectors, sometimes a cut at a sector."""
    built = seed_image(seed)
    edits = []
    for _ in range(draw(st.integers(1, 6))):
        sector = draw(st.sampled_from(built.used_sectors))
        offset = sector * SECTOR + draw(st.integers(0, SECTOR - 1))
        kind = draw(st.sampled_from(["flip", "interesting", "random", "zero-sector"]))
        if kind == "flip":
            data = bytes([built.data[offset] ^ (1 << draw(st.integers(0, 7)))])
        elif kind == "interesting":
            data = draw(st.sampled_from(_INTERESTING))
        elif kind == "random":
            data = draw(st.binary(min_size=1, max_size=16))
        else:
            offset, data = sector * SECTOR, bytes(SECTOR)
        edits.append((offset, data))
    cut_at = None
    if draw(st.integers(0, 9)) == 0:
        cut_at = draw(st.sampled_from(built.used_sectors)) * SECTOR
    return DiskInput(seed, tuple(edits), cut_at)


def keep_scan_contract(input_: DiskInput) -> None:
    """Scan the damaged image in a child; raise ContractBroken (saving the input) if it breaks."""
    try:
        _scan_in_child(damaged(input_))
    except ContractBroken:
        _save(input_)
        raise


def _scan_in_child(image: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="vigil-fuzz-disk-") as folder:
        evidence = Path(folder) / "exhibit.img"
        evidence.write_bytes(image)
        evidence.chmod(0o444)
        before = (hashlib.sha256(image).hexdigest(), evidence.stat().st_mode)
        argv = [
            sys.executable, "-m", "vigil", "--db", f"sqlite:///{folder}/store.db", "scan",
            str(evidence), "--case", "fuzz", "--workers", "1", "--json",
        ]  # fmt: skip
        rc, out, err, seconds, peak_mib = run_bounded(argv)
        after = (hashlib.sha256(evidence.read_bytes()).hexdigest(), evidence.stat().st_mode)
    if after != before:
        raise ContractBroken("the scan changed the evidence")
    if rc is None:
        raise ContractBroken(f"the scan did not finish within {SCAN_SECONDS:g} s")
    if rc not in OK_EXITS or "Traceback" in err:
        raise ContractBroken(f"the scan exited {rc}: {err.strip()[-400:]}")
    items = json.loads(out).get("items", 0)
    if items < 1:
        raise ContractBroken("the scan recorded nothing, not even the image")
    if peak_mib > SCAN_MEMORY_MIB:
        raise ContractBroken(f"the scan peaked at {peak_mib:.0f} MiB (bound {SCAN_MEMORY_MIB:g})")
    del seconds


def run_bounded(
    argv: list[str], seconds: float = SCAN_SECONDS
) -> tuple[int | None, str, str, float, float]:
    """Run ``argv``; (exit code or None when killed at ``seconds``, stdout, stderr, s, MiB).

    Memory is the child's own high-water mark (``VmHWM``), read from ``/proc`` while
    it runs: ``wait4``'s ``ru_maxrss`` would carry over the mark of this (large,
    long-running) test process from before the child's ``exec``.
    """
    started = time.monotonic()
    peak_kib = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)
        rc: int | None = None
        while True:
            peak_kib = max(peak_kib, _high_water_kib(child.pid))
            pid, status = os.waitpid(child.pid, os.WNOHANG)
            if pid:
                rc = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - started > seconds:
                os.killpg(child.pid, 9)
                os.waitpid(child.pid, 0)
                break
            time.sleep(0.02)
        child.returncode = -9 if rc is None else rc  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        return (
            rc,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            time.monotonic() - started,
            peak_kib / 1024,
        )


def _high_water_kib(pid: int) -> int:
    """A running process's peak resident memory (KiB); 0 before its exec or after its end."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _save(input_: DiskInput) -> None:
    if not SAVE:
        return
    folder = CORPUS / f"disk-{input_.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    text = input_.to_json()
    (folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.json").write_text(text)


def corpus_disk_inputs() -> list[Path]:
    """Every saved damaged-image input, for the replay test."""
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("disk-*/*.json"))

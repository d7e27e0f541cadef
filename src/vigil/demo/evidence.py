"""Build the demo: a demo hash set, a known-good list and an evidence folder.

Everything is generated: pictures are shapes on gradients (``imagegen``),
categories in the demo set are labels only.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from vigil.demo.diskimage import write_fat12
from vigil.demo.imagegen import encode, make_picture
from vigil.demo.zipcrypto import write_encrypted_zip
from vigil.hashing.pdq import hash_image
from vigil.hashsets.formats.vics_writer import write_vics
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import load_scheme

DEMO_CATEGORIES = ("A", "B", "C", "B", "C", "not_indecent")
"""Labels given to the listed demo pictures (benign shapes; the labels mean nothing)."""


@dataclass(slots=True)
class DemoLayout:
    """Where the demo files are, and what a scan of them must find."""

    root: Path
    vics: Path
    known_good: Path
    evidence: Path
    expected: dict[str, int] = field(default_factory=dict)
    disk_image: Path | None = None
    """A FAT12 USB-stick image, scanned as an exhibit of its own (live, deleted, carved)."""
    expected_disk: dict[str, int] = field(default_factory=dict)


def build_demo(root: Path) -> DemoLayout:
    """Write the demo set, the known-good list and the evidence folder under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    evidence = root / "evidence"
    layout = DemoLayout(root, root / "demo-set.vics.json", root / "known-good.md5", evidence)
    listed = [encode(make_picture(seed)) for seed in range(len(DEMO_CATEGORIES))]
    _write_demo_set(layout.vics, listed)
    system_files = {f"Windows/System32/driver{i}.dll": _system_file(i) for i in range(4)}
    layout.known_good.write_text(
        "".join(
            f"{hashlib.md5(d, usedforsecurity=False).hexdigest()}  {n}\n"
            for n, d in system_files.items()
        )
    )
    _write_evidence(evidence, listed, system_files)
    layout.expected = {
        "exact": 6,  # 3 live + 1 renamed + 2 inside the nested zip
        "perceptual": 3,  # resized, recompressed, mirrored
        "known": len(system_files),
        "encrypted": 2,
    }
    layout.disk_image = root / "usb-stick.img"
    layout.expected_disk = _write_disk_image(layout.disk_image, listed)
    return layout


def _write_disk_image(path: Path, listed: list[bytes]) -> dict[str, int]:
    """A listed picture live, one deleted, one only in free space; one new picture."""
    write_fat12(
        path,
        live={"HOLIDAY.JPG": listed[2], "BEACH.JPG": encode(make_picture(600, (320, 240)))},
        deleted={"SECRET.JPG": listed[0]},
        free=[listed[1]],
    )
    return {"exact": 3, "live": 1, "deleted": 1, "carved": 1, "unknown": 1}


def _system_file(i: int) -> bytes:
    return (f"MZ demo system file {i}\n".encode() * 200)[: 4096 + i]


def _write_demo_set(path: Path, listed: list[bytes]) -> None:
    entries = []
    for i, (data, category) in enumerate(zip(listed, DEMO_CATEGORIES, strict=True)):
        pdq = hash_image(data)
        entries.append(
            HashEntry(
                md5=hashlib.md5(data, usedforsecurity=False).digest(),
                sha1=hashlib.sha1(data, usedforsecurity=False).digest(),
                sha256=hashlib.sha256(data, usedforsecurity=False).digest(),
                pdq=pdq.hash,
                pdq_quality=pdq.quality,
                category=category,
                name=f"demo-{i}.jpg",
                size=len(data),
                media_id=str(i + 1),
            )
        )
    with path.open("wb") as out:
        write_vics(entries, out, load_scheme("uk"))


def _write_evidence(evidence: Path, listed: list[bytes], system_files: dict[str, bytes]) -> None:
    pictures = evidence / "Users/demo/Pictures"
    downloads = evidence / "Users/demo/Downloads"
    for folder in (pictures, downloads):
        folder.mkdir(parents=True, exist_ok=True)
    for name, data in system_files.items():
        target = evidence / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    # Exact copies of listed pictures, one renamed to hide what it is.
    for i in range(3):
        (pictures / f"IMG_{1000 + i}.jpg").write_bytes(listed[i])
    (pictures / "notes.txt").write_bytes(listed[3])
    # Near copies: found by PDQ only.
    third = Image.open(io.BytesIO(listed[4]))
    (pictures / "small.jpg").write_bytes(encode(third.resize((320, 240))))
    (pictures / "recompressed.jpg").write_bytes(encode(third, quality=60))
    mirrored = ImageOps.mirror(Image.open(io.BytesIO(listed[5])))
    (pictures / "mirrored.png").write_bytes(encode(mirrored, "PNG"))
    # New pictures nobody has graded yet.
    for seed in range(100, 105):
        (pictures / f"camera_{seed}.jpg").write_bytes(encode(make_picture(seed)))
    # A corrupt picture: a JPEG cut short.
    (pictures / "broken.jpg").write_bytes(encode(make_picture(200))[:700])
    # A zip holding a zip holding listed and new pictures.
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("album/a.jpg", listed[0])
        z.writestr("album/b.jpg", listed[1])
        z.writestr("album/new.jpg", encode(make_picture(300)))
    with zipfile.ZipFile(downloads / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "demo bundle\n")
        z.writestr("inner/album.zip", inner.getvalue())
    # A password-protected zip: listed and flagged, never opened.
    write_encrypted_zip(
        downloads / "private.zip",
        {"x.jpg": encode(make_picture(400)), "y.jpg": encode(make_picture(401))},
        b"demo-password",
    )
    # A tar.gz of new pictures.
    with tarfile.open(downloads / "photos.tar.gz", "w:gz") as tar:
        for seed in (500, 501):
            data = encode(make_picture(seed))
            info = tarfile.TarInfo(f"photos/p{seed}.jpg")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

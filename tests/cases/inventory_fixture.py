"""The evidence of the inventory tests' case: an empty file, a plain text document, a
picture, a picture that cannot be decoded (an error item), a folder and a ZIP with two members."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from vigil.store.engine import Store

CASE = "OP-INVENTORY"
MEMBERS = {"docs/readme.txt": b"inside the zip\n"}


@dataclass(frozen=True, slots=True)
class InventoryCase:
    """The store holding CASE and where its evidence lies."""

    store: Store
    evidence: Path
    bundle: Path  # the ZIP inside the evidence

    def member_bytes(self) -> dict[str, bytes]:
        """Every member of the ZIP by name, with its content."""
        with zipfile.ZipFile(self.bundle) as z:
            return {name: z.read(name) for name in z.namelist()}


def _png(colour: tuple[int, int, int], size: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def build_evidence(root: Path) -> Path:
    """Write the evidence folder under ``root`` and return it."""
    evidence = root / "exhibit"
    (evidence / "empty-folder").mkdir(parents=True)
    (evidence / "empty.dat").write_bytes(b"")
    (evidence / "notes.txt").write_text("Meeting notes\nnothing of interest\n", encoding="utf-8")
    (evidence / "red.png").write_bytes(_png((200, 10, 10), 64))
    # A JPEG signature with nothing behind it: the scan records an error item.
    (evidence / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40))
    with zipfile.ZipFile(evidence / "bundle.zip", "w") as z:
        for name, data in MEMBERS.items():
            z.writestr(name, data)
        z.writestr("blue.png", _png((0, 90, 200), 48))
    return evidence

"""What a scan worker hands back for each item it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.hashing.vpdq import FrameFeature
from vigil.scan.exif import Exif
from vigil.sources.locator import Locator


@dataclass(slots=True)
class ItemRecord:
    """One found item: where it is, what it is, its hashes, and what went wrong if anything.

    ``status`` is ``ok``, ``error`` (could not be read or decoded), ``limit`` (an
    archive-safety limit stopped it), ``encrypted``, ``unsupported`` or
    ``skipped`` (FIFOs, sockets, devices). ``location`` is ``live``,
    ``archive``, ``deleted`` or ``carved``.
    """

    locator: Locator
    kind: str
    status: str = "ok"
    reason: str | None = None
    size: int | None = None
    mtime: float | None = None
    file_type: str | None = None
    family: str | None = None
    ext_mismatch: bool = False
    location: str = "live"
    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    pdq: bytes | None = None
    pdq_quality: int | None = None
    pdq_variants: bytes | None = None
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    exif: Exif | None = None
    frames: list[FrameFeature] | None = None
    """A video's kept frames (vPDQ features), in frame order; None for anything else."""
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_media(self) -> bool:
        """Images and videos: what an examiner must account for."""
        return self.family in ("image", "video")


@dataclass(frozen=True, slots=True)
class Task:
    """A top-level entry of an evidence source: the unit of work and of resumption."""

    key: str
    evidence_ordinal: int
    locator: Locator
    path: bytes
    kind: str
    size: int | None
    mtime: float | None
    status: str
    reason: str | None
    link_target: str | None
    evidence_root: bool = False
    """True when this entry is itself the evidence file given to the scan (a container)."""
    part: tuple[int, int] | None = None
    """(index, count) when a large disk image is split over several tasks (disk/parts.py)."""

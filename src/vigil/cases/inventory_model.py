"""The items of a case inventory and its header, as every inventory format writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class TextSink(Protocol):
    """Where a writer puts its text: an open text file, a string buffer, stdout."""

    def write(self, text: str, /) -> int:
        """Write ``text``; returns the number of characters written."""
        ...


@dataclass(frozen=True, slots=True)
class ByteRun:
    """Where an item's bytes lie in the disk image that holds it (carved items)."""

    file_offset: int
    img_offset: int
    length: int


@dataclass(slots=True)
class InventoryItem:
    """One item of the case, as every inventory format writes it."""

    id: int
    exhibit: str
    run_id: int
    locator: str  # display form of the chained locator
    locator_key: str  # the serialised locator, to reopen the item
    path: str  # real path for a file on the examiner's file system, else the locator
    on_host: bool  # whether ``path`` names a file that exists outside any container
    name: str
    kind: str  # file, dir, symlink, special, marker (a container note)
    status: str
    reason: str | None
    size: int | None
    mtime: datetime | None
    file_type: str | None
    family: str | None
    location: str  # live, archive, deleted, carved
    depth: int
    md5: str | None
    sha1: str | None
    sha256: str | None
    review: str  # known, hit, unknown, none
    inode: int | None = None
    byte_runs: list[ByteRun] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InventoryHeader:
    """What an inventory file says about itself: which case, when, by whom, from what."""

    case: str
    generated_at: datetime
    generated_by: str
    host: str
    vigil_version: str
    evidence: list[str]  # the evidence paths of the exhibits listed
    filters: dict[str, Any]


def iso_utc(value: datetime | None) -> str | None:
    """``value`` as ISO 8601 UTC with a ``Z`` (whole seconds unless it has a fraction)."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"

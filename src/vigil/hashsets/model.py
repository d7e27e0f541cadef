"""The one record every hash-set reader yields and every writer takes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigil.hashing.vpdq import FrameFeature

HASH_LENGTHS = {"md5": 16, "sha1": 20, "sha256": 32, "pdq": 32}
"""Digest length in bytes of each hash kind Vigil stores."""

KIND_BY_HEX_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}
"""What a bare hex string of this many digits is taken to be (PDQ must be named)."""


@dataclass(slots=True)
class HashEntry:
    """One hash-set entry: at least one of the hashes, plus what the set says of it.

    ``category`` is a category *key* of the set's scheme (e.g. ``"A"``) or ``None``
    when the source gives none. ``extra`` keeps everything else the source said
    (VICS fields and MediaFiles, NSRL package and application type) as JSON-able
    data, so that an export can say it again.
    """

    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    pdq: bytes | None = None
    pdq_quality: int | None = None
    category: str | None = None
    name: str | None = None
    size: int | None = None
    media_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    frames: list[FrameFeature] | None = None
    """A listed video's vPDQ features (an entry of a video set); None for anything else."""

    def has_hash(self) -> bool:
        """True when the entry carries at least one hash (or a video's frames) to match on."""
        return bool(self.frames) or any(
            h is not None for h in (self.md5, self.sha1, self.sha256, self.pdq)
        )


@dataclass(slots=True)
class ParsedSet:
    """A streaming reader's result: entries to iterate once, then ``info``.

    ``info`` holds what the file says of itself (format, version, date,
    scheme hint); readers fill it as they go, so read it after the entries.
    """

    format: str
    entries: Iterator[HashEntry]
    info: dict[str, str] = field(default_factory=dict)


def parse_hex(text: str, kind: str) -> bytes:
    """Decode a hex digest of ``kind`` (md5, sha1, sha256, pdq); ValueError says why not."""
    value = text.strip().lower()
    want = HASH_LENGTHS[kind] * 2
    if len(value) != want:
        raise ValueError(f"{kind} must be {want} hex digits, got {len(value)}: {text.strip()!r}")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{kind} is not hexadecimal: {text.strip()!r}") from None


def kind_from_hex(text: str) -> str:
    """Guess md5/sha1/sha256 from a bare hex digest's length; ValueError if none fits."""
    value = text.strip()
    kind = KIND_BY_HEX_LENGTH.get(len(value))
    if kind is None:
        raise ValueError(
            f"{len(value)} hex digits is no MD5 (32), SHA-1 (40) or SHA-256 (64): {value!r}"
        )
    return kind

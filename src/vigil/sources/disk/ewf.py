"""An E01/Ex01 segment set as one seekable, read-only stream of the acquired media.

libewf (``pyewf``) reads through file objects we open ourselves, so the
segments are opened read-only without touching their access times. Its
headers carry the acquisition metadata; its stored MD5/SHA-1 are checked by
:func:`verify`, which reads the whole media once (as ``ewfverify`` does).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyewf

from vigil.errors import SourceError
from vigil.sources.folder import open_readonly

HEADER_FIELDS = (
    "case_number",
    "evidence_number",
    "examiner_name",
    "description",
    "notes",
    "acquiry_date",
    "system_date",
    "acquiry_operating_system",
    "acquiry_software",
    "acquiry_software_version",
    "model",
    "serial_number",
)

VERIFY_READ_BYTES = 4 << 20


class EwfStream(io.RawIOBase):
    """The media of an EWF set: read, seek, tell; closing it closes the segment files."""

    def __init__(self, segments: Sequence[BinaryIO], *, owned: bool) -> None:
        self._segments = list(segments)
        self._owned = owned
        self._handle = pyewf.handle()
        try:
            self._handle.open_file_objects(self._segments)
        except OSError as exc:
            self._close_segments()
            raise SourceError(f"not a readable EWF image: {exc}") from exc
        self.size = int(self._handle.get_media_size())

    @classmethod
    def from_paths(cls, paths: Sequence[bytes]) -> EwfStream:
        """Open the segment files (first segment first) read-only."""
        handles: list[BinaryIO] = []
        try:
            for path in paths:
                handles.append(open_readonly(path))
        except BaseException:
            for handle in handles:
                handle.close()
            raise
        return cls(handles, owned=True)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._handle.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._handle.seek(offset, whence)  # returns None: ask where it went
        return int(self._handle.get_offset())

    def tell(self) -> int:
        return int(self._handle.get_offset())

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
            self._close_segments()
        super().close()

    def _close_segments(self) -> None:
        if self._owned:
            for segment in self._segments:
                segment.close()

    def metadata(self) -> dict[str, Any]:
        """Acquisition metadata (case number, examiner …), geometry and stored hashes."""
        headers = {k: v for k, v in self._handle.get_header_values().items() if v}
        return {
            "format": "ewf",
            "headers": {k: headers[k] for k in HEADER_FIELDS if k in headers}
            | {k: v for k, v in headers.items() if k not in HEADER_FIELDS},
            "media_size": self.size,
            "bytes_per_sector": int(self._handle.get_bytes_per_sector()),
            "stored_hashes": {k.lower(): v.lower() for k, v in self.stored_hashes().items()},
        }

    def stored_hashes(self) -> dict[str, str]:
        """The digests recorded at acquisition (``MD5``, ``SHA1`` …), as stored."""
        return {k: v for k, v in self._handle.get_hash_values().items() if v}


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of hashing the media and comparing with the stored digests."""

    status: str  # verified, mismatch, no-stored-hash, unreadable
    computed: dict[str, str]
    stored: dict[str, str]
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict for ``evidence.info``."""
        data: dict[str, Any] = {"status": self.status, "computed": self.computed}
        data["stored"] = self.stored
        if self.reason:
            data["reason"] = self.reason
        return data


def verify(stream: EwfStream) -> Verification:
    """Read the whole media once, hash it (MD5, SHA-1) and compare with the stored hashes."""
    stored = {k.lower(): v.lower() for k, v in stream.stored_hashes().items()}
    return compare(stream, stored)


def compare(stream: BinaryIO | EwfStream, stored: dict[str, str]) -> Verification:
    """Hash all of ``stream`` (MD5, SHA-1) and compare with ``stored`` (may be empty)."""
    # Identifiers, not security: usedforsecurity=False keeps FIPS-mode hosts working.
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    stream.seek(0)
    try:
        while block := stream.read(VERIFY_READ_BYTES):
            md5.update(block)
            sha1.update(block)
    except (OSError, RuntimeError) as exc:
        # libewf refuses chunks whose checksum fails: the media is damaged.
        return Verification("unreadable", {}, stored, f"media could not be read: {exc}")
    computed = {"md5": md5.hexdigest(), "sha1": sha1.hexdigest()}
    checked = [name for name in computed if name in stored]
    if not checked:
        return Verification("no-stored-hash", computed, stored, "the image records no MD5/SHA-1")
    bad = [name for name in checked if computed[name] != stored[name]]
    if bad:
        return Verification("mismatch", computed, stored, f"{', '.join(bad)} differ")
    return Verification("verified", computed, stored)

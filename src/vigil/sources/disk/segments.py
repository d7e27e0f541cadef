"""Images stored as several files: split raw (``x.001`` …), EWF (``x.E01`` …), VMDK extents.

All need the file *names* of all segments, not one stream, so a top-level
evidence path is opened here, and a folder scan recognises later segments
(``x.002``, ``x.E02``) as parts of the image that its first segment opens.
A VMDK extent (``x-flat.vmdk``, ``x-f001.vmdk``, ``x-s001.vmdk``) named by a
descriptor beside it is read through that descriptor, not as an image of its own.
"""

from __future__ import annotations

import bisect
import io
import os
import re
from collections.abc import Sequence
from typing import BinaryIO

from vigil.errors import SourceError
from vigil.sources.disk.signatures import ewf_segment_number
from vigil.sources.folder import open_readonly
from vigil.sources.positional import PositionalStream

_RAW = re.compile(rb"^(?P<stem>.+)\.(?P<num>\d{3})$")
# E01..E99, then EAA..ZZZ (libewf's naming); Ex01 and SMART's s01 likewise.
_EWF = re.compile(rb"^(?P<stem>.+)\.(?P<kind>[EeSsLl]x?)(?P<num>\d{2}|[A-Za-z]{2})$")

MAX_SEGMENTS = 10_000

_VMDK_EXTENT = re.compile(rb'^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+\w+\s+"([^"]+)"', re.MULTILINE)
VMDK_DESCRIPTOR_MAGIC = b"# Disk DescriptorFile"
MAX_DESCRIPTOR_BYTES = 64 * 1024
"""A VMDK descriptor file is text of a few hundred bytes; bigger ``.vmdk`` files are extents."""
MAX_DESCRIPTORS_LOOKED_AT = 256


def raw_segments(path: bytes) -> list[bytes]:
    """All files of a split raw image whose first segment is ``path`` (``[path]`` when single).

    The first segment is numbered ``.000`` or ``.001`` (tools differ); ``.001``
    with a ``.000`` beside it is the second segment, not a first.
    """
    match = _RAW.match(os.path.basename(path))
    if match is None or _first_raw(path) != path:
        return [path]
    folder, stem = os.path.dirname(path), match["stem"]
    width = len(match["num"])
    paths = [path]
    for number in range(int(match["num"]) + 1, MAX_SEGMENTS):
        candidate = os.path.join(folder, stem + b".%0*d" % (width, number))
        if not os.path.isfile(candidate):
            break
        paths.append(candidate)
    return paths


def _first_raw(path: bytes) -> bytes | None:
    """The first segment (``.000`` when present, else ``.001``) of the set ``path`` belongs to."""
    match = _RAW.match(os.path.basename(path))
    if match is None:
        return None
    width = len(match["num"])
    for number in (0, 1):
        first = os.path.join(os.path.dirname(path), match["stem"] + b".%0*d" % (width, number))
        if first == path or os.path.isfile(first):
            return first
    return None


def raw_segments_missing(paths: Sequence[bytes]) -> str | None:
    """Why a split raw set is incomplete (a numbered segment after a gap), or None."""
    match = _RAW.match(os.path.basename(paths[-1]))
    if match is None or len(paths) < 1:
        return None
    last = int(match["num"])
    folder = os.path.dirname(paths[-1]) or b"."
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    later = []
    for name in names:
        other = _RAW.match(name)
        if other is not None and other["stem"] == match["stem"] and int(other["num"]) > last:
            later.append(int(other["num"]))
    if not later:
        return None
    gap = os.fsdecode(match["stem"] + b".%0*d" % (len(match["num"]), last + 1))
    return (
        f"split raw image incomplete: segment {gap} is missing,"
        f" {len(later)} later segment(s) beside it not read"
    )


def ewf_segments(path: bytes) -> list[bytes]:
    """All segment files of the EWF set whose first segment is ``path``, in order."""
    match = _EWF.match(os.path.basename(path))
    if match is None:
        return [path]
    folder, stem, kind = os.path.dirname(path), match["stem"], match["kind"]
    paths = [path]
    for number in range(2, MAX_SEGMENTS):
        candidate = os.path.join(folder, stem + b"." + _ewf_suffix(kind, number))
        if not os.path.isfile(candidate):
            break
        paths.append(candidate)
    return paths


def _ewf_suffix(kind: bytes, number: int) -> bytes:
    """E02 … E99, then EAA … EZZ, FAA … (libewf keeps the case of the first letter)."""
    if number < 100:
        return kind + b"%02d" % number
    index = number - 100
    alpha = ord("A") if kind[:1].isupper() else ord("a")
    first = kind[0] + index // 676
    return bytes([first, alpha + (index // 26) % 26, alpha + index % 26])


def later_raw_segment(path: bytes) -> bytes | None:
    """The first segment when ``path`` is a later segment of a split raw image beside it."""
    first = _first_raw(path)
    if first is None or first == path or not os.path.isfile(first):
        return None
    return first


class ConcatStream(PositionalStream):
    """Several read-only files read as one seekable stream (a split raw image)."""

    def __init__(self, paths: Sequence[bytes]) -> None:
        self._files: list[BinaryIO] = []
        self._starts: list[int] = []
        total = 0
        try:
            for path in paths:
                handle = open_readonly(path)
                self._files.append(handle)
                self._starts.append(total)
                total += os.fstat(handle.fileno()).st_size
        except BaseException:
            self.close()
            raise
        self.size = total

    def _read_at(self, pos: int, n_bytes: int) -> bytes:
        parts: list[bytes] = []
        while n_bytes > 0 and pos < self.size:
            index = bisect.bisect_right(self._starts, pos) - 1
            handle = self._files[index]
            handle.seek(pos - self._starts[index])
            chunk = handle.read(n_bytes)
            if not chunk:
                break  # a segment shorter than when it was measured
            parts.append(chunk)
            pos += len(chunk)
            n_bytes -= len(chunk)
        return b"".join(parts)

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []
        super().close()


def vmdk_extent_of(path: bytes) -> tuple[int, str] | None:
    """(extent number, descriptor name) when a VMDK descriptor beside ``path`` names it."""
    if not path.lower().endswith(b".vmdk"):
        return None
    folder, own = os.path.dirname(path), os.path.basename(path)
    try:
        names = sorted(n for n in os.listdir(folder or b".") if n.lower().endswith(b".vmdk"))
    except OSError:
        return None
    for name in names[:MAX_DESCRIPTORS_LOOKED_AT]:
        if name == own:
            continue
        candidate = os.path.join(folder, name)
        try:
            if os.path.getsize(candidate) > MAX_DESCRIPTOR_BYTES:
                continue
            with open_readonly(candidate) as handle:
                text = handle.read(MAX_DESCRIPTOR_BYTES)
        except (OSError, SourceError):
            continue
        if not text.startswith(VMDK_DESCRIPTOR_MAGIC):
            continue
        extents = [m.replace(b"\\", b"/").rsplit(b"/", 1)[-1] for m in _VMDK_EXTENT.findall(text)]
        if own in extents:
            return extents.index(own) + 1, os.fsdecode(name)
    return None


def later_segment(path: bytes, file_type: str | None, head: bytes) -> dict[str, object] | None:
    """Attributes for segment 2+ of a split raw or EWF image (opened with its first), else None.

    A VMDK extent named by a descriptor beside it is such a segment too.
    """
    extent = vmdk_extent_of(path)
    if extent is not None:
        return {"segment": extent[0], "segment_of": f"{extent[1]} (VMDK extent, read through it)"}
    if file_type == "ewf":
        number = ewf_segment_number(head)
        if number is not None and number > 1:
            return {"segment": number, "segment_of": "EWF set (opened from its first segment)"}
        return None
    first = later_raw_segment(path)
    if first is None:
        return None
    match = _RAW.match(os.path.basename(path))
    start = _RAW.match(os.path.basename(first))
    if match is None or start is None:
        return None
    number = int(match["num"]) - int(start["num"]) + 1
    return {"segment": number, "segment_of": os.fsdecode(os.path.basename(first))}


def ewf_missing_segments(paths: Sequence[bytes]) -> str | None:
    """Why an EWF (v1) set is incomplete, or None: its last file must end in a ``done`` section.

    Each segment ends with a 76-byte section descriptor whose type is ``next``
    (more segments follow) or ``done`` (the last one).
    """
    last = paths[-1]
    try:
        with open_readonly(last) as handle:
            if not handle.read(8).startswith(b"EVF\x09"):
                return None  # Ex01 (EWF2) ends differently; libewf checks it
            handle.seek(-76, io.SEEK_END)
            kind = handle.read(16).rstrip(b"\x00")
    except (OSError, SourceError):
        return None
    if kind == b"next":
        name = os.fsdecode(os.path.basename(last))
        return f"EWF set incomplete: segment {len(paths)} ({name}) says more follow, none found"
    return None

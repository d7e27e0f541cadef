"""Split one large disk image into several scan tasks, so that it uses more than one core.

A scan task is the unit of work and of resumption. An image given whole to
one worker would use one core for its whole length; instead a large image
becomes ``n`` *parts* (the count depends only on its size, so a resumed scan
makes the same tasks). Every part walks the file-system metadata (cheap) but
reads the data of its share only:

* file entries of the image, dealt round-robin by their order in the walk
  (to parts 1… only, from 3 parts on: part 0 hashes the image file);
* a contiguous ``1/n`` of each unallocated area, for carving;
* everything else (folders, notes) and the image file itself: part 0.

Members inside archives inside the image follow their archive's part.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from vigil.sources.disk.segments import ewf_segments, later_segment, raw_segments
from vigil.sources.disk.signatures import HEADER_BYTES, disk_type
from vigil.sources.folder import open_readonly

if TYPE_CHECKING:  # a runtime import would close a cycle (archives → disk.reader → parts)
    from vigil.sources.archives.base import Member

PART_BYTES = 512 * 1024 * 1024
"""About this many bytes of image per part (2 GB → 4 parts)."""

MAX_PARTS = 16

Share = tuple[int, int]
"""(index, count): this task handles part ``index`` of ``count``."""

_SHARE: ContextVar[Share | None] = ContextVar("disk_share", default=None)


def part_count(path: bytes, size: int) -> int:
    """How many tasks the evidence file at ``path`` becomes (1 unless a large disk image)."""
    if size < PART_BYTES:
        return 1
    with open_readonly(path) as handle:
        head = handle.read(HEADER_BYTES)
    kind = disk_type(head)
    if kind is None or later_segment(path, kind, head) is not None:
        return 1
    segments = ewf_segments(path) if kind == "ewf" else raw_segments(path)
    total = sum(os.path.getsize(p) for p in segments)
    return max(1, min(MAX_PARTS, -(-total // PART_BYTES)))


@contextmanager
def disk_share(share: Share | None) -> Iterator[None]:
    """Within this block, top-level disk images yield only the members of ``share``."""
    token = _SHARE.set(share)
    try:
        yield
    finally:
        _SHARE.reset(token)


def current_share() -> Share | None:
    """The share set by :func:`disk_share` (None: the whole image)."""
    return _SHARE.get()


def take(members: Iterator[Member], share: Share | None) -> Iterator[Member]:
    """The members of one share (carved ones are already split by range: all pass)."""
    if share is None or share[1] == 1:
        yield from members
        return
    index, count = share
    # Part 0 also hashes the whole image file, about as much work as another part's
    # files (measured: 2 GB image, 4 parts): from 3 parts on, it gets no files.
    first = 1 if count >= 3 else 0
    ordinal = 0
    for member in members:
        if member.locator.flag("carved"):
            yield member
        elif member.kind == "file" and member.name:
            if first + ordinal % (count - first) == index:
                yield member
            ordinal += 1
        elif index == 0:
            yield member


def slice_ranges(ranges: list[tuple[int, int]], share: Share | None) -> list[tuple[int, int]]:
    """The share's contiguous slice (by bytes, sector-aligned) of the byte ``ranges``."""
    if share is None or share[1] == 1:
        return ranges
    index, count = share
    total = sum(end - start for start, end in ranges)
    step = -(-total // count // 512) * 512
    low, high = index * step, min(total, (index + 1) * step)
    out, seen = [], 0
    for start, end in ranges:
        a, b = max(start, start + low - seen), min(end, start + high - seen)
        if a < b:
            out.append((a, b))
        seen += end - start
    return out

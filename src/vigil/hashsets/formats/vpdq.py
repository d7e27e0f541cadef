"""vPDQ feature files (Meta's reference text format): one listed video, one frame a line.

Each line is ``frame_number,quality,pdq_hex,timestamp_seconds`` (the format of
``vpdq/sample-hashes/`` in facebook/ThreatExchange and of its ``vpdq`` hasher's
output). A file is one video: it becomes one entry of a video set, named after
the file, whose frames are matched by the vPDQ rule (``vigil.matching.video``).
Blank lines and ``#`` comments are skipped; frame numbers must rise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from vigil.hashing.vpdq import FrameFeature
from vigil.hashsets.formats._common import is_skippable, line_error, open_text, require_content
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import Scheme

FORMAT = "vpdq"

MAX_FRAMES = 2_000_000
"""Most frames read for one listed video (the hasher's own cap on a video)."""

_LINE = re.compile(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*([0-9A-Fa-f]{64})\s*,\s*(\d+(?:\.\d*)?)\s*")


def looks_like_vpdq(line: str) -> bool:
    """True if a (non-blank, non-comment) line is a vPDQ feature line."""
    return _LINE.fullmatch(line) is not None


def parse_line(line: str) -> FrameFeature:
    """One feature line; ValueError says what is wrong with it."""
    found = _LINE.fullmatch(line)
    if found is None:
        raise ValueError("not a vPDQ feature line (frame_number,quality,pdq_hex,timestamp)")
    frame, quality, digest, seconds = found.groups()
    if int(quality) > 100:
        raise ValueError(f"quality {quality} is over 100")
    return FrameFeature(int(frame), float(seconds), bytes.fromhex(digest), int(quality))


def read_frames(path: Path) -> list[FrameFeature]:
    """The features of a vPDQ file, checked line by line."""
    require_content(path)
    source = str(path)
    frames: list[FrameFeature] = []
    with open_text(path) as handle:
        for line_no, line in enumerate(handle, 1):
            if is_skippable(line):
                continue
            text = line.rstrip("\r\n")
            try:
                frame = parse_line(text)
            except ValueError as exc:
                raise line_error(source, line_no, str(exc), line) from None
            if frames and frame.frame_number <= frames[-1].frame_number:
                raise line_error(source, line_no, "frame numbers must rise", line)
            if len(frames) >= MAX_FRAMES:
                raise line_error(source, line_no, f"more than {MAX_FRAMES} frames", line)
            frames.append(frame)
    if not frames:
        raise line_error(source, 1, "no feature lines", "")
    return frames


def read_vpdq(path: Path, scheme: Scheme | None = None, known_good: bool = False) -> ParsedSet:
    """Read a vPDQ feature file as a set of one listed video.

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    the format carries no category.
    """
    frames = read_frames(path)
    info = {"entries": "1", "frames": str(len(frames)), "kinds": "vpdq"}
    entry = HashEntry(name=path.stem, frames=frames)
    return ParsedSet(format=FORMAT, entries=iter([entry]), info=info)


def write_vpdq(frames: Iterable[FrameFeature], out: BinaryIO) -> int:
    """Write features in the reference's text format; returns how many lines."""
    count = 0
    for line in _lines(frames):
        out.write(line.encode("ascii"))
        count += 1
    return count


def _lines(frames: Iterable[FrameFeature]) -> Iterator[str]:
    for f in frames:
        yield f"{f.frame_number},{f.quality},{f.hex},{f.timestamp_s:.3f}\n"

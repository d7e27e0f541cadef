"""md5sum / sha1sum / sha256sum output, in GNU form (``HEX  name``, ``HEX *name``) or BSD tags.

GNU tools escape a name holding a newline or backslash and mark that line with
a leading backslash; BSD-style tags (BSD ``md5``, GNU ``--tag``) read
``SHA256 (name) = HEX``. The hash kind comes from the digest's length.
"""

from __future__ import annotations

import re
from pathlib import Path

from vigil.hashsets.formats._common import (
    entries_by_line,
    entry_of,
    kind_of,
    parse_digest,
    require_content,
)
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import Scheme

# md5deep -z puts the file size, right-aligned, before the hash.
_GNU = re.compile(
    r"(?:\s*(?P<size>\d{1,20})\s+)?(?P<escaped>\\)?(?P<hex>[0-9A-Fa-f]+) [ *](?P<name>.+)"
)
_BSD = re.compile(
    r"(?P<escaped>\\)?(?P<algo>MD5|SHA-?1|SHA-?256) ?\((?P<name>.*)\) ?= ?(?P<hex>[0-9A-Fa-f]+)",
    re.IGNORECASE,
)
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}


def looks_like_sumfile(line: str) -> bool:
    """True if a line is md5sum/sha1sum/sha256sum output of a 32-, 40- or 64-digit hash."""
    match = _GNU.fullmatch(line.rstrip()) or _BSD.fullmatch(line.rstrip())
    return match is not None and len(match["hex"]) in (32, 40, 64)


def read_sumfile(
    path: Path,
    scheme: Scheme | None = None,
    known_good: bool = False,
    skip_bad_lines: bool = False,
) -> ParsedSet:
    """Read checksum-tool output (md5deep ``-z`` too); every error names the line and shows it.

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    checksum output carries no category. ``skip_bad_lines``: a line that is
    no hash is skipped and named in ``info`` instead of refusing the file.
    """
    require_content(path)
    info: dict[str, str] = {}
    entries = entries_by_line(path, info, _parse, skip_bad_lines)
    return ParsedSet(format="sumfile", entries=entries, info=info)


def _parse(line: str) -> tuple[HashEntry, str]:
    """One line → its entry and hash kind; ValueError says what is wrong with it."""
    bsd = _BSD.fullmatch(line)
    match = bsd or _GNU.fullmatch(line)
    if match is None:
        raise ValueError("not 'HASH  name', 'HASH *name' or 'ALGO (name) = HASH'")
    kind = kind_of(match["hex"])
    if bsd is not None:
        named = bsd["algo"].replace("-", "").lower()
        if named != kind:
            raise ValueError(f"the tag says {bsd['algo']} but the hash has a {kind} length")
    name = match["name"]
    if match["escaped"]:
        name = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), name)
    entry = entry_of(kind, parse_digest(match["hex"], kind), name or None)
    if bsd is None and match["size"] is not None:
        entry.size = int(match["size"])
    return entry, kind

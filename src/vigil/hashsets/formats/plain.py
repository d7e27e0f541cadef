"""Plain hash lists: one MD5, SHA-1 or SHA-256 per line, its kind told by its length."""

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

_HEX_LINE = re.compile(r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")


def looks_plain(line: str) -> bool:
    """True if a (non-blank, non-comment) line is a bare MD5, SHA-1 or SHA-256."""
    return _HEX_LINE.fullmatch(line.strip()) is not None


def read_plain(
    path: Path,
    scheme: Scheme | None = None,
    known_good: bool = False,
    skip_bad_lines: bool = False,
) -> ParsedSet:
    """Read a one-hash-per-line list; blank lines and ``#`` comments are skipped.

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    a plain list carries no category.
    """
    require_content(path)
    info: dict[str, str] = {}
    entries = entries_by_line(path, info, _parse, skip_bad_lines)
    return ParsedSet(format="plain", entries=entries, info=info)


def _parse(line: str) -> tuple[HashEntry, str]:
    try:
        kind = kind_of(line)
        return entry_of(kind, parse_digest(line, kind)), kind
    except ValueError as exc:
        raise ValueError(f"not a bare hash: {exc}") from None

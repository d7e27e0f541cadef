"""Plain hash lists: one MD5, SHA-1 or SHA-256 per line, its kind told by its length."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from vigil.hashsets.formats._common import (
    entry_of,
    hash_kinds,
    is_skippable,
    kind_of,
    line_error,
    open_text,
    parse_digest,
    require_content,
)
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import Scheme

_HEX_LINE = re.compile(r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")


def looks_plain(line: str) -> bool:
    """True if a (non-blank, non-comment) line is a bare MD5, SHA-1 or SHA-256."""
    return _HEX_LINE.fullmatch(line.strip()) is not None


def read_plain(path: Path, scheme: Scheme | None = None, known_good: bool = False) -> ParsedSet:
    """Read a one-hash-per-line list; blank lines and ``#`` comments are skipped.

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    a plain list carries no category.
    """
    require_content(path)
    info: dict[str, str] = {}
    return ParsedSet(format="plain", entries=_entries(path, info), info=info)


def _entries(path: Path, info: dict[str, str]) -> Iterator[HashEntry]:
    source = str(path)
    seen: set[str] = set()
    count = 0
    with open_text(path) as handle:
        for line_no, line in enumerate(handle, 1):
            if is_skippable(line):
                continue
            try:
                kind = kind_of(line)
                digest = parse_digest(line, kind)
            except ValueError as exc:
                raise line_error(source, line_no, f"not a bare hash: {exc}", line) from None
            seen.add(kind)
            count += 1
            yield entry_of(kind, digest)
    info["entries"] = str(count)
    info["hash_kinds"] = hash_kinds(seen)

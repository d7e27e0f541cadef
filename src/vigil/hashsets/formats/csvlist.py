"""CSV hash lists with a header row: md5, sha1, sha256, pdq, pdq_quality, category, name, size.

Column names are matched case-insensitively, in any order; at least one hash
column is needed. Other columns are kept in ``extra`` under their own names.
The delimiter may be a comma, a tab or a semicolon (spreadsheets in many
locales write semicolons). Categories are codes, keys or labels of the scheme;
an empty category cell means the list says nothing of it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from vigil.csv_safety import FORMULA_START
from vigil.errors import UnknownCategoryError
from vigil.hashsets.formats._common import (
    category_key,
    hash_kinds,
    is_skippable,
    line_error,
    open_text,
    parse_digest,
    require_content,
    snippet,
)
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import CategoryLookupError, Scheme

COLUMNS = ("md5", "sha1", "sha256", "pdq", "pdq_quality", "category", "name", "size")
"""The columns Vigil reads (and ``write_csv`` writes, in this order)."""

HASH_COLUMNS = ("md5", "sha1", "sha256", "pdq")

DELIMITERS = (",", "\t", ";")
ALIASES = {"sha-1": "sha1", "sha-256": "sha256", "filename": "name", "filesize": "size"}
"""Other spellings of COLUMNS: NSRL RDSv2 ``NSRLFile.txt`` heads its columns
``"SHA-1","MD5","CRC32","FileName","FileSize",…``; its other columns go to ``extra``."""


def _column(cell: str, hashes_only: bool = False) -> str | None:
    """The COLUMNS name a header cell stands for, or None.

    ``hashes_only``: spell other columns only as COLUMNS does (when telling a
    header apart, ``FileName`` alone is no hash list's).
    """
    name = cell.strip().lower()
    alias = ALIASES.get(name)
    if alias is not None and (alias in HASH_COLUMNS or not hashes_only):
        name = alias
    return name if name in COLUMNS else None


@dataclass(frozen=True, slots=True)
class _Header:
    """The header row: where it is, how it splits, what each column is."""

    line_no: int
    delimiter: str
    names: tuple[str, ...]
    """Each column's name as the file spells it."""
    keys: tuple[str | None, ...]
    """Each column's COLUMNS name, or None for a column kept in ``extra``."""


def looks_like_csv_header(line: str) -> bool:
    """True if a line splits into cells of which one is a column Vigil reads."""
    return _split_header(line) is not None


def read_csv(path: Path, scheme: Scheme, known_good: bool = False) -> ParsedSet:
    """Read a CSV list with a header; errors name the line and show it.

    ImportFormatError if the header names no hash column or repeats one;
    UnknownCategoryError for a category the scheme lacks.
    """
    require_content(path)
    with open_text(path, newline="") as handle:
        _read_header(handle, str(path))  # fail early, before any entry
    info: dict[str, str] = {}
    return ParsedSet(format="csv", entries=_entries(path, scheme, known_good, info), info=info)


def _split_header(line: str) -> tuple[str, list[str]] | None:
    """The delimiter that best splits a header line, with its cells; None if no column fits."""
    best: tuple[int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        known = sum(_column(cell, hashes_only=True) is not None for cell in cells)
        if known and (best is None or known > best[0]):
            best = (known, delimiter, cells)
    return None if best is None else (best[1], best[2])


def _read_header(handle: TextIO, source: str) -> _Header:
    line_no = 0
    for line in handle:
        line_no += 1
        if not is_skippable(line):
            return _parse_header(line, line_no, source)
    raise line_error(source, line_no, "no header row (md5, sha1, sha256, pdq, …)", "")


def _parse_header(line: str, line_no: int, source: str) -> _Header:
    split = _split_header(line)
    if split is None:
        raise line_error(
            source, line_no, f"the header row names none of {', '.join(COLUMNS)}", line
        )
    delimiter, cells = split
    names = tuple(cell.strip() or f"column{i}" for i, cell in enumerate(cells, 1))
    keys = tuple(_column(name) for name in names)
    known = [key for key in keys if key is not None]
    if len(set(known)) != len(known):
        raise line_error(source, line_no, "the header row names a column twice", line)
    if not any(key in HASH_COLUMNS for key in known):
        raise line_error(
            source, line_no, "the header row names no hash column (md5, sha1, sha256, pdq)", line
        )
    return _Header(line_no, delimiter, names, keys)


def _entries(
    path: Path, scheme: Scheme, known_good: bool, info: dict[str, str]
) -> Iterator[HashEntry]:
    source = str(path)
    seen: set[str] = set()
    count = 0
    with open_text(path, newline="") as handle:
        header = _read_header(handle, source)
        rows = csv.reader(handle, delimiter=header.delimiter)
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            line_no = header.line_no + rows.line_num
            entry = _entry(row, header, scheme, known_good, source, line_no)
            seen.update(kind for kind in HASH_COLUMNS if getattr(entry, kind) is not None)
            count += 1
            yield entry
    info["entries"] = str(count)
    info["columns"] = ",".join(key for key in header.keys if key is not None)
    info["hash_kinds"] = hash_kinds(seen)


def _entry(
    row: list[str], header: _Header, scheme: Scheme, known_good: bool, source: str, line_no: int
) -> HashEntry:
    text = header.delimiter.join(row)
    if len(row) != len(header.names):
        reason = (
            f"{len(row)} fields, the header row (line {header.line_no}) has {len(header.names)}"
        )
        raise line_error(source, line_no, reason, text)
    entry = HashEntry()
    for name, key, cell in zip(header.names, header.keys, row, strict=True):
        try:
            _set_field(entry, name, key, cell.strip(), scheme, known_good)
        except CategoryLookupError as exc:
            where = f"line {line_no}"
            reason = f"{exc}; the line reads {snippet(text)}"
            raise UnknownCategoryError(source, where, reason) from None
        except ValueError as exc:
            raise line_error(source, line_no, f"{name}: {exc}", text) from None
    if not entry.has_hash():
        raise line_error(source, line_no, "no hash in this row", text)
    return entry


def _set_field(
    entry: HashEntry, name: str, key: str | None, cell: str, scheme: Scheme, known_good: bool
) -> None:
    """Put one cell on the entry; ValueError (or CategoryLookupError) says what is wrong."""
    if key is None:
        if cell:
            entry.extra[name] = cell
    elif not cell:
        return
    elif key in HASH_COLUMNS:
        setattr(entry, key, parse_digest(cell, key))
    elif key == "category":
        entry.category = category_key(cell, scheme, known_good, entry.extra)
    elif key == "name":
        # write_csv defuses would-be formulas with an apostrophe: take it off again.
        quoted = cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START)
        entry.name = cell[1:] if quoted else cell
    else:
        setattr(entry, key, _bounded_int(cell, key))


def _bounded_int(cell: str, key: str) -> int:
    if not cell.isdigit():
        raise ValueError(f"not a whole number: {cell!r}")
    value = int(cell)
    if key == "pdq_quality" and value > 100:
        raise ValueError(f"PDQ quality runs from 0 to 100, got {value}")
    return value

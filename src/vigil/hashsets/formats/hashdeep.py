"""hashdeep / md5deep CSV output: a ``%%%% HASHDEEP-1.0`` header, a column line, ``##`` comments.

    %%%% HASHDEEP-1.0
    %%%% size,md5,sha256,filename
    ## Invoked from: /home/examiner
    ## $ hashdeep -r exhibit
    ##
    5,5d41402abc4b2a76b9719d911017c592,2cf24dba…,/home/examiner/exhibit/a.txt

The file name is the last column and may itself hold commas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vigil.errors import ImportFormatError
from vigil.hashsets.formats._common import (
    hash_kinds,
    line_error,
    open_text,
    parse_digest,
    require_content,
)
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import Scheme

MAGIC = "%%%% HASHDEEP-1.0"
"""The first line of every hashdeep file."""

KINDS = ("md5", "sha1", "sha256")
"""hashdeep columns Vigil matches on; others (tiger, whirlpool) are kept in ``extra``."""


def read_hashdeep(path: Path, scheme: Scheme | None = None, known_good: bool = False) -> ParsedSet:
    """Read hashdeep output; errors name the line (a bad header names line 1 or 2).

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    hashdeep output carries no category.
    """
    require_content(path)
    source = str(path)
    with open_text(path) as handle:
        _columns(_header_lines(handle, source), source)  # fail early, before any entry
    info: dict[str, str] = {}
    return ParsedSet(format="hashdeep", entries=_entries(path, info), info=info)


def _header_lines(handle: Iterator[str], source: str) -> tuple[str, str]:
    first = next(handle, "")
    if first.strip() != MAGIC:
        raise line_error(source, 1, f"a hashdeep file starts with {MAGIC!r}", first)
    return first, next(handle, "")


def _columns(header: tuple[str, str], source: str) -> list[str]:
    """The column names of the ``%%%% size,md5,…,filename`` line (line 2)."""
    line = header[1]
    if not line.startswith("%%%% "):
        raise line_error(source, 2, "expected the column line '%%%% size,md5,…,filename'", line)
    columns = [name.strip().lower() for name in line[5:].split(",")]
    if columns[-1] != "filename" or len(set(columns)) != len(columns):
        raise line_error(source, 2, "the columns must be distinct and end with filename", line)
    if not any(kind in columns for kind in KINDS):
        raise line_error(source, 2, "the columns name no md5, sha1 or sha256", line)
    return columns


def _entries(path: Path, info: dict[str, str]) -> Iterator[HashEntry]:
    source = str(path)
    seen: set[str] = set()
    count = 0
    with open_text(path) as handle:
        columns = _columns(_header_lines(handle, source), source)
        for line_no, line in enumerate(handle, 3):
            text = line.rstrip("\r\n")
            if text.startswith("##"):
                _comment(text, info)
            elif text.startswith("%%%% ") or not text.strip():
                # hashdeep writes no blank lines, but concatenated outputs repeat the header.
                columns = _repeated_header(text, columns, source, line_no)
            else:
                entry = _entry(text, columns, source, line_no)
                seen.update(kind for kind in KINDS if getattr(entry, kind) is not None)
                count += 1
                yield entry
    info["entries"] = str(count)
    info["hash_kinds"] = hash_kinds(seen)


def _repeated_header(text: str, columns: list[str], source: str, line_no: int) -> list[str]:
    if text.startswith("%%%% ") and text != MAGIC:
        try:
            return _columns((MAGIC, text), source)
        except ImportFormatError:
            raise line_error(source, line_no, "bad hashdeep column line", text) from None
    return columns


def _comment(text: str, info: dict[str, str]) -> None:
    """Keep what hashdeep says of its own run: where it ran and the command line."""
    body = text[2:].strip()
    if body.startswith("Invoked from:"):
        info.setdefault("invoked_from", body.partition(":")[2].strip())
    elif body.startswith("$ "):
        info.setdefault("command", body[2:])


def _entry(text: str, columns: list[str], source: str, line_no: int) -> HashEntry:
    values = text.split(",", len(columns) - 1)
    if len(values) != len(columns):
        raise line_error(
            source, line_no, f"{len(values)} fields, the header has {len(columns)}", text
        )
    entry = HashEntry()
    for column, value in zip(columns, values, strict=True):
        try:
            _set_field(entry, column, value)
        except ValueError as exc:
            raise line_error(source, line_no, f"{column}: {exc}", text) from None
    return entry


def _set_field(entry: HashEntry, column: str, value: str) -> None:
    if column == "filename":
        entry.name = value
    elif column == "size":
        if not value.strip().isdigit():
            raise ValueError(f"not a size in bytes: {value!r}")
        entry.size = int(value)
    elif column in KINDS:
        setattr(entry, column, parse_digest(value, column))
    else:
        entry.extra[column] = value.strip().lower()

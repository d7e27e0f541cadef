"""iLook hash files (the IRS's ILook Investigator): a fixed column line, then one CSV row a file.

Three layouts, told apart by their first line exactly as md5deep/hashdeep
(``src/files.cpp``, which reads them as known-hash files) defines them::

    V1Hash,HashType,SetDescription,FileName,FilePath,FileSize
    V3Hash,HashSHA1,FileName,FilePath,FileSize,HashSHA256,HashSHA384,HashSHA512
    V4Hash,HashSHA1,FileName,FilePath,FileSize,HashSHA256,HashSHA384,HashSHA512,
        CreateTime,ModTime,LastAccessTime                            (one line)

``V1Hash``/``V3Hash``/``V4Hash`` is the MD5. Values may be double-quoted (a
quoted value may hold commas). What Vigil does not match on (HashType,
SetDescription, SHA-384/512, the times) is kept in ``extra`` as written: the
sources say nothing of HashType's values or the times' format, so neither is
interpreted (HashType is not taken as a category).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from vigil.hashsets.formats._common import (
    MAX_NAMED_BAD_LINES,
    digest_or_none,
    hash_kinds,
    is_skippable,
    line_error,
    open_text,
    require_content,
    snippet,
)
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import Scheme

HEADERS = {
    "V1Hash,HashType,SetDescription,FileName,FilePath,FileSize": "1",
    "V3Hash,HashSHA1,FileName,FilePath,FileSize,HashSHA256,HashSHA384,HashSHA512": "3",
    "V4Hash,HashSHA1,FileName,FilePath,FileSize,HashSHA256,HashSHA384,HashSHA512,"
    "CreateTime,ModTime,LastAccessTime": "4",
}
"""The first line of each iLook layout → its version."""

_FIELDS = {
    "v1hash": "md5",
    "v3hash": "md5",
    "v4hash": "md5",
    "hashsha1": "sha1",
    "hashsha256": "sha256",
    "filename": "name",
    "filesize": "size",
    "filepath": "file_path",
    "hashtype": "hash_type",
    "setdescription": "set_description",
    "hashsha384": "sha384",
    "hashsha512": "sha512",
    "createtime": "create_time",
    "modtime": "mod_time",
    "lastaccesstime": "last_access_time",
}
_KINDS = ("md5", "sha1", "sha256")


def ilook_version(line: str) -> str | None:
    """The iLook layout (``1``, ``3``, ``4``) a file's first line announces, or None."""
    return HEADERS.get(line.strip())


def read_ilook(
    path: Path,
    scheme: Scheme | None = None,
    known_good: bool = False,
    skip_bad_lines: bool = False,
) -> ParsedSet:
    """Read an iLook hash file; errors name the line (a bad column line names line 1).

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    iLook rows carry no category Vigil can read. ``skip_bad_lines``: a row
    that does not parse is skipped, counted and named in ``info``.
    """
    require_content(path)
    source = str(path)
    with open_text(path) as handle:
        first = next(handle, "")
    version = ilook_version(first)
    if version is None:
        raise line_error(source, 1, "an iLook hash file starts with its column line", first)
    info = {"ilook_version": version}
    entries = _entries(path, first.strip(), info, skip_bad_lines)
    return ParsedSet(format="ilook", entries=entries, info=info)


def _entries(
    path: Path, header: str, info: dict[str, str], skip_bad_lines: bool
) -> Iterator[HashEntry]:
    source = str(path)
    columns = [_FIELDS[name.lower()] for name in header.split(",")]
    seen: set[str] = set()
    count = bad_count = 0
    bad: list[str] = []
    with open_text(path) as handle:
        next(handle, "")
        for line_no, line in enumerate(handle, 2):
            text = line.rstrip("\r\n")
            if is_skippable(text) or text.strip() == header:  # concatenated files repeat it
                continue
            try:
                entry = _entry(text, columns)
            except ValueError as exc:
                if not skip_bad_lines:
                    raise line_error(source, line_no, str(exc), text) from None
                bad_count += 1
                if len(bad) < MAX_NAMED_BAD_LINES:
                    bad.append(f"line {line_no}: {exc}; the line reads {snippet(text)}")
                continue
            seen.update(kind for kind in _KINDS if getattr(entry, kind) is not None)
            count += 1
            yield entry
    info["entries"] = str(count)
    info["hash_kinds"] = hash_kinds(seen)
    if bad_count:
        info["skipped_lines"] = str(bad_count)
        info["skipped_line_reasons"] = "\n".join(bad)


def _entry(text: str, columns: list[str]) -> HashEntry:
    """One row; ValueError (brief) says why it is none."""
    try:
        values = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise ValueError(f"not a CSV row ({exc})") from None
    if len(values) != len(columns):
        raise ValueError(f"{len(values)} fields, the iLook column line has {len(columns)}")
    entry = HashEntry()
    for column, value in zip(columns, values, strict=True):
        if column in _KINDS:
            setattr(entry, column, digest_or_none(value, column))
        elif column == "name":
            entry.name = value or None
        elif column == "size":
            entry.size = _size(value)
        elif value:
            entry.extra[column] = value.lower() if column in ("sha384", "sha512") else value
    if not entry.has_hash():
        raise ValueError("no MD5, SHA-1 or SHA-256 in the row")
    return entry


def _size(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"FileSize is not a size in bytes: {text[:40]!r}")
    return int(text)

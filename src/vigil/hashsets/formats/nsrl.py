"""NIST NSRL RDSv3 reader: the FILE view of full sets, DISTINCT_HASH of minimal ones.

The database is opened read-only through a ``mode=ro`` URI, so a reference set
is never modified, and rows are streamed from a cursor: a full modern set has
tens of millions. Package name, version and application type (which flags
encryption, steganography and wiping tools) ride along in ``extra``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from vigil.errors import ImportFormatError
from vigil.hashsets.formats._common import EMPTY_DIGESTS, digest_or_none, hash_kinds
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import Scheme

SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite 3 database."""

VIEWS = {
    "FILE": ("sha256", "sha1", "md5", "file_name", "file_size", "package_id"),
    "DISTINCT_HASH": ("sha256", "sha1", "md5"),
}
"""The view each kind of RDSv3 set is read through, with the columns Vigil needs from it."""

NOT_NSRL = "SQLite file has no FILE or DISTINCT_HASH view: not an NSRL RDSv3 set"


def read_nsrl(path: Path, scheme: Scheme | None = None, known_good: bool = True) -> ParsedSet:
    """Read an NSRL RDSv3 SQLite set, skipping the hashes of zero-length files.

    ``scheme`` and ``known_good`` are accepted for a uniform reader signature:
    NSRL entries carry no category. ImportFormatError if this is no RDSv3 set.
    """
    source = str(path)
    view = nsrl_view(path)
    info = {"view": view}
    with _sqlite_errors(source, "VERSION"), closing(_connect(path)) as conn:
        info.update(_version_info(conn))
    return ParsedSet(format="nsrl", entries=_entries(path, source, view, info), info=info)


def nsrl_view(path: Path) -> str:
    """The view an RDSv3 file is read through (FILE or DISTINCT_HASH); ImportFormatError if none."""
    source = str(path)
    with path.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if not magic:
        raise ImportFormatError(
            source, "byte 0", "0-byte file: not an SQLite database, so not an NSRL RDSv3 set"
        )
    if magic != SQLITE_MAGIC:
        raise ImportFormatError(source, "byte 0", "not an SQLite database (no SQLite header)")
    with _sqlite_errors(source, "schema"), closing(_connect(path)) as conn:
        names = _object_names(conn)
        view = next((name for name in VIEWS if name in names), None)
        if view is None:
            raise ImportFormatError(source, "schema", NOT_NSRL)
        _check_columns(conn, names[view], view, source)
    return view


@contextmanager
def _sqlite_errors(source: str, where: str) -> Iterator[None]:
    """Report a damaged database as a malformed import, not a traceback."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise ImportFormatError(source, where, f"unreadable SQLite database: {exc}") from None


def _connect(path: Path) -> sqlite3.Connection:
    # mode=ro: SQLite then cannot write to, journal or otherwise change the source.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _object_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Tables and views by upper-cased name (SQLite names are case-insensitive)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    return {str(name).upper(): str(name) for (name,) in rows}


def _check_columns(conn: sqlite3.Connection, name: str, view: str, source: str) -> None:
    have = {str(row[1]).lower() for row in conn.execute(f'PRAGMA table_info("{name}")')}
    missing = [column for column in VIEWS[view] if column not in have]
    if missing:
        raise ImportFormatError(
            source, view, f"lacks column(s) {', '.join(missing)}: not an NSRL RDSv3 {view} view"
        )


def _version_info(conn: sqlite3.Connection) -> dict[str, str]:
    """The newest VERSION row (RDSv3 has one per release), for the hash-set history."""
    if "VERSION" not in _object_names(conn):
        return {}
    try:
        cursor = conn.execute('SELECT * FROM "VERSION" ORDER BY release_date DESC LIMIT 1')
    except sqlite3.DatabaseError:
        cursor = conn.execute('SELECT * FROM "VERSION" LIMIT 1')
    row = cursor.fetchone()
    if row is None:
        return {}
    values = {col[0].lower(): value for col, value in zip(cursor.description, row, strict=True)}
    info = {key: str(value) for key, value in values.items() if value is not None}
    if "release_date" in info:
        info["date"] = info["release_date"]
    return info


def _packages(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
    """PKG rows by package_id. PKG repeats a package once per language, OS and type: merge them."""
    if "PKG" not in _object_names(conn):
        return {}
    packages: dict[int, dict[str, Any]] = {}
    query = 'SELECT package_id, name, version, application_type FROM "PKG"'
    for package_id, name, version, app_type in conn.execute(query):
        package = packages.setdefault(
            package_id,
            {"package_name": _label(name), "package_version": _label(version), "types": set()},
        )
        if app_type:
            package["types"].add(_label(app_type))
    return packages


def _entries(path: Path, source: str, view: str, info: dict[str, str]) -> Iterator[HashEntry]:
    skipped = count = 0
    seen: set[str] = set()
    with _sqlite_errors(source, view), closing(_connect(path)) as conn:
        packages = _packages(conn) if view == "FILE" else {}
        columns = ", ".join(VIEWS[view])
        for row_no, row in enumerate(conn.execute(f'SELECT {columns} FROM "{view}"'), 1):
            entry = _entry(row, view, packages, source, f"{view} row #{row_no}")
            if _is_empty_file(entry):
                skipped += 1
                continue
            seen.update(kind for kind in ("md5", "sha1", "sha256") if getattr(entry, kind))
            count += 1
            yield entry
    info["entries"] = str(count)
    info["skipped_empty"] = str(skipped)
    info["hash_kinds"] = hash_kinds(seen)


def _entry(
    row: tuple[Any, ...], view: str, packages: dict[int, dict[str, Any]], source: str, where: str
) -> HashEntry:
    try:
        entry = HashEntry(
            sha256=digest_or_none(_text(row[0], "sha256"), "sha256"),
            sha1=digest_or_none(_text(row[1], "sha1"), "sha1"),
            md5=digest_or_none(_text(row[2], "md5"), "md5"),
        )
    except ValueError as exc:
        raise ImportFormatError(source, where, str(exc)) from None
    if not entry.has_hash():
        raise ImportFormatError(source, where, "has no sha256, sha1 or md5")
    if view == "FILE":
        _add_file_fields(entry, row, packages)
    return entry


def _label(value: object) -> object:
    """A package field as text: SQLite lets a BLOB sit in a TEXT column."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _text(value: object, column: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{column} must be hex text, got {type(value).__name__} {value!r:.60}")


def _add_file_fields(
    entry: HashEntry, row: tuple[Any, ...], packages: dict[int, dict[str, Any]]
) -> None:
    file_name, file_size, package_id = row[3], row[4], row[5]
    entry.name = None if file_name is None else str(file_name)
    entry.size = file_size if isinstance(file_size, int) else None
    entry.extra["package_id"] = package_id
    package = packages.get(package_id)
    if package is not None:
        entry.extra["package_name"] = package["package_name"]
        entry.extra["package_version"] = package["package_version"]
        entry.extra["application_types"] = sorted(package["types"])


def _is_empty_file(entry: HashEntry) -> bool:
    # The hash of no data matches every empty file on every exhibit: it identifies nothing.
    return entry.size == 0 or any(
        getattr(entry, kind) == digest for kind, digest in EMPTY_DIGESTS.items()
    )

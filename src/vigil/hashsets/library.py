"""The hash library: import, list, show, remove and export named hash sets.

Every import runs in one transaction: a malformed file leaves the library as
it was. A set's entries are replaced whole by a newer version of its file; the
version history stays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from vigil.audit import GLOBAL_SCOPE, append
from vigil.config import current_user
from vigil.errors import ExportError, ImportFormatError, UsageError
from vigil.hashing.vpdq import FrameFeature
from vigil.hashsets.formats import read_hashset
from vigil.hashsets.formats.vics_writer import write_csv, write_vics
from vigil.hashsets.formats.vpdq import write_vpdq
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import CategoryLookupError, Scheme, load_scheme
from vigil.inert import inert
from vigil.store.engine import Store, inserted_id, row_by_name
from vigil.store.schema import hash_entry, hash_entry_frame, hashset, hashset_version

BATCH_ROWS = 20_000
"""Rows per INSERT batch: big enough to amortise round trips, small enough for memory."""

ImportStatus = Literal["imported", "replaced", "unchanged"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did."""

    name: str
    status: ImportStatus
    format: str
    entry_count: int
    version: str | None
    source_sha256: str
    skipped_lines: tuple[str, ...] = ()
    """With ``skip_bad_lines``: each skipped line, by number, with why (the first 50)."""


@dataclass(frozen=True, slots=True)
class SetSummary:
    """One line of ``hashset list``."""

    name: str
    scheme: str
    known_good: bool
    entry_count: int
    version: str | None
    format: str
    imported_at: datetime
    imported_by: str


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One import of a set, for the history."""

    version: str | None
    source_date: str | None
    source_path: str
    source_sha256: str
    format: str
    entry_count: int
    imported_at: datetime
    imported_by: str
    current: bool


@dataclass(frozen=True, slots=True)
class SetDetail:
    """Everything ``hashset show`` prints."""

    summary: SetSummary
    by_category: dict[str, int]
    hash_counts: dict[str, int]
    history: list[VersionRecord]
    info: dict[str, Any]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def bump_revision(conn: Connection, set_id: int) -> None:
    """Record that a set's entries changed outside an import (derived indexes re-read it)."""
    conn.execute(
        update(hashset).where(hashset.c.id == set_id).values(revision=hashset.c.revision + 1)
    )


def import_file(
    store: Store,
    path: Path,
    name: str,
    *,
    scheme: str = "uk",
    known_good: bool = False,
    format: str | None = None,
    user: str | None = None,
    skip_bad_lines: bool = False,
    category: str | None = None,
) -> ImportResult:
    """Import a hash-set file as the named set, atomically; see the module doc.

    ``category`` (a key, code or label of the scheme) is given to every entry the
    file leaves without one: a vPDQ feature file names no category.
    """
    if not name.strip():
        raise UsageError("a hash set needs a non-empty --name")
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    loaded = load_scheme(scheme)
    default = _default_category(loaded, category, known_good)
    try:
        sha256 = file_sha256(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    with store.begin() as conn:
        existing = conn.execute(select(hashset).where(hashset.c.name == name)).first()
        if existing is not None and _unchanged(conn, existing, sha256, scheme, known_good, default):
            version = _current_version(conn, existing.current_version_id)
            result = ImportResult(
                name, "unchanged", version.format, version.entry_count, version.version, sha256
            )
            _audit_import(conn, result, path, scheme, known_good, user)
            return result
        set_id = _upsert_set(conn, existing, name, scheme, known_good)
        parsed = read_hashset(
            path, loaded, format=format, known_good=known_good, skip_bad_lines=skip_bad_lines
        )
        conn.execute(delete(hash_entry).where(hash_entry.c.hashset_id == set_id))
        entries = parsed.entries if default is None else _with_category(parsed.entries, default)
        count = _insert_entries(conn, set_id, entries, str(path))
        info = dict(parsed.info)
        if default is not None:
            info["default_category"] = default
        version_id = inserted_id(
            conn.execute(
                insert(hashset_version).values(
                    hashset_id=set_id,
                    version=info.get("version"),
                    source_date=info.get("date"),
                    source_path=str(path.resolve()),
                    source_sha256=sha256,
                    format=parsed.format,
                    entry_count=count,
                    imported_at=datetime.now(UTC),
                    imported_by=user or current_user(),
                    info=info,
                )
            )
        )
        conn.execute(
            update(hashset)
            .where(hashset.c.id == set_id)
            .values(current_version_id=version_id, revision=hashset.c.revision + 1)
        )
        status: ImportStatus = "imported" if existing is None else "replaced"
        skipped = tuple(filter(None, info.get("skipped_line_reasons", "").split("\n")))
        result = ImportResult(
            name, status, parsed.format, count, info.get("version"), sha256, skipped
        )
        _audit_import(conn, result, path, scheme, known_good, user)
    return result


def _audit_import(
    conn: Connection,
    result: ImportResult,
    path: Path,
    scheme: str,
    known_good: bool,
    user: str | None,
) -> None:
    """Record an import (even an unchanged one: someone asked for it) in the library's chain."""
    append(
        conn,
        GLOBAL_SCOPE,
        user or current_user(),
        "hashset.import",
        target=result.name,
        detail={
            "status": result.status,
            "source": str(path.resolve()),
            "source_sha256": result.source_sha256,
            "format": result.format,
            "entries": result.entry_count,
            "version": result.version,
            "scheme": scheme,
            "known_good": known_good,
        },
    )


def _unchanged(
    conn: Connection,
    row: Row[Any],
    sha256: str,
    scheme: str,
    known_good: bool,
    default: str | None = None,
) -> bool:
    if row.scheme != scheme or row.known_good != known_good or row.current_version_id is None:
        return False
    version = _current_version(conn, row.current_version_id)
    if (version.info or {}).get("default_category") != default:
        return False
    return bool(version.source_sha256 == sha256)


def _default_category(scheme: Scheme, category: str | None, known_good: bool) -> str | None:
    """The scheme key of ``--category``; a known-good set's entries take no grade."""
    if category is None:
        return None
    if known_good:
        raise UsageError("--category grades entries: a known-good set has none")
    try:
        return scheme.resolve(category)
    except CategoryLookupError as exc:
        raise UsageError(str(exc)) from None


def _with_category(entries: Iterator[HashEntry], key: str) -> Iterator[HashEntry]:
    for entry in entries:
        if entry.category is None:
            entry.category = key
        yield entry


def _current_version(conn: Connection, version_id: int) -> Row[Any]:
    row = conn.execute(select(hashset_version).where(hashset_version.c.id == version_id)).one()
    return row


def _upsert_set(
    conn: Connection, existing: Row[Any] | None, name: str, scheme: str, known_good: bool
) -> int:
    if existing is not None:
        conn.execute(
            update(hashset)
            .where(hashset.c.id == existing.id)
            .values(scheme=scheme, known_good=known_good)
        )
        return int(existing.id)
    return inserted_id(
        conn.execute(
            insert(hashset).values(
                name=name, scheme=scheme, known_good=known_good, created_at=datetime.now(UTC)
            )
        )
    )


def _insert_entries(
    conn: Connection, set_id: int, entries: Iterator[HashEntry], source: str
) -> int:
    # Straight to the driver's executemany with tuples: SQLAlchemy's per-row
    # parameter processing cost more than SQLite's own work at 10M rows.
    sql = _insert_sql(conn)
    count = 0
    batch: list[tuple[Any, ...]] = []
    for entry in entries:
        count += 1
        if not entry.has_hash():
            raise ImportFormatError(source, f"entry #{count}", "has no hash")
        try:
            row = _row(set_id, entry)
        except ValueError as exc:
            raise ImportFormatError(source, f"entry #{count}", str(exc)) from None
        if entry.frames:
            _insert_video(conn, row, entry)
            continue
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            conn.exec_driver_sql(sql, batch)
            batch = []
    if batch:
        conn.exec_driver_sql(sql, batch)
    return count


def _insert_video(conn: Connection, row: tuple[Any, ...], entry: HashEntry) -> None:
    """A listed video: its entry row, then its frames (vPDQ features) under that entry."""
    values = dict(zip(_ENTRY_COLUMNS, row, strict=True))
    values["extra"] = entry.extra or None
    entry_id = inserted_id(conn.execute(insert(hash_entry).values(**values)))
    frames = [
        {
            "entry_id": entry_id,
            "frame_number": f.frame_number,
            "timestamp_s": f.timestamp_s,
            "pdq": f.pdq,
            "quality": f.quality,
        }
        for f in entry.frames or ()
    ]
    for start in range(0, len(frames), BATCH_ROWS):
        conn.execute(insert(hash_entry_frame), frames[start : start + BATCH_ROWS])


_ENTRY_COLUMNS = (
    "hashset_id", "md5", "sha1", "sha256", "pdq", "pdq_quality",
    "category", "name", "size", "media_id", "extra",
)  # fmt: skip


def _insert_sql(conn: Connection) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO hash_entry ({', '.join(_ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_ENTRY_COLUMNS))})"
    )


MAX_STORED_SIZE = 2**63 - 1
"""Largest size an SQL BIGINT holds (SQLite and PostgreSQL alike)."""


def _stored_size(size: int | None) -> int | None:
    if size is not None and not 0 <= size <= MAX_STORED_SIZE:
        raise ValueError(f"size {size} is not a possible file size in bytes")
    return size


def _stored_text(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL, and a name from a hash set may hold NUL or
    # control characters (the file's own bytes): stored inert, like evidence names.
    return None if value is None else inert(value, None)


def _json_value(value: object) -> object:
    """What json.dumps cannot write (a BLOB from an NSRL database): stored as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    raise TypeError(f"{type(value).__name__} cannot be stored in a hash entry")


def _row(set_id: int, entry: HashEntry) -> tuple[Any, ...]:
    """The entry as an INSERT's values; ValueError when a value cannot be stored."""
    return (
        set_id,
        entry.md5,
        entry.sha1,
        entry.sha256,
        entry.pdq,
        entry.pdq_quality,
        entry.category,
        _stored_text(entry.name),
        _stored_size(entry.size),
        _stored_text(entry.media_id),
        json.dumps(entry.extra, ensure_ascii=False, default=_json_value) if entry.extra else None,
    )


def entry_from_row(row: Row[Any]) -> HashEntry:
    """Rebuild a HashEntry from a ``hash_entry`` row."""
    return HashEntry(
        md5=row.md5,
        sha1=row.sha1,
        sha256=row.sha256,
        pdq=row.pdq,
        pdq_quality=row.pdq_quality,
        category=row.category,
        name=row.name,
        size=row.size,
        media_id=row.media_id,
        extra=dict(row.extra or {}),
    )


def list_sets(store: Store) -> list[SetSummary]:
    """Every set in the library, by name."""
    with store.connect() as conn:
        rows = conn.execute(_summary_query().order_by(hashset.c.name)).all()
    return [_summary(row) for row in rows]


def _summary_query() -> Any:
    return select(
        hashset.c.id,
        hashset.c.name,
        hashset.c.scheme,
        hashset.c.known_good,
        hashset_version.c.entry_count,
        hashset_version.c.version,
        hashset_version.c.format,
        hashset_version.c.imported_at,
        hashset_version.c.imported_by,
        hashset_version.c.info,
    ).join(hashset_version, hashset_version.c.id == hashset.c.current_version_id)


def _summary(row: Row[Any]) -> SetSummary:
    return SetSummary(
        name=row.name,
        scheme=row.scheme,
        known_good=bool(row.known_good),
        entry_count=int(row.entry_count),
        version=row.version,
        format=row.format,
        imported_at=row.imported_at,
        imported_by=row.imported_by,
    )


def get_set_row(conn: Connection, name: str) -> Row[Any]:
    """The ``hashset`` row of a named set; NotFoundError names the known sets."""
    return row_by_name(conn, hashset, name, "hash set", "none imported yet")


def show_set(store: Store, name: str) -> SetDetail:
    """Summary, category counts, hash-kind counts and import history of a set."""
    with store.connect() as conn:
        row = get_set_row(conn, name)
        summary_row = conn.execute(_summary_query().where(hashset.c.id == row.id)).one()
        by_category = {
            str(cat) if cat is not None else "": int(n)
            for cat, n in conn.execute(
                select(hash_entry.c.category, func.count())
                .where(hash_entry.c.hashset_id == row.id)
                .group_by(hash_entry.c.category)
            )
        }
        counts = conn.execute(
            select(
                func.count(hash_entry.c.md5),
                func.count(hash_entry.c.sha1),
                func.count(hash_entry.c.sha256),
                func.count(hash_entry.c.pdq),
            ).where(hash_entry.c.hashset_id == row.id)
        ).one()
        history = [
            VersionRecord(
                version=v.version,
                source_date=v.source_date,
                source_path=v.source_path,
                source_sha256=v.source_sha256,
                format=v.format,
                entry_count=int(v.entry_count),
                imported_at=v.imported_at,
                imported_by=v.imported_by,
                current=v.id == row.current_version_id,
            )
            for v in conn.execute(
                select(hashset_version)
                .where(hashset_version.c.hashset_id == row.id)
                .order_by(hashset_version.c.id)
            )
        ]
    return SetDetail(
        summary=_summary(summary_row),
        by_category=by_category,
        hash_counts=dict(zip(("md5", "sha1", "sha256", "pdq"), map(int, counts), strict=True)),
        history=history,
        info=dict(summary_row.info or {}),
    )


def remove_set(store: Store, name: str, user: str | None = None) -> int:
    """Delete a set with its entries and history; returns how many entries went."""
    with store.begin() as conn:
        row = get_set_row(conn, name)
        gone = conn.execute(delete(hash_entry).where(hash_entry.c.hashset_id == row.id)).rowcount
        conn.execute(delete(hashset_version).where(hashset_version.c.hashset_id == row.id))
        conn.execute(delete(hashset).where(hashset.c.id == row.id))
        append(
            conn,
            GLOBAL_SCOPE,
            user or current_user(),
            "hashset.remove",
            target=name,
            detail={"entries": int(gone), "scheme": row.scheme, "known_good": bool(row.known_good)},
        )
    return int(gone)


def iter_entries(conn: Connection, set_id: int) -> Iterator[HashEntry]:
    """Stream a set's entries in import order without loading them all."""
    result = conn.execute(
        select(hash_entry)
        .where(hash_entry.c.hashset_id == set_id)
        .order_by(hash_entry.c.id)
        .execution_options(stream_results=True, yield_per=BATCH_ROWS)
    )
    for row in result:
        yield entry_from_row(row)


def export_set(store: Store, name: str, format: str, out: BinaryIO, user: str | None = None) -> int:
    """Write a set as VICS 2.0 or CSV to ``out``; returns the entry count.

    With ``user``, the export is recorded as theirs in the library's audit chain
    once it is written; without, the caller records it (the web app does, with
    its signed-in user), so that no export is logged twice.
    """
    if format not in ("vics", "csv", "vpdq"):
        raise UsageError(f"unknown export format {format!r}: use vics, csv or vpdq")
    with store.connect() as conn:
        row = get_set_row(conn, name)
        scheme: Scheme = load_scheme(row.scheme)
        counter = _Counter(iter_entries(conn, row.id))
        try:
            if format == "vics":
                write_vics(counter, out, scheme)
            elif format == "vpdq":
                _export_vpdq(conn, int(row.id), name, out)
                counter.count = 1
            else:
                write_csv(counter, out, scheme)
        except OSError as exc:
            raise ExportError(f"cannot write the export: {exc.strerror}") from exc
    if user is None:
        return counter.count
    with store.begin() as conn:
        append(
            conn,
            GLOBAL_SCOPE,
            user,
            "hashset.export",
            target=name,
            detail={"format": format, "entries": counter.count},
        )
    return counter.count


def video_frames(conn: Connection, entry_id: int) -> list[FrameFeature]:
    """The frames of a listed video, in frame order."""
    f = hash_entry_frame
    return [
        FrameFeature(int(r.frame_number), float(r.timestamp_s), bytes(r.pdq), int(r.quality))
        for r in conn.execute(
            select(f.c.frame_number, f.c.timestamp_s, f.c.pdq, f.c.quality)
            .where(f.c.entry_id == entry_id)
            .order_by(f.c.frame_number)
        )
    ]


def _export_vpdq(conn: Connection, set_id: int, name: str, out: BinaryIO) -> None:
    """A video set of one listed video, written back in the vPDQ reference text format."""
    videos = conn.execute(
        select(hash_entry.c.id)
        .where(
            hash_entry.c.hashset_id == set_id,
            hash_entry.c.id.in_(select(hash_entry_frame.c.entry_id)),
        )
        .order_by(hash_entry.c.id)
    ).all()
    if len(videos) != 1:
        raise UsageError(
            f"set {name!r} holds {len(videos)} listed videos: the vPDQ text format holds one"
        )
    write_vpdq(video_frames(conn, int(videos[0].id)), out)


class _Counter:
    """Counts entries as a writer pulls them through."""

    def __init__(self, entries: Iterator[HashEntry]) -> None:
        self._entries = entries
        self.count = 0

    def __iter__(self) -> Iterator[HashEntry]:
        for entry in self._entries:
            self.count += 1
            yield entry

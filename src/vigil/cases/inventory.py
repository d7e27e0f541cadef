"""The full inventory of a case: every item its scans found, not only hits and unknown media.

Empty files, plain documents, folders, links, errors, encrypted, skipped and
limited items all appear, each with its locator, size, time, hashes, status and
reason. ``vigil case items`` writes it as CSV, JSON lines, DFXML or a hashdeep
known-hashes file (one small writer module per format); filters narrow it to
one exhibit, some statuses or families, or locators matching a glob.

An item inside a container (an archive, a disk image) has no path on the
examiner's machine: its ``path`` is the locator's display form
(``os:/ev/a.zip → zip:b.jpg``). A file read straight from the examiner's file
system has its real path, so ``hashdeep -a -k`` can audit it in place.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import ColumnElement, Connection, select

from vigil import __version__
from vigil.audit import append, case_scope
from vigil.cases.case import get_case
from vigil.cases.inventory_csv import write_csv
from vigil.cases.inventory_dfxml import write_dfxml
from vigil.cases.inventory_hashdeep import write_hashdeep
from vigil.cases.inventory_jsonl import write_jsonl
from vigil.cases.inventory_model import ByteRun, InventoryHeader, InventoryItem, TextSink
from vigil.cases.runs import counted_evidence, refuse_inside_evidence
from vigil.config import current_user
from vigil.errors import ExportError, NotFoundError, UsageError
from vigil.sources.locator import escape_path
from vigil.store.engine import Store
from vigil.store.schema import evidence, exhibit, item, scan_run

FORMATS = ("csv", "jsonl", "dfxml", "hashdeep")
"""Every format ``vigil case items`` writes."""

STATUSES = ("ok", "error", "limit", "encrypted", "unsupported", "skipped")
"""Item statuses a scan records (see ``vigil.scan.records.ItemRecord``)."""

_BATCH = 2000
"""Rows fetched at a time: a case of a million items is streamed, never held in memory."""


@dataclass(frozen=True, slots=True)
class InventoryFilter:
    """Which items to list; an empty field means "all"."""

    exhibit: str | None = None  # an exhibit label ("Exhibit 2", "Run 3 exhibit 1") or number
    statuses: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    location: str | None = None  # a glob matched against the locator's display form


@dataclass(frozen=True, slots=True)
class InventoryOutcome:
    """What ``export_inventory`` wrote, and the audit entry that records it."""

    case: str
    format: str
    output: str  # a path, or "-" for a stream
    items: int
    size_bytes: int
    sha256: str
    audit_seq: int


Writer = Callable[[InventoryHeader, Iterable[InventoryItem], TextSink], int]
"""A format's writer: header, items, where to write; returns the number of items written."""

WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
    "dfxml": write_dfxml,
    "hashdeep": write_hashdeep,
}


def exhibit_labels(conn: Connection, case_id: int) -> dict[int, str]:
    """The reference of every exhibit of the case, keyed by the evidence row that counts for it.

    Only the counted scan of each exhibit is listed (its latest finished run, as
    in the case report): a superseded run's items are not the exhibit's any more.
    """
    counted = list(counted_evidence(conn, case_id).values())
    rows = conn.execute(
        select(evidence.c.id, evidence.c.ordinal, exhibit.c.reference)
        .select_from(evidence.outerjoin(exhibit, exhibit.c.id == evidence.c.exhibit_id))
        .where(evidence.c.id.in_(counted))
        .order_by(evidence.c.run_id, evidence.c.ordinal)
    ).all()
    return {int(r.id): str(r.reference or f"Exhibit {r.ordinal}") for r in rows}


def pick_exhibits(labels: dict[int, str], wanted: str) -> list[int]:
    """Evidence ids that ``wanted`` names: an exhibit reference (any case) or its last word.

    ``1`` finds ``Exhibit 1``; NotFoundError lists the references.
    """
    text = " ".join(wanted.split()).casefold()
    found = [i for i, label in labels.items() if label.casefold() == text]
    if not found and text.isdigit():
        found = [i for i, label in labels.items() if label.rsplit(" ", 1)[-1] == text]
    if not found:
        known = ", ".join(labels.values()) or "none yet"
        raise NotFoundError(f"no exhibit {wanted!r} in this case (known: {known})")
    return found


def inventory_items(
    conn: Connection, case_name: str, wanted: InventoryFilter | None = None
) -> Iterator[InventoryItem]:
    """Every item of the case meeting ``wanted``, exhibit by exhibit, in locator order."""
    wanted = wanted or InventoryFilter()
    case_id = int(get_case(conn, case_name).id)
    labels = exhibit_labels(conn, case_id)
    query = (
        select(item)
        .join(scan_run, scan_run.c.id == item.c.run_id)
        .where(*_conditions(case_id, labels, wanted))
        .order_by(item.c.evidence_id, item.c.display, item.c.id)
        .execution_options(yield_per=_BATCH)
    )
    glob = wanted.location
    for row in conn.execute(query):
        if glob is not None and not fnmatch.fnmatchcase(row.display, glob):
            continue
        yield _item(row, labels)


def inventory_header(
    conn: Connection, case_name: str, wanted: InventoryFilter, user: str | None = None
) -> InventoryHeader:
    """The header of an inventory of ``case_name`` made now by ``user`` (default: login name)."""
    case_id = int(get_case(conn, case_name).id)
    query = (
        select(evidence.c.id, evidence.c.path)
        .join(scan_run, scan_run.c.id == evidence.c.run_id)
        .where(scan_run.c.case_id == case_id)
        .order_by(evidence.c.run_id, evidence.c.ordinal)
    )
    if wanted.exhibit is not None:
        query = query.where(
            evidence.c.id.in_(pick_exhibits(exhibit_labels(conn, case_id), wanted.exhibit))
        )
    filters = {
        "exhibit": wanted.exhibit,
        "status": list(wanted.statuses),
        "family": list(wanted.families),
        "location": wanted.location,
    }
    return InventoryHeader(
        case=case_name,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        generated_by=user or current_user(),
        host=socket.gethostname(),
        vigil_version=__version__,
        evidence=[str(r.path) for r in conn.execute(query)],
        filters={k: v for k, v in filters.items() if v},
    )


def writer_for(fmt: str) -> Writer:
    """The function that writes the inventory in ``fmt``; UsageError for an unknown format."""
    if fmt not in WRITERS:
        raise UsageError(f"unknown inventory format {fmt!r}: use one of {', '.join(FORMATS)}")
    return WRITERS[fmt]


def export_inventory(
    store: Store,
    case_name: str,
    fmt: str,
    output: Path | TextIO,
    wanted: InventoryFilter | None = None,
    user: str | None = None,
) -> InventoryOutcome:
    """Write the inventory of ``case_name`` to ``output`` and record it in the case's audit log.

    A file is written beside its target and renamed into place, so a failed
    export leaves no half inventory; a path on or inside the evidence is refused.
    """
    wanted = wanted or InventoryFilter()
    write = writer_for(fmt)
    if wanted.statuses and set(wanted.statuses) - set(STATUSES):
        unknown = sorted(set(wanted.statuses) - set(STATUSES))
        raise UsageError(f"unknown status {unknown[0]!r}: use one of {', '.join(STATUSES)}")
    actor = user or current_user()
    with store.connect() as conn:
        header = inventory_header(conn, case_name, wanted, actor)
        if isinstance(output, Path):
            _refuse_evidence(conn, case_name, output)
            count, size, digest, where = _write_file(
                output, lambda out: write(header, inventory_items(conn, case_name, wanted), out)
            )
        else:
            hashing = _HashingText(output)
            count = write(header, inventory_items(conn, case_name, wanted), hashing)
            output.flush()
            size, digest, where = hashing.size, hashing.digest.hexdigest(), "-"
    detail = {"format": fmt, "output": where, "items": count, "sha256": digest, "bytes": size}
    if header.filters:
        detail["filters"] = header.filters
    try:
        with store.begin() as conn:
            case_id = int(get_case(conn, case_name).id)
            entry = append(conn, case_scope(case_id), actor, "case.items", case_name, detail)
    except BaseException:
        # No audit entry, no file: an export the log does not know of must not be left behind.
        if isinstance(output, Path):
            output.unlink(missing_ok=True)
        raise
    return InventoryOutcome(case_name, fmt, where, count, size, digest, entry.seq)


def _conditions(
    case_id: int, labels: dict[int, str], wanted: InventoryFilter
) -> list[ColumnElement[bool]]:
    conditions = [scan_run.c.case_id == case_id, item.c.evidence_id.in_(list(labels))]
    if wanted.exhibit is not None:
        conditions.append(item.c.evidence_id.in_(pick_exhibits(labels, wanted.exhibit)))
    if wanted.statuses:
        conditions.append(item.c.status.in_(wanted.statuses))
    if wanted.families:
        conditions.append(item.c.family.in_([f.casefold() for f in wanted.families]))
    return conditions


def _item(row: Any, labels: dict[int, str]) -> InventoryItem:
    layers = _layers(row.locator)
    host = len(layers) == 1 and layers[0].get("type") == "os"
    leaf = layers[-1] if layers else {}
    inode = leaf.get("inode")
    return InventoryItem(
        id=int(row.id),
        exhibit=labels.get(int(row.evidence_id), str(row.evidence_id)),
        run_id=int(row.run_id),
        locator=row.display,
        locator_key=row.locator,
        path=escape_path(str(layers[0].get("path", ""))) if host else row.display,
        on_host=host,
        name=row.name,
        kind=row.kind,
        status=row.status,
        reason=row.reason or None,
        size=row.size,
        mtime=datetime.fromtimestamp(row.mtime, UTC) if row.mtime is not None else None,
        file_type=row.file_type,
        family=row.family,
        location=row.location,
        depth=int(row.depth),
        md5=_hex(row.md5),
        sha1=_hex(row.sha1),
        sha256=_hex(row.sha256),
        review=row.review,
        inode=int(inode) if isinstance(inode, int) else None,
        byte_runs=_byte_runs(leaf),
    )


def _layers(key: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(key)
    except ValueError:
        return []
    return [layer for layer in data if isinstance(layer, dict)] if isinstance(data, list) else []


def _byte_runs(leaf: dict[str, Any]) -> list[ByteRun]:
    # A carved item's layer says where in its image it was found; other items' runs
    # are not recorded by the scan.
    offset, length = leaf.get("offset"), leaf.get("length")
    if leaf.get("carved") and isinstance(offset, int) and isinstance(length, int):
        return [ByteRun(0, offset, length)]
    return []


def _hex(value: bytes | None) -> str | None:
    return bytes(value).hex() if value is not None else None


def _refuse_evidence(conn: Connection, case_name: str, output: Path) -> None:
    """UsageError if ``output`` would land on or inside any exhibit of the case."""
    case_id = int(get_case(conn, case_name).id)
    query = (
        select(evidence.c.path_bytes)
        .join(scan_run, scan_run.c.id == evidence.c.run_id)
        .where(scan_run.c.case_id == case_id)
    )
    refuse_inside_evidence(conn.execute(query).scalars(), output, "the inventory")


class _HashingText:
    """A text stream that passes writes on and keeps the SHA-256 and size of their UTF-8."""

    def __init__(self, out: TextSink) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.size += len(data)
        return self.out.write(text)


def _write_file(output: Path, write: Callable[[TextSink], int]) -> tuple[int, int, str, str]:
    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            hashing = _HashingText(handle)
            count = write(hashing)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {output}: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count, hashing.size, hashing.digest.hexdigest(), str(output.resolve())

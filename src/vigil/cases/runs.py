"""Scan runs of a case and the evidence each one reads."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from vigil.cases import revisions
from vigil.errors import ScanError, UsageError
from vigil.sources.locator import escape_path
from vigil.store.engine import inserted_id
from vigil.store.schema import evidence, scan_run


@dataclass(frozen=True, slots=True)
class EvidenceSource:
    """One PATH given to ``vigil scan``."""

    ordinal: int
    path: bytes
    kind: str  # folder or file

    @property
    def display(self) -> str:
        """The path as text (undecodable bytes escaped)."""
        return os.fsdecode(self.path)


def unfinished_run(conn: Connection, case_id: int) -> Row[Any] | None:
    """The case's scan run that was started but never finished, if any."""
    return conn.execute(
        select(scan_run)
        .where(scan_run.c.case_id == case_id, scan_run.c.status == "running")
        .order_by(scan_run.c.id.desc())
    ).first()


def counted_evidence(conn: Connection, case_id: int) -> dict[int, int]:
    """The evidence row that counts for each exhibit of the case: exhibit id → evidence id.

    Only the latest finished run of an exhibit counts; an exhibit never
    finished counts its latest (unfinished) run, so an interrupted first scan
    still shows what it has read. A re-scan thus supersedes the earlier run
    of its exhibit and two runs of one exhibit never both count.
    """
    rows = conn.execute(
        select(evidence.c.id, evidence.c.exhibit_id, scan_run.c.status)
        .join(scan_run, scan_run.c.id == evidence.c.run_id)
        .where(scan_run.c.case_id == case_id)
        .order_by(evidence.c.run_id)
    ).all()
    latest: dict[int, int] = {}
    finished: dict[int, int] = {}
    for row in rows:
        # A row from before exhibits existed stands alone (the migration names them all).
        key = int(row.exhibit_id) if row.exhibit_id is not None else -int(row.id)
        latest[key] = int(row.id)
        if row.status == "complete":
            finished[key] = int(row.id)
    return {key: finished.get(key, last) for key, last in latest.items()}


def resolve_sources(paths: list[Path]) -> list[EvidenceSource]:
    """Check that every PATH exists and say whether it is a folder or a file."""
    if not paths:
        raise ScanError("give at least one PATH to scan")
    sources = []
    for ordinal, path in enumerate(paths, 1):
        raw = os.fsencode(os.path.abspath(path))
        if os.path.islink(raw) and not os.path.exists(raw):
            raise ScanError(f"evidence path is a broken symbolic link: {path}")
        if os.path.isdir(raw):
            kind = "folder"
        elif os.path.isfile(raw):
            kind = "file"
        elif os.path.exists(raw):
            raise ScanError(f"evidence path is neither a folder nor a regular file: {path}")
        else:
            raise ScanError(f"no such file or folder: {path}")
        sources.append(EvidenceSource(ordinal, raw, kind))
    return sources


def create_run(
    conn: Connection,
    case_id: int,
    sources: list[EvidenceSource],
    examiner: str,
    params: dict[str, Any],
    versions: dict[str, str],
    hashsets: list[dict[str, Any]],
    exhibit_ids: dict[int, int],
) -> tuple[int, dict[int, int]]:
    """Insert a run, its evidence rows (each scanning the exhibit ``exhibit_ids`` gives for
    its ordinal) and its first result revision (with the set versions in ``hashsets``);
    returns the run id and evidence id by ordinal."""
    run_id = inserted_id(
        conn.execute(
            insert(scan_run).values(
                case_id=case_id,
                examiner=examiner,
                host=socket.gethostname(),
                status="running",
                started_at=datetime.now(UTC),
                resumed_count=0,
                elapsed_s=0.0,
                params=params,
                versions=versions,
                hashsets=hashsets,
            )
        )
    )
    revisions.start_result(conn, case_id, run_id, revisions.SCAN, examiner, hashsets)
    ids = {}
    for source in sources:
        ids[source.ordinal] = inserted_id(
            conn.execute(
                insert(evidence).values(
                    run_id=run_id,
                    ordinal=source.ordinal,
                    path=escape_path(source.display),
                    path_bytes=source.path,
                    kind=source.kind,
                    exhibit_id=exhibit_ids[source.ordinal],
                    # A disk image describes itself: format, segments, E01 acquisition
                    # metadata and stored hashes, partitions (headers only: cheap).
                    info=_describe_image(source.path) if source.kind == "file" else None,
                )
            )
        )
    return run_id, ids


def run_sources(conn: Connection, run_id: int) -> tuple[list[EvidenceSource], dict[int, int]]:
    """The evidence sources of a run (for resuming) and their ids by ordinal."""
    rows = conn.execute(
        select(evidence).where(evidence.c.run_id == run_id).order_by(evidence.c.ordinal)
    ).all()
    sources = [EvidenceSource(r.ordinal, bytes(r.path_bytes), r.kind) for r in rows]
    return sources, {r.ordinal: r.id for r in rows}


def finish_run(conn: Connection, run_id: int, elapsed_s: float) -> None:
    """Mark a run complete with its total elapsed time."""
    conn.execute(
        update(scan_run)
        .where(scan_run.c.id == run_id)
        .values(status="complete", finished_at=datetime.now(UTC), elapsed_s=elapsed_s)
    )


def refuse_inside_evidence(evidence_paths: Iterable[bytes], output: Path, what: str) -> None:
    """UsageError if ``output`` would land on or inside one of the evidence paths.

    Evidence is never written: not by a report, an inventory or any export.
    ``what`` names the file for the message ("the report", "the inventory").
    """
    target = Path(os.path.realpath(output))
    for raw in evidence_paths:
        source = Path(os.path.realpath(os.fsdecode(bytes(raw))))
        if target == source or source in target.parents:
            raise UsageError(
                f"refusing to write {what} to {output}: it is inside the evidence "
                f"{source} (evidence is only ever read)"
            )


def _describe_image(path: bytes) -> dict[str, Any] | None:
    """The disk image's description; its readers are imported only when a run records one."""
    from vigil.sources.disk.info import describe_image

    return describe_image(path)

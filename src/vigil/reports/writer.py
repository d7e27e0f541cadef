"""Make one report of a case in one format, write it, and record that in the case's audit log.

The report shows the audit chain's head as it stood when the counts were read;
the ``report`` entry appended after the file is written names the format, the
file and the SHA-256 of what was written, so the file can be checked later.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, select

from vigil.audit import append, case_scope
from vigil.cases.case import get_case
from vigil.cases.runs import refuse_inside_evidence
from vigil.config import current_user
from vigil.crosscase.figures import note_report
from vigil.errors import ReportError, UsageError
from vigil.reports.csv_report import write_csv_report
from vigil.reports.gather import build_report
from vigil.reports.html import PDF_MAX_ROWS, render_html
from vigil.reports.json_report import write_json_report
from vigil.reports.model import DEFAULT_MARKING, Report
from vigil.reports.pdf import write_pdf
from vigil.reports.vics_case import write_vics_case
from vigil.store.engine import Store
from vigil.store.schema import evidence

FORMATS = ("html", "pdf", "json", "csv", "vics")
"""Every format ``vigil report`` writes."""


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What was written, and the audit entry that says so."""

    case: str
    format: str
    output: str  # a path, or "-" for a stream
    size_bytes: int
    sha256: str
    audit_seq: int
    audit_head: str
    report: Report


def render_report(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` as bytes (UTF-8 text for every format but PDF)."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        with tempfile.TemporaryDirectory(prefix="vigil-report-") as tmp:
            target = Path(tmp) / "report.pdf"
            write_pdf(render_html(report, PDF_MAX_ROWS), target)
            return target.read_bytes()
    text = io.StringIO(newline="")
    if fmt == "json":
        write_json_report(report, text)
    elif fmt == "csv":
        write_csv_report(report, text)
    elif fmt == "vics":
        write_vics_case(report, text)
    else:
        raise UsageError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    return text.getvalue().encode("utf-8")


def make_report(
    store: Store,
    case_name: str,
    fmt: str,
    output: Path | BinaryIO,
    user: str | None = None,
    marking: str = DEFAULT_MARKING,
    revision: int | None = None,
) -> ReportOutcome:
    """Build, render and write the report, then append a ``report`` entry to the case's chain.

    ``revision`` is the revision of the case's results to show (default: the newest).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    actor = user or current_user()
    with store.connect() as conn:
        report = build_report(conn, case_name, actor, marking, revision=revision)
        if isinstance(output, Path):
            _refuse_evidence(conn, report, output)
    data = render_report(report, fmt)
    digest = hashlib.sha256(data).hexdigest()
    where = _write(data, output)
    try:
        with store.begin() as conn:
            case_id = int(get_case(conn, case_name).id)
            entry = append(
                conn,
                case_scope(case_id),
                actor,
                "report",
                target=case_name,
                detail={
                    "format": fmt,
                    "output": where,
                    "sha256": digest,
                    "bytes": len(data),
                    "revision": report.revision.number,
                },
            )
            note_report(conn, case_id, entry.at)
    except BaseException:
        # No audit entry, no report: a file the log does not know of must not be left behind.
        if isinstance(output, Path):
            output.unlink(missing_ok=True)
        raise
    return ReportOutcome(
        case_name, fmt, where, len(data), digest, entry.seq, entry.entry_hash, report
    )


def _refuse_evidence(conn: Connection, report: Report, output: Path) -> None:
    """UsageError if ``output`` would land on or inside an exhibit of the report."""
    ids = [e.id for e in report.exhibits]
    paths = conn.execute(select(evidence.c.path_bytes).where(evidence.c.id.in_(ids))).scalars()
    refuse_inside_evidence(paths, output, "the report")


def _write(data: bytes, output: Path | BinaryIO) -> str:
    if not isinstance(output, Path):
        output.write(data)
        output.flush()
        return "-"
    # Write beside the target and rename, so a failed write leaves no half report.
    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ReportError(f"cannot write {output}: {exc.strerror or exc}") from exc
    return str(output.resolve())

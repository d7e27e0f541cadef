"""``vigil report``: write a case's report (HTML, PDF, JSON, CSV or VICS 2.0)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vigil.cli.context import AppContext
from vigil.cli.output import echo_text
from vigil.errors import UsageError
from vigil.reports.model import DEFAULT_MARKING
from vigil.reports.writer import FORMATS, make_report

pass_app = click.make_pass_decorator(AppContext)


@click.command("report")
@click.argument("case")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html (one self-contained file), pdf (printed from it by Chromium), json, csv, "
    "or vics (VICS 2.0 #Cases export).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default stdout; required for pdf).",
)
@click.option("--examiner", help="Who makes the report (default: the login name).")
@click.option(
    "--marking",
    default=DEFAULT_MARKING,
    show_default=True,
    help='Protective marking on every page ("" for none).',
)
@pass_app
def report_command(
    app: AppContext,
    case: str,
    fmt: str,
    output: Path | None,
    examiner: str | None,
    marking: str,
) -> None:
    """Write the report of CASE: counts by category per exhibit, hits, provenance, audit head.

    No image content is ever included. The audit log records who made the report,
    where it went and the SHA-256 of what was written.
    """
    if output is None and fmt == "pdf":
        raise UsageError("a PDF report needs -o FILE")
    target = output if output is not None else sys.stdout.buffer
    outcome = make_report(app.store, case, fmt, target, examiner, marking)
    audit = outcome.report.audit
    if not audit.intact:
        click.echo(
            echo_text(
                f"vigil: warning: the audit log of case {case} failed verification "
                f"(`vigil audit verify {case}`); the report says so"
            ),
            err=True,
        )
    where = outcome.output if output is not None else "stdout"
    # click.echo, not rich: hashes must stay on one line to be copied whole.
    click.echo(
        echo_text(
            f"Wrote the {fmt} report of case {case} to {where} "
            f"({outcome.size_bytes:,} bytes, SHA-256 {outcome.sha256})"
        ),
        err=True,
    )
    click.echo(
        f"Audit chain head in the report: seq {audit.seq} {audit.head}; "
        f"this report is audit entry {outcome.audit_seq} {outcome.audit_head}",
        err=True,
    )

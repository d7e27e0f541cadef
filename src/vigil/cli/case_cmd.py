"""``vigil case``: list cases, show a case's summary, list every item of a case."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from vigil.cases.counting import case_summary, list_cases
from vigil.cases.inventory import FORMATS, STATUSES, InventoryFilter, export_inventory
from vigil.cli.context import AppContext
from vigil.cli.findings_view import print_findings
from vigil.cli.output import line, plain, print_json, stdout, when
from vigil.cli.summary_view import print_summary
from vigil.indicators.findings import case_findings

pass_app = click.make_pass_decorator(AppContext)


@click.group("case")
def case_group() -> None:
    """Look at scanned cases."""


@case_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List cases with their item, hit and unknown-media counts."""
    rows = list_cases(app.store)
    if as_json:
        print_json(rows)
        return
    if not rows:
        stdout.print(line("No cases yet: `vigil scan PATH --case NAME` makes one."))
        return
    table = Table(title="Cases")
    for column in ("Case", "Runs", "Unfinished", "Items", "Hits", "Unknown media", "Last scan"):
        table.add_column(column)
    for r in rows:
        cells = (
            r["case"],
            str(r["runs"]),
            str(r["unfinished"]),
            f"{r['items']:,}",
            f"{r['hits']:,}",
            f"{r['unknown_media']:,}",
            when(r["last_scan"]),
        )
        table.add_row(*(plain(c) for c in cells))
    stdout.print(table)


@case_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def show_cmd(app: AppContext, name: str, as_json: bool) -> None:
    """Print the summary of case NAME from the store."""
    summary = case_summary(app.store, name)
    found = case_findings(app.store, name)
    if as_json:
        print_json({**asdict(summary), "findings": found})
    else:
        print_summary(summary)
        print_findings(found)


@case_group.command("items")
@click.argument("name")
@click.option(
    "--exhibit",
    help='Only this exhibit: its label as reports show it ("Exhibit 2", "Run 3 exhibit 1") '
    "or its number.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only items with this status (repeat for several).",
)
@click.option(
    "--family",
    "families",
    multiple=True,
    help="Only items of this family: image, video, archive, document, unknown … (repeatable).",
)
@click.option(
    "--location",
    metavar="GLOB",
    help="Only items whose locator matches GLOB, e.g. '*.zip → *' or '*/DCIM/*'.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="csv, jsonl (one JSON object a line), dfxml, or hashdeep (for `hashdeep -a -k`).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default stdout).",
)
@pass_app
def items_cmd(
    app: AppContext,
    name: str,
    exhibit: str | None,
    statuses: tuple[str, ...],
    families: tuple[str, ...],
    location: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """List every item of case NAME: empty files, documents, errors, skipped and limited ones too.

    Each item has its locator, size, modification time, hashes, status and
    reason. The export is recorded in the case's audit log with its SHA-256.
    """
    wanted = InventoryFilter(exhibit, statuses, families, location)
    target = output if output is not None else sys.stdout
    outcome = export_inventory(app.store, name, fmt, target, wanted)
    where = outcome.output if output is not None else "stdout"
    # click.echo, not rich: the hash must stay on one line to be copied whole.
    click.echo(
        f"Wrote {outcome.items:,} items of case {name} as {fmt} to {where} "
        f"({outcome.size_bytes:,} bytes, SHA-256 {outcome.sha256}; "
        f"audit entry {outcome.audit_seq})",
        err=True,
    )

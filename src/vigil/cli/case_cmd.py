"""``vigil case``: list cases and show a case's summary."""

from __future__ import annotations

from dataclasses import asdict

import click
from rich.table import Table

from vigil.cases.counting import case_summary, list_cases
from vigil.cli.context import AppContext
from vigil.cli.findings_view import print_findings
from vigil.cli.output import line, plain, print_json, print_table, stdout, when
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
    print_table(table)


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

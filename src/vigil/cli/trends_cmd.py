"""``vigil trends``: anonymised figures across cases, per month or quarter."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime

import click
from rich.table import Table

from vigil.cli.context import AppContext
from vigil.cli.output import line, plain, print_json, print_table, stdout
from vigil.crosscase.privacy import effective_k
from vigil.crosscase.trends import PERIODS, Trends, trends
from vigil.csv_safety import safe_cell

pass_app = click.make_pass_decorator(AppContext)


@click.command("trends")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@click.option("--by", type=click.Choice(PERIODS), default="month", show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--min-cases",
    type=click.IntRange(min=1),
    help="Suppress figures made of fewer cases than this (only above the store's setting).",
)
@pass_app
def trends_command(
    app: AppContext,
    start: datetime | None,
    end: datetime | None,
    by: str,
    fmt: str,
    min_cases: int | None,
) -> None:
    """Trends across cases: sizes, categories, storage, indicators, new vs known material.

    A figure made of fewer than k cases (default 5) is suppressed and says so;
    no output carries a case name, a path or a hash.
    """
    with app.store.connect() as conn:
        k = effective_k(conn, min_cases)
        found = trends(conn, k, _day(start), _day(end), by)
    if fmt == "json":
        print_json(found.as_json())
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(found.columns())
        for row in found.rows():
            writer.writerow([safe_cell(c) for c in row])
    else:
        _print_table(found)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _print_table(found: Trends) -> None:
    if not found.periods:
        stdout.print(line("No scanned cases in that time."))
        return
    table = Table(title=f"Trends by {found.by} (figures of fewer than {found.k} cases suppressed)")
    table.add_column("")
    for p in found.periods:
        table.add_column(p.label)
    columns = found.columns()[1:]
    rows = found.rows()
    for number, name in enumerate(columns, 1):
        table.add_row(plain(name), *(plain(r[number]) for r in rows))
    print_table(table)

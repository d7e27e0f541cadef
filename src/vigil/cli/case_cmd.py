"""``vigil case``: list cases, show a case's summary, list every item, re-match it."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from vigil.cases.counting import case_summary, list_cases
from vigil.cases.inventory import FORMATS, STATUSES, InventoryFilter, export_inventory
from vigil.cli.context import AppContext
from vigil.cli.output import echo_text, line, plain, print_json, print_table, stdout, when
from vigil.config import current_user
from vigil.errors import UsageError

if TYPE_CHECKING:
    from vigil.cases import rematch

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
@click.option(
    "--revision",
    type=click.IntRange(min=1),
    help="Revision of the results to show (default: the newest).",
)
@pass_app
def show_cmd(app: AppContext, name: str, as_json: bool, revision: int | None) -> None:
    """Print the summary of case NAME from the store."""
    from vigil.cli.findings_view import print_findings
    from vigil.cli.summary_view import print_summary
    from vigil.indicators.findings import case_findings

    summary = case_summary(app.store, name, revision)
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
        echo_text(
            f"Wrote {outcome.items:,} items of case {name} as {fmt} to {where} "
            f"({outcome.size_bytes:,} bytes, SHA-256 {outcome.sha256}; "
            f"audit entry {outcome.audit_seq})"
        ),
        err=True,
    )


@case_group.command("rematch")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Only show the difference; change nothing.")
@click.option("--yes", is_flag=True, help="Apply without asking (needed when not at a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
@pass_app
def rematch_cmd(app: AppContext, name: str, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Re-match case NAME against today's library as a new revision of its results.

    Shows the difference per category (before → after) first, then asks. Earlier
    revisions stay: `vigil report NAME --revision N` still shows any of them.
    """
    from vigil.cases import rematch

    user = current_user()
    planned = rematch.preview(app.store, name, user)
    if as_json:
        print_json(_rematch_json(planned))
    else:
        print_rematch(planned)
    if dry_run:
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"not applied: give --yes to make revision {planned.revision} "
                "without a terminal to ask at (--dry-run only shows the difference)"
            )
        question = echo_text(f"Make revision {planned.revision} of case {name}?")
        if not click.confirm(question, err=True):
            click.echo("Not applied: the case is as it was.", err=True)
            return
    done = rematch.apply(app.store, name, user, expect=planned.fingerprint)
    click.echo(
        echo_text(
            f"Case {name}: revision {done.revision} made (revision {done.previous} is kept); "
            "recorded in the audit log"
        ),
        err=True,
    )


def print_rematch(planned: rematch.Rematch) -> None:
    """The difference a re-match makes, as tables."""
    table = Table(
        title=line(
            f"Case {planned.case}: revision {planned.previous} → {planned.revision} "
            "(today's library)"
        )
    )
    for column in ("Category", "Before", "After", "Change"):
        table.add_column(column, justify="left" if column == "Category" else "right")
    for change in [*planned.categories, *planned.states]:
        delta = change.after - change.before
        table.add_row(
            plain(change.label),
            f"{change.before:,}",
            f"{change.after:,}",
            f"{delta:+,}" if delta else "",
        )
    stdout.print(table)
    sets = Table(title="Hash sets it matches against")
    for column in ("Set", "Kind", "Version", "Revision", "Entries"):
        sets.add_column(column, overflow="fold")
    for s in planned.sets:
        sets.add_row(
            plain(s["name"]),
            "known-good" if s["known_good"] else "graded",
            plain(s.get("version") or "—"),
            str(s["revision"]),
            f"{int(s.get('entry_count') or 0):,}",
        )
    stdout.print(sets)
    if not planned.changed:
        stdout.print("Today's library gives the same figures.")


def _rematch_json(planned: rematch.Rematch) -> dict[str, object]:
    return {
        "case": planned.case,
        "previous": planned.previous,
        "revision": planned.revision,
        "categories": [asdict(c) for c in planned.categories],
        "states": [asdict(c) for c in planned.states],
        "sets": [{k: v for k, v in s.items() if k != "imported_at"} for s in planned.sets],
        "changed": planned.changed,
    }


def _add_links_command() -> None:
    # `case links` lives in its own module (cross-case work); registered here so that the
    # lazily loaded `case` group carries it.
    from vigil.cli.links_cmd import links_command

    case_group.add_command(links_command)


_add_links_command()

"""``vigil case``: list cases, show a case's summary, re-match it against today's library."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click
from rich.table import Table

from vigil.cases import rematch
from vigil.cases.counting import case_summary, list_cases
from vigil.cli.context import AppContext
from vigil.cli.findings_view import print_findings
from vigil.cli.output import print_json, stdout, when
from vigil.cli.summary_view import print_summary
from vigil.config import current_user
from vigil.errors import UsageError
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
        stdout.print("No cases yet: `vigil scan PATH --case NAME` makes one.")
        return
    table = Table(title="Cases")
    for column in ("Case", "Runs", "Unfinished", "Items", "Hits", "Unknown media", "Last scan"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["case"],
            str(r["runs"]),
            str(r["unfinished"]),
            f"{r['items']:,}",
            f"{r['hits']:,}",
            f"{r['unknown_media']:,}",
            when(r["last_scan"]),
        )
    stdout.print(table)


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
    summary = case_summary(app.store, name, revision)
    found = case_findings(app.store, name)
    if as_json:
        print_json({**asdict(summary), "findings": found})
    else:
        print_summary(summary)
        print_findings(found)


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
        if not click.confirm(f"Make revision {planned.revision} of case {name}?", err=True):
            click.echo("Not applied: the case is as it was.", err=True)
            return
    done = rematch.apply(app.store, name, user, expect=planned.fingerprint)
    click.echo(
        f"Case {name}: revision {done.revision} made (revision {done.previous} is kept); "
        "recorded in the audit log",
        err=True,
    )


def print_rematch(planned: rematch.Rematch) -> None:
    """The difference a re-match makes, as tables."""
    table = Table(
        title=f"Case {planned.case}: revision {planned.previous} → {planned.revision} "
        "(today's library)"
    )
    for column in ("Category", "Before", "After", "Change"):
        table.add_column(column, justify="left" if column == "Category" else "right")
    for change in [*planned.categories, *planned.states]:
        delta = change.after - change.before
        table.add_row(
            change.label, f"{change.before:,}", f"{change.after:,}", f"{delta:+,}" if delta else ""
        )
    stdout.print(table)
    sets = Table(title="Hash sets it matches against")
    for column in ("Set", "Kind", "Version", "Revision", "Entries"):
        sets.add_column(column, overflow="fold")
    for s in planned.sets:
        sets.add_row(
            str(s["name"]),
            "known-good" if s["known_good"] else "graded",
            str(s.get("version") or "—"),
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

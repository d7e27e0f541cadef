"""``vigil exhibit``: list a case's exhibits, show one with its runs, edit its details."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from vigil.cases.exhibits import ExhibitInfo, edit_exhibit, get_exhibit, list_exhibits
from vigil.cli.context import AppContext
from vigil.cli.output import line, plain, print_json, stdout, when
from vigil.config import current_user
from vigil.errors import UsageError

pass_app = click.make_pass_decorator(AppContext)


@click.group("exhibit")
def exhibit_group() -> None:
    """The exhibits of a case: what was seized, and every scan of it."""


@exhibit_group.command("list")
@click.option("--case", "case_name", required=True, help="The case.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_cmd(app: AppContext, case_name: str, as_json: bool) -> None:
    """List the exhibits of CASE with the run each one counts."""
    with app.store.connect() as conn:
        found = list_exhibits(conn, case_name)
    if as_json:
        print_json([_as_json(e) for e in found])
        return
    if not found:
        stdout.print(line("Case ", case_name, " has no exhibits yet."))
        return
    table = Table(title=line("Exhibits of case ", case_name))
    for column in ("Exhibit", "Description", "Seized", "Path", "Runs", "Counted run"):
        table.add_column(column, overflow="fold")
    for e in found:
        table.add_row(
            plain(e.reference),
            plain(e.description or "—"),
            plain(_seized(e)),
            plain(e.path),
            str(len(e.runs)),
            str(e.counted_run) if e.counted_run is not None else "—",
        )
    stdout.print(table)


@exhibit_group.command("show")
@click.argument("reference")
@click.option("--case", "case_name", required=True, help="The case.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def show_cmd(app: AppContext, reference: str, case_name: str, as_json: bool) -> None:
    """Show exhibit REFERENCE of CASE and every run of it (superseded ones marked)."""
    with app.store.connect() as conn:
        info = get_exhibit(conn, case_name, reference)
    if as_json:
        print_json(_as_json(info))
        return
    stdout.print(line((f"Exhibit {info.reference}", "bold"), " of case ", info.case))
    for label, value in (
        ("Description", info.description or "—"),
        ("Seized", _seized(info)),
        ("Evidence", f"{info.kind} {info.path}"),
        (
            "SHA-256",
            info.sha256 or ("— (a folder has no single hash)" if info.kind == "folder" else "—"),
        ),
        ("Created", f"{when(info.created_at)} by {info.created_by}"),
    ):
        stdout.print(line(f"  {label}: ", value))
    table = Table(title="Runs")
    # 80 columns: the finish time and full status are in --json.
    for column in ("Run", "Counted", "Started"):
        table.add_column(column, no_wrap=True)
    for column in ("Examiner", "Path"):
        table.add_column(column, overflow="fold")
    for run in info.runs:
        if run.counted:
            counted = "yes"
        elif run.status == "complete":
            counted = "superseded"
        else:
            counted = "unfinished"
        table.add_row(
            str(run.run_id),
            counted,
            when(run.started_at),
            plain(run.examiner),
            plain(run.path),
        )
    stdout.print(table)


@exhibit_group.command("edit")
@click.argument("reference")
@click.option("--case", "case_name", required=True, help="The case.")
@click.option("--reference", "new_reference", metavar="REF", help="A new reference.")
@click.option("--description", help="What the exhibit is ('' clears it).")
@click.option("--seized-at", help="Where it was seized ('' clears it).")
@click.option(
    "--seized-on", "seized_when", metavar="DATE", help="When (ISO 8601 date/time; '' clears it)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the exhibit as JSON afterwards.")
@pass_app
def edit_cmd(
    app: AppContext,
    reference: str,
    case_name: str,
    new_reference: str | None,
    description: str | None,
    seized_at: str | None,
    seized_when: str | None,
    as_json: bool,
) -> None:
    """Change exhibit REFERENCE of CASE; every change goes into the case's audit log."""
    changes: dict[str, str | None] = {
        key: value
        for key, value in (
            ("reference", new_reference),
            ("description", description),
            ("seized_at", seized_at),
            ("seized_when", seized_when),
        )
        if value is not None
    }
    if not changes:
        raise UsageError(
            "give what to change: --reference, --description, --seized-at or --seized-on"
        )
    with app.store.begin() as conn:
        info = edit_exhibit(conn, case_name, reference, changes, current_user())
    if as_json:
        print_json(_as_json(info))
        return
    stdout.print(line(f"Exhibit {info.reference} of case {info.case} updated."))


def _seized(info: ExhibitInfo) -> str:
    parts = [p for p in (info.seized_at, info.seized_when) if p]
    return ", ".join(parts) if parts else "—"


def _as_json(info: ExhibitInfo) -> dict[str, Any]:
    return {**asdict(info), "counted_run": info.counted_run}

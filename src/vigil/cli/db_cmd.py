"""``vigil db``: the store's schema revision, and its explicit upgrade (backup first)."""

from __future__ import annotations

import click

from vigil.cli.context import AppContext
from vigil.cli.output import echo_text, print_json
from vigil.config import database_url
from vigil.errors import UsageError

pass_app = click.make_pass_decorator(AppContext)


@click.group("db")
def db_group() -> None:
    """The database schema: where it stands, and upgrading it after installing a new Vigil."""


@db_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Say the store's schema revision, this Vigil's, and what an upgrade would apply."""
    from vigil.store.engine import UPGRADE_HINT, schema_status

    status = schema_status(app.db_url)
    if as_json:
        print_json(
            {
                "current": status.current,
                "head": status.head,
                "pending": list(status.pending),
                "state": status.state,
            }
        )
        return
    click.echo(echo_text(f"Schema revision: {status.current or '(none: empty database)'}"))
    click.echo(echo_text(f"This Vigil's revision: {status.head}"))
    click.echo(echo_text(f"State: {status.state}"))
    if status.state == "needs upgrade":
        click.echo(echo_text(f"Pending: {', '.join(status.pending)}; {UPGRADE_HINT}"))
    elif status.state == "newer than this Vigil":
        click.echo(echo_text("Downgrades are refused: install the Vigil that made this store."))


@db_group.command("upgrade")
@click.option(
    "--backed-up",
    is_flag=True,
    help="PostgreSQL only: say that you have a pg_dump of the database (Vigil cannot make one).",
)
@pass_app
def upgrade_cmd(app: AppContext, backed_up: bool) -> None:
    """Upgrade the store's schema to this Vigil's, backing a SQLite store up first.

    A PostgreSQL store is upgraded only with --backed-up, after `pg_dump -Fc`.
    """
    from vigil.store.engine import schema_status, sqlite_path, upgrade_store

    url = app.db_url or database_url()
    status = schema_status(url)
    if status.state == "up to date":
        click.echo(echo_text(f"Schema already at {status.head}: nothing to do."))
        return
    if status.state == "needs upgrade" and sqlite_path(url) is None and not backed_up:
        raise UsageError(
            "not upgraded: back the database up first (pg_dump -Fc -f vigil-before-upgrade.dump "
            "DBNAME), then run `vigil db upgrade --backed-up`"
        )
    done = upgrade_store(url)
    if done.backup is not None:
        click.echo(echo_text(f"Backup written: {done.backup}"))
    applied = ", ".join(done.applied) if done.applied else "none"
    click.echo(
        echo_text(
            f"Schema upgraded from {done.before or '(empty)'} to {done.after} (applied: {applied})."
        )
    )

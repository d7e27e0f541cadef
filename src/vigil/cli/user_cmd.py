"""``vigil user``: accounts of the review app (add, list, disable, enable, passwd, assign)."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from vigil.accounts import assignments, users
from vigil.cli.context import AppContext
from vigil.cli.output import line, plain, print_json, print_table, stdout, when
from vigil.config import current_user
from vigil.errors import UsageError

pass_app = click.make_pass_decorator(AppContext)


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for a password: use --password-stdin")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("user")
def user_group() -> None:
    """Manage the people who may log in to the review app."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def add_cmd(app: AppContext, name: str, role: str, password_stdin: bool) -> None:
    """Create user NAME with a role; the password is asked for (or read from stdin)."""
    password = _read_password(password_stdin)
    user = users.add_user(app.store, name, role, password, current_user())
    stdout.print(line(f"Added {user.name} ({user.role})."))


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List accounts with their role, state and assigned cases."""
    people = users.list_users(app.store)
    with app.store.connect() as conn:
        pairs = assignments.assignments(conn)
    cases: dict[str, list[str]] = {}
    for case_name, user_name in pairs:
        cases.setdefault(user_name, []).append(case_name)
    if as_json:
        print_json(
            [
                {
                    "name": u.name,
                    "role": u.role,
                    "disabled": u.disabled,
                    "locked_until": u.locked_until,
                    "created_at": u.created_at,
                    "cases": cases.get(u.name, []),
                }
                for u in people
            ]
        )
        return
    if not people:
        stdout.print(line("No users yet: `vigil user add NAME --role admin` makes the first."))
        return
    table = Table(title="Users")
    for column in ("Name", "Role", "State", "Cases", "Created"):
        table.add_column(column)
    for u in people:
        state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
        shown = "all" if u.role == "admin" else ", ".join(cases.get(u.name, [])) or "—"
        table.add_row(*(plain(c) for c in (u.name, u.role, state, shown, when(u.created_at))))
    print_table(table)


@user_group.command("disable")
@click.argument("name")
@pass_app
def disable_cmd(app: AppContext, name: str) -> None:
    """Stop NAME logging in and end their sessions."""
    users.set_disabled(app.store, name, True, current_user())
    stdout.print(line(f"Disabled {name}."))


@user_group.command("enable")
@click.argument("name")
@pass_app
def enable_cmd(app: AppContext, name: str) -> None:
    """Let a disabled or locked-out NAME log in again."""
    users.set_disabled(app.store, name, False, current_user())
    stdout.print(line(f"Enabled {name}."))


@user_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def passwd_cmd(app: AppContext, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (ends their sessions, clears a lockout)."""
    password = _read_password(password_stdin)
    users.set_password(app.store, name, password, current_user())
    stdout.print(line(f"Password of {name} changed."))


@user_group.command("assign")
@click.argument("name")
@click.argument("case")
@pass_app
def assign_cmd(app: AppContext, name: str, case: str) -> None:
    """Let examiner or reviewer NAME work on CASE."""
    done = assignments.assign(app.store, name, case, current_user())
    stdout.print(line(f"{name} {'assigned to' if done else 'was already on'} {case}."))


@user_group.command("unassign")
@click.argument("name")
@click.argument("case")
@pass_app
def unassign_cmd(app: AppContext, name: str, case: str) -> None:
    """Take CASE away from NAME."""
    done = assignments.unassign(app.store, name, case, current_user())
    stdout.print(line(f"{name} {'taken off' if done else 'was not on'} {case}."))

"""``vigil audit``: show and verify the tamper-evident audit log of a case or of the library."""

from __future__ import annotations

import re

import click
from sqlalchemy import Connection

from vigil.audit import GLOBAL_SCOPE, ChainProblem, case_scope, entries, head, verify
from vigil.cases.case import get_case
from vigil.cli.audit_view import print_chain
from vigil.cli.context import AppContext
from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import echo_text, line, print_json, stdout
from vigil.errors import UsageError

pass_app = click.make_pass_decorator(AppContext)

_HEAD = re.compile(r"(?:(\d+):)?([0-9a-fA-F]{64})")


@click.group("audit")
def audit_group() -> None:
    """Show and verify the audit log (who did what, when; hash-chained)."""


def _scope(conn: Connection, case: str | None, global_: bool) -> tuple[str, str]:
    """The chain to read and how to name it."""
    if global_ == (case is not None):
        raise UsageError("give a CASE or --global (the hash-library chain), not both or neither")
    if case is None:
        return GLOBAL_SCOPE, "the hash library"
    return case_scope(int(get_case(conn, case).id)), f"case {case}"


@audit_group.command("show")
@click.argument("case", required=False)
@click.option("--global", "global_", is_flag=True, help="The hash-library chain instead of a case.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def show_cmd(app: AppContext, case: str | None, global_: bool, as_json: bool) -> None:
    """List every entry of CASE's audit chain (or the library's with --global)."""
    with app.store.connect() as conn:
        scope, name = _scope(conn, case, global_)
        chain = list(entries(conn, scope))
    if as_json:
        print_json([e.as_json() for e in chain])
        return
    print_chain(name, chain)


@audit_group.command("verify")
@click.argument("case", required=False)
@click.option("--global", "global_", is_flag=True, help="The hash-library chain instead of a case.")
@click.option(
    "--head",
    "expected",
    metavar="[SEQ:]HASH",
    help="A head printed earlier (e.g. by a report): prove nothing was cut from the end.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def verify_cmd(
    app: AppContext, case: str | None, global_: bool, expected: str | None, as_json: bool
) -> int:
    """Check CASE's audit chain; exit 4 naming each edited, inserted or deleted entry."""
    seq_wanted, hash_wanted = _parse_head(expected)
    with app.store.connect() as conn:
        scope, name = _scope(conn, case, global_)
        problems = verify(conn, scope, hash_wanted)
        last_seq, last_hash = head(conn, scope)
        if seq_wanted is not None and not problems:
            at_seq = [e for e in entries(conn, scope) if e.seq == seq_wanted]
            if not at_seq or at_seq[0].entry_hash != hash_wanted:
                problems = _mismatch(seq_wanted)
    if as_json:
        print_json(
            {
                "chain": name,
                "intact": not problems,
                "head": {"seq": last_seq, "hash": last_hash},
                "problems": [
                    {"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems
                ],
            }
        )
    elif problems:
        click.echo(echo_text(f"Audit log of {name} FAILED verification:"), err=True)
        for p in problems:
            click.echo(echo_text(f"  entry {p.seq}: {p.kind}: {p.message}"), err=True)
    else:
        stdout.print(
            line(f"Audit log of {name} intact: {last_seq} entries, head seq {last_seq} {last_hash}")
        )
    return ExitCode.TAMPERED if problems else ExitCode.OK


def _parse_head(text: str | None) -> tuple[int | None, str | None]:
    if text is None:
        return None, None
    found = _HEAD.fullmatch(text.strip())
    if found is None:
        raise UsageError(f"--head must be a 64-digit hex hash, optionally SEQ:HASH, not {text!r}")
    return (int(found[1]) if found[1] else None), found[2].lower()


def _mismatch(seq: int) -> list[ChainProblem]:
    message = f"entry {seq} is not the recorded head: the chain was rewritten after it"
    return [ChainProblem(seq, "truncated", message)]

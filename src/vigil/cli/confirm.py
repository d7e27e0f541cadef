"""Asking before a command destroys something: a question at a terminal, ``--yes`` elsewhere."""

from __future__ import annotations

import sys

import click

from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import echo_text
from vigil.errors import UsageError


def confirm_destructive(action: str, loses: str, yes: bool) -> None:
    """Go on only if ``yes`` was given or the person at the terminal agrees to ``action``.

    ``loses`` names what goes with it, shown before the question. Without a
    terminal there is nobody to ask, and going ahead silently is how a script
    removes the wrong thing: refuse (usage error) unless ``--yes`` was given.
    Answering no ends the command with exit 1, nothing changed.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"will not {action} without --yes (stdin is not a terminal): nothing changed"
        )
    click.echo(echo_text(f"This will {action}: {loses}."), err=True)
    if not click.confirm(echo_text(f"{action[:1].upper()}{action[1:]}?"), err=True):
        click.echo("vigil: nothing changed", err=True)
        raise click.exceptions.Exit(ExitCode.FAILURE)

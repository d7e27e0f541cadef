"""The ``vigil`` command: the only place that turns exceptions into exit codes."""

from __future__ import annotations

import sys

import click

from vigil import __version__
from vigil.cli.audit_cmd import audit_group
from vigil.cli.case_cmd import case_group
from vigil.cli.context import AppContext
from vigil.cli.exhibit_cmd import exhibit_group
from vigil.cli.exit_codes import ExitCode
from vigil.cli.hashset_cmd import hashset
from vigil.cli.links_cmd import links_command
from vigil.cli.lookup_cmd import lookup_command
from vigil.cli.output import echo_text
from vigil.cli.report_cmd import report_command
from vigil.cli.rules_cmd import rules_group
from vigil.cli.scan_cmd import scan_command
from vigil.cli.serve_cmd import serve_command
from vigil.cli.trends_cmd import trends_command
from vigil.cli.user_cmd import user_group
from vigil.errors import ImportFormatError, UsageError, VigilError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vigil")
@click.option(
    "--db",
    "db_url",
    envvar="VIGIL_DATABASE_URL",
    metavar="URL",
    help="Database URL (default: SQLite vigil.db under $VIGIL_HOME).",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Vigil: triage seized media against authority hash sets.

    Exit codes: 0 ok, 1 failure, 2 usage or bad input, 3 findings, 4 audit log tampered,
    130 interrupted.
    """
    ctx.obj = AppContext(db_url)
    ctx.call_on_close(ctx.obj.close)


cli.add_command(hashset)
cli.add_command(lookup_command)
cli.add_command(scan_command)
cli.add_command(case_group)
cli.add_command(exhibit_group)
cli.add_command(report_command)
cli.add_command(audit_group)
cli.add_command(serve_command)
cli.add_command(user_group)
cli.add_command(rules_group)
cli.add_command(trends_command)
case_group.add_command(links_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (also used as the process status)."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI, mapping every outcome to an :class:`ExitCode`."""
    try:
        result = cli.main(args=argv, prog_name="vigil", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        click.echo(echo_text(f"vigil: interrupted{_interrupt_hint(exc)}"), err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (UsageError, ImportFormatError) as exc:
        click.echo(echo_text(f"vigil: error: {exc}"), err=True)
        return ExitCode.USAGE
    except VigilError as exc:
        click.echo(echo_text(f"vigil: error: {exc}"), err=True)
        return ExitCode.FAILURE
    except BrokenPipeError:
        # `vigil … | head` closed the pipe: not an error worth a traceback.
        return ExitCode.OK
    except OSError as exc:
        # A full disk or a vanished file outside any evidence read: say what and where.
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(echo_text(f"vigil: error: {exc.strerror or exc}{where}"), err=True)
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK


def _interrupt_hint(exc: BaseException) -> str:
    """What a command said to do next when it was stopped (e.g. the scan's resume command)."""
    # Click turns a KeyboardInterrupt into Abort; the command's own words ride on the cause.
    cause = exc.__cause__ if isinstance(exc, click.exceptions.Abort) else exc
    said = str(cause) if isinstance(cause, KeyboardInterrupt) else ""
    return f": {said}" if said else ""

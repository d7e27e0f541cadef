"""The ``vigil`` command: the only place that turns exceptions into exit codes."""

from __future__ import annotations

import importlib
import sys

import click

from vigil import __version__
from vigil.cli.context import AppContext
from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import echo_text
from vigil.errors import ImportFormatError, UsageError, VigilError

# Each command's module is imported only when that command runs (or --help lists it), so
# ``vigil --version`` pays for Click alone, not for numpy, Pillow or SQLAlchemy.
_COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("vigil.cli.audit_cmd", "audit_group"),
    "case": ("vigil.cli.case_cmd", "case_group"),
    "check": ("vigil.cli.check_cmd", "check_command"),
    "db": ("vigil.cli.db_cmd", "db_group"),
    "exhibit": ("vigil.cli.exhibit_cmd", "exhibit_group"),
    "hashset": ("vigil.cli.hashset_cmd", "hashset"),
    "lookup": ("vigil.cli.lookup_cmd", "lookup_command"),
    "report": ("vigil.cli.report_cmd", "report_command"),
    "rules": ("vigil.cli.rules_cmd", "rules_group"),
    "scan": ("vigil.cli.scan_cmd", "scan_command"),
    "serve": ("vigil.cli.serve_cmd", "serve_command"),
    "trends": ("vigil.cli.trends_cmd", "trends_command"),
    "user": ("vigil.cli.user_cmd", "user_group"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in _COMMANDS:
            return found
        module_name, attr = _COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attr} is not a Click command")
        self.add_command(command, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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

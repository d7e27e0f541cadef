"""``vigil check``: a time-boxed, read-only device check for offender managers."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from vigil.cli.context import AppContext
from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import line, print_json, stderr
from vigil.errors import UsageError
from vigil.sources.keys import parse_key

pass_app = click.make_pass_decorator(AppContext)


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", "case_name", required=True, help="Case the check is saved as (new).")
@click.option(
    "--minutes",
    type=click.FloatRange(min=0, min_open=True, max=24 * 60),
    default=15.0,
    show_default=True,
    help="Time the check may take, all included; it stops within it.",
)
@click.option("--officer", help="Who checks (default: the login name); kept in the audit log.")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Parallel worker processes.",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="EXHIBIT=passphrase:SECRET",
    help="Password of an encrypted exhibit, by reference or PATH; never stored.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the one-page report here (.html, or .pdf through Chromium).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def check_command(
    app: AppContext,
    paths: tuple[Path, ...],
    case_name: str,
    minutes: float,
    officer: str | None,
    workers: int,
    keys: tuple[str, ...],
    report_path: Path | None,
    as_json: bool,
) -> int:
    """Check PATHs (a mounted drive, a phone extraction, a folder) within --minutes.

    Read-only. Camera rolls, messaging media, downloads and browser caches are
    checked first, then the rest, until the time is spent. The result is one of
    "known indecent material found", "indicators found" or "nothing found in
    what was checked", with exactly what was and was not checked; no picture
    is ever shown. Exit 3 when known material was found. The check is saved as
    CASE: `vigil scan --resume --case CASE` continues it into a full scan.
    """
    from vigil.cases.runs import refuse_inside_evidence
    from vigil.check import CheckOptions, run_check

    if report_path is not None:
        refuse_inside_evidence(
            [os.fsencode(os.path.abspath(p)) for p in paths], report_path, "the report"
        )
        if report_path.suffix.lower() not in (".html", ".htm", ".pdf"):
            raise UsageError("--report must end in .html or .pdf")
    options = CheckOptions(
        case=case_name,
        minutes=minutes,
        officer=officer,
        workers=workers,
        keys=[parse_key(text) for text in keys],
    )
    stderr.print(line(f"Checking for up to {minutes:g} minute(s); the evidence is only read."))
    try:
        result = run_check(app.store, list(paths), options)
    except KeyboardInterrupt as exc:
        command = f"vigil scan --resume --case {shlex.quote(case_name)}"
        raise KeyboardInterrupt(f"what was checked is saved; continue with: {command}") from exc
    if report_path is not None:
        from vigil.check.report import write_check_report

        write_check_report(result, report_path)
    if as_json:
        from dataclasses import asdict

        print_json({**asdict(result), "headline": result.headline})
    else:
        from vigil.cli.check_view import print_check

        print_check(result)
        if report_path is not None:
            stderr.print(line("Report written to ", (str(report_path), "bold")))
    return ExitCode.FINDINGS if result.verdict == "known" else ExitCode.OK

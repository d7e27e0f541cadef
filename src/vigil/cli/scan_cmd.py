"""``vigil scan``: turn seized media into a case."""

from __future__ import annotations

import os
import shlex
from dataclasses import asdict
from pathlib import Path

import click
from click.core import ParameterSource
from sqlalchemy.engine import make_url

from vigil.cases.case import get_case
from vigil.cases.counting import case_summary
from vigil.cases.exhibits import ExhibitRequest
from vigil.cases.runs import unfinished_run
from vigil.cli.context import AppContext
from vigil.cli.findings_view import print_findings
from vigil.cli.output import line, print_json, stderr
from vigil.cli.progress import ScanProgress
from vigil.cli.summary_view import print_summary
from vigil.errors import NotFoundError, UsageError
from vigil.hashing.vpdq import TIME_BUDGET_S as VIDEO_TIMEOUT_S
from vigil.indicators.findings import case_findings
from vigil.matching.video import DEFAULT_SHARE
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.scan.writer import committed_task_count
from vigil.sources.keys import ExhibitKey, parse_key
from vigil.sources.limits import ITEM_TIMEOUT_S, Limits

pass_app = click.make_pass_decorator(AppContext)


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--case", "case_name", required=True, help="Case to scan into (created if new).")
@click.option("--examiner", help="Who runs the scan (default: the login name).")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Parallel worker processes.",
)
@click.option("--resume", is_flag=True, help="Finish the case's interrupted scan.")
@click.option(
    "--exhibit",
    "references",
    multiple=True,
    metavar="REF",
    help="Exhibit reference, e.g. JS/1 (once per PATH; default: the next free 'Exhibit N').",
)
@click.option("--description", help="What the exhibit is (one PATH).")
@click.option("--seized-at", help="Where the exhibit was seized.")
@click.option(
    "--seized-on", "seized_when", metavar="DATE", help="When it was seized (ISO 8601 date/time)."
)
@click.option(
    "--rescan",
    is_flag=True,
    help="Scan evidence that already is an exhibit again; the new run replaces the old in counts.",
)
@click.option("--scheme", default="uk", show_default=True, help="Category scheme of a new case.")
@click.option(
    "--pdq-threshold",
    type=click.IntRange(0, 128),
    default=31,
    show_default=True,
    help="PDQ match distance in bits.",
)
@click.option("--full-decode", is_flag=True, help="Decode images at full size (slower).")
@click.option(
    "--max-depth",
    type=int,
    default=Limits.max_depth,
    show_default=True,
    help="Archive nesting limit.",
)
@click.option(
    "--max-entries",
    type=int,
    default=Limits.max_entries,
    show_default=True,
    help="Entries listed per archive.",
)
@click.option(
    "--max-ratio",
    type=float,
    default=Limits.max_ratio,
    show_default=True,
    help="Largest expanded/compressed ratio of an archive member.",
)
@click.option(
    "--max-expanded",
    "max_expanded_bytes",
    type=int,
    default=Limits.max_expanded_bytes,
    show_default=True,
    help="Bytes expanded from one top-level file, all levels together.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Check E01 media against the stored MD5/SHA-1; hash split raw images' joined media.",
)
@click.option(
    "--item-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=ITEM_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="Wall-clock budget of one item (plus 1 s per 32 MiB of its size); "
    "past it the item is recorded as a limit and the scan goes on.",
)
@click.option(
    "--video-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=VIDEO_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="Wall-clock budget for hashing one video's frames (within its item's budget); "
    "past it the video is recorded as a limit with the frames hashed so far.",
)
@click.option(
    "--video-share",
    type=click.FloatRange(min=0, max=100, min_open=True),
    default=DEFAULT_SHARE,
    show_default=True,
    metavar="PERCENT",
    help="vPDQ rule: share of a video's frames, and of a listed video's, that must match.",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="EXHIBIT=KIND:SECRET",
    help="Key of an encrypted exhibit, by reference or PATH: passphrase:TEXT, "
    "recovery-password:DIGITS (BitLocker, FileVault) or keyfile:PATH (.BEK, .wipekey, LUKS "
    "key file); for adb backups, LUKS1, BitLocker and FileVault 2 volumes. Never stored: "
    "the audit log records its SHA-256 only.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def scan_command(
    app: AppContext,
    paths: tuple[Path, ...],
    case_name: str,
    examiner: str | None,
    workers: int,
    resume: bool,
    references: tuple[str, ...],
    description: str | None,
    seized_at: str | None,
    seized_when: str | None,
    rescan: bool,
    scheme: str,
    pdq_threshold: int,
    full_decode: bool,
    max_depth: int,
    max_entries: int,
    max_ratio: float,
    max_expanded_bytes: int,
    verify: bool,
    item_timeout: float,
    video_timeout: float,
    video_share: float,
    keys: tuple[str, ...],
    as_json: bool,
) -> int:
    """Scan PATHs (folders, files, archives, disk images) into CASE: hash, match, summarise.

    Evidence is only ever read. Each PATH is an exhibit of the case; evidence
    that already is one is refused unless --rescan is given. Interrupted?
    `vigil scan --resume --case CASE` finishes the scan with exactly the result
    of an uninterrupted one.
    """
    if resume and paths:
        raise UsageError("--resume takes no PATH: it re-reads the interrupted scan's sources")
    told = references or description or seized_at or seized_when or rescan
    if resume and told:
        raise UsageError(
            "--resume continues the unfinished run of its exhibits: it takes no --exhibit, "
            "--description, --seized-at, --seized-on or --rescan"
        )
    if not resume and not paths:
        raise UsageError("give at least one PATH to scan (or --resume)")
    limits = Limits(
        max_depth=max_depth,
        max_entries=max_entries,
        max_ratio=max_ratio,
        max_expanded_bytes=max_expanded_bytes,
    )
    options = ScanOptions(
        case=case_name,
        examiner=examiner,
        workers=workers,
        resume=resume,
        limits=limits,
        fast_decode=not full_decode,
        pdq_threshold=pdq_threshold,
        scheme=scheme,
        verify=verify,
        item_timeout=item_timeout,
        video_timeout=video_timeout,
        video_share=video_share,
        keys=_parse_keys(keys),
        exhibits=ExhibitRequest(
            references=references,
            description=description,
            seized_at=seized_at,
            seized_when=seized_when,
            rescan=rescan,
        ),
    )
    try:
        with ScanProgress("Scanning") as progress:
            run_scan(app.store, list(paths), options, progress)
    except KeyboardInterrupt as exc:
        # main() prints "vigil: interrupted: <this>" and exits 130.
        raise KeyboardInterrupt(_resume_hint(app, case_name)) from exc
    summary = case_summary(app.store, case_name)
    found = case_findings(app.store, case_name)
    if as_json:
        print_json({**asdict(summary), "findings": found})
    else:
        print_summary(summary)
        print_findings(found)
        stderr.print(
            line(
                "Case ",
                (case_name, "bold"),
                f" saved; `vigil case show {case_name}` reprints this.",
            )
        )
    return 0


def _parse_keys(keys: tuple[str, ...]) -> list[ExhibitKey]:
    return [parse_key(text) for text in keys]  # KeyOptionError is a UsageError: one line, exit 2


def _resume_hint(app: AppContext, case_name: str) -> str:
    """After Ctrl-C: how much is saved and the exact command that finishes the scan."""
    with app.store.connect() as conn:
        try:
            pending = unfinished_run(conn, int(get_case(conn, case_name).id))
        except NotFoundError:
            pending = None
        saved = committed_task_count(conn, int(pending.id)) if pending is not None else 0
    if pending is None:
        return "no scan run was saved yet: run the same `vigil scan` again"
    command = f"vigil{_db_option(app)} scan --resume --case {shlex.quote(case_name)}"
    return f"{saved:,} top-level entries saved; finish the scan with: {command}"


def _db_option(app: AppContext) -> str:
    """`` --db URL`` when the URL was given on the command line (password hidden)."""
    root = click.get_current_context().find_root()
    if app.db_url is None or root.get_parameter_source("db_url") != ParameterSource.COMMANDLINE:
        return ""
    url = make_url(app.db_url).render_as_string(hide_password=True)
    return f" --db {shlex.quote(url)}"

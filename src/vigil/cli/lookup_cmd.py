"""``vigil lookup``: which hash sets hold these hashes."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click
from rich.table import Table

from vigil.cli.context import AppContext
from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import line, plain, print_json, print_table, stdout
from vigil.errors import UsageError
from vigil.hashsets.lookup import PDQ_THRESHOLD, lookup

MAX_LINE = 256
"""A hash list's line is short: a longer one is refused as not a hash."""

pass_app = click.make_pass_decorator(AppContext)


@click.command("lookup")
@click.argument("hashes", nargs=-1)
@click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read hashes from FILE, one a line (blank lines and # comments skipped); repeatable.",
)
@click.option(
    "--video",
    "videos",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Look up a video FILE: its hashes, listed stills in its frames, listed videos "
    "(vPDQ); repeatable.",
)
@click.option(
    "--video-share",
    type=click.FloatRange(min=0, max=100, min_open=True),
    default=80.0,
    show_default=True,
    metavar="PERCENT",
    help="vPDQ rule for --video: share of frames that must match, on both sides.",
)
@click.option(
    "--threshold",
    type=click.IntRange(0, 128),
    default=PDQ_THRESHOLD,
    show_default=True,
    help="PDQ match distance in bits.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def lookup_command(
    app: AppContext,
    hashes: tuple[str, ...],
    files: tuple[Path, ...],
    videos: tuple[Path, ...],
    video_share: float,
    threshold: int,
    as_json: bool,
) -> int:
    """Say which sets hold each HASH (MD5, SHA-1, SHA-256 exact; PDQ within --threshold).

    A 64-digit hash is tried as SHA-256 and as PDQ; prefix it (sha256:…, pdq:…) to pick one.
    A HASH of "-" reads hashes from stdin, one a line. All are answered as one batch.
    --video FILE hashes a video as a scan does and looks up its bytes and its frames.
    Exits 3 when any hash is found, 0 when none is.
    """
    results = []
    if hashes or files or not videos:
        results = lookup(app.store, gather_queries(hashes, files), threshold)
    if videos:
        from vigil.hashsets.lookup import lookup_video  # decodes video: loaded only when asked

        results.extend(lookup_video(app.store, v, threshold, video_share) for v in videos)
    if as_json:
        print_json(results)
    else:
        for result in results:
            if not result.hits:
                stdout.print(line(f"{result.query}: ", ("not in any set", "dim")))
                continue
            title = plain(f"{result.query} ({'/'.join(result.kinds)})")
            table = Table(title=title, title_justify="left")
            for column in ("Set", "Kind", "Algorithm", "Distance", "At", "Category", "Name"):
                table.add_column(column)
            for hit in result.hits:
                cells = (
                    hit.set_name,
                    "known-good" if hit.known_good else "graded",
                    hit.algorithm.upper(),
                    str(hit.distance),
                    "—" if hit.frame_s is None else f"{hit.frame_s:.1f} s",
                    hit.category_label,
                    hit.name or "—",
                )
                table.add_row(*(plain(c) for c in cells))
            print_table(table)
    found = any(r.hits for r in results)
    return ExitCode.FINDINGS if found else ExitCode.OK


def gather_queries(hashes: tuple[str, ...], files: tuple[Path, ...]) -> list[str]:
    """The hashes from the arguments, ``-`` (stdin) and each ``--file``, in that order."""
    queries: list[str] = []
    for value in hashes:
        if value == "-":
            queries.extend(_hash_lines(sys.stdin, "stdin"))
        else:
            queries.append(value)
    for path in files:
        try:
            with path.open(encoding="utf-8", errors="replace", newline=None) as handle:
                queries.extend(_hash_lines(handle, str(path)))
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not queries:
        raise UsageError("no hashes given: name them, give --file FILE, or '-' to read stdin")
    return queries


def _hash_lines(lines: Iterable[str], where: str) -> list[str]:
    out = []
    for number, text in enumerate(lines, start=1):
        if len(text) > MAX_LINE:
            raise UsageError(f"{where} line {number}: too long to be a hash")
        value = text.strip()
        if value and not value.startswith("#"):
            out.append(value)
    return out

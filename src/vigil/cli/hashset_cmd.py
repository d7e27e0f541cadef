"""``vigil hashset``: import, list, show, remove and export hash sets."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from vigil.cli.confirm import confirm_destructive
from vigil.cli.context import AppContext
from vigil.cli.output import line, plain, print_json, print_table, stderr, stdout, when
from vigil.config import current_user
from vigil.errors import ExportError
from vigil.hashsets import library
from vigil.hashsets.formats import FORMATS
from vigil.hashsets.removal import removal_impact
from vigil.hashsets.schemes import load_scheme

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def hashset() -> None:
    """Keep the hash sets that scans are matched against."""


@hashset.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", required=True, help="Name of the set in the library.")
@click.option(
    "--scheme",
    default="uk",
    show_default=True,
    help="Category scheme: uk, us, or a scheme YAML file.",
)
@click.option("--known-good", is_flag=True, help="A known-good set: hits leave review.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Skip detection and read the file as this format.",
)
@click.option(
    "--category",
    metavar="CATEGORY",
    help="Category of the entries the file gives none (a vPDQ file carries none): "
    "a key, code or label of the scheme.",
)
@click.option(
    "--skip-bad-lines",
    is_flag=True,
    help="md5sum-style, plain and iLook lists: skip (and name) lines that are no hash.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def import_cmd(
    app: AppContext,
    file: Path,
    name: str,
    scheme: str,
    known_good: bool,
    fmt: str | None,
    category: str | None,
    skip_bad_lines: bool,
    as_json: bool,
) -> None:
    """Import FILE (VICS, NSRL RDSv3, hashdeep, iLook, CSV, md5sum-style or plain list, vPDQ)."""
    with stderr.status(plain(f"Importing {file.name}…")):
        result = library.import_file(
            app.store,
            file,
            name,
            scheme=scheme,
            known_good=known_good,
            format=fmt,
            skip_bad_lines=skip_bad_lines,
            category=category,
        )
    if as_json:
        print_json(result)
        return
    for reason in result.skipped_lines:
        stderr.print(line("Skipped ", reason))
    verb = {"imported": "Imported", "replaced": "Replaced", "unchanged": "Unchanged:"}[
        result.status
    ]
    suffix = " (same file as the current version)" if result.status == "unchanged" else ""
    stdout.print(
        line(
            f"{verb} ",
            (result.name, "bold"),
            f": {result.entry_count:,} entries from {result.format}{suffix}",
        )
    )


@hashset.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List the sets in the library."""
    sets = library.list_sets(app.store)
    if as_json:
        print_json(sets)
        return
    if not sets:
        stdout.print(
            line("No hash sets yet: import one with `vigil hashset import FILE --name NAME`.")
        )
        return
    table = Table(title="Hash library")
    for column in ("Name", "Kind", "Scheme", "Entries", "Version", "Format", "Imported", "By"):
        table.add_column(column, justify="right" if column == "Entries" else "left")
    for s in sets:
        cells = (
            s.name,
            "known-good" if s.known_good else "graded",
            s.scheme,
            f"{s.entry_count:,}",
            s.version or "—",
            s.format,
            when(s.imported_at),
            s.imported_by,
        )
        table.add_row(*(plain(c) for c in cells))
    print_table(table)


@hashset.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def show_cmd(app: AppContext, name: str, as_json: bool) -> None:
    """Show a set: counts by category and hash kind, and its import history."""
    detail = library.show_set(app.store, name)
    if as_json:
        print_json(detail)
        return
    s = detail.summary
    scheme = load_scheme(s.scheme)
    stdout.print(
        line(
            (s.name, "bold"),
            f" — {'known-good' if s.known_good else 'graded'} set, "
            f"scheme {scheme.title}, {s.entry_count:,} entries",
        )
    )
    hashes = ", ".join(f"{k.upper()} {v:,}" for k, v in detail.hash_counts.items())
    stdout.print(line(f"Hashes: {hashes}"))
    cats = Table(title="By category")
    cats.add_column("Category")
    cats.add_column("Entries", justify="right")
    for key, count in sorted(detail.by_category.items(), key=lambda kv: -kv[1]):
        cats.add_row(plain(scheme.label(key or None)), plain(f"{count:,}"))
    print_table(cats)
    history = Table(title="Import history")
    for column in ("", "Version", "Date", "Format", "Entries", "Imported", "By", "SHA-256"):
        history.add_column(column)
    for v in detail.history:
        cells = (
            "*" if v.current else "",
            v.version or "—",
            v.source_date or "—",
            v.format,
            f"{v.entry_count:,}",
            when(v.imported_at),
            v.imported_by,
            v.source_sha256[:16] + "…",
        )
        history.add_row(*(plain(c) for c in cells))
    print_table(history)


@hashset.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask (required when stdin is not a terminal).")
@pass_app
def remove_cmd(app: AppContext, name: str, yes: bool) -> None:
    """Remove a set, its entries and its history (asks first; --yes in scripts)."""
    impact = removal_impact(app.store, name)
    confirm_destructive(f"remove hash set {name!r}", impact.describe(), yes)
    gone = library.remove_set(app.store, name, user=current_user())
    stdout.print(line(f"Removed {name}: {gone:,} entries"))


@hashset.command("export")
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["vics", "csv", "vpdq"]), default="vics", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="File (default stdout)."
)
@pass_app
def export_cmd(app: AppContext, name: str, fmt: str, output: Path | None) -> None:
    """Export a set as VICS 2.0 JSON or CSV; a video set of one video also as vPDQ text."""
    if output is None:
        count = library.export_set(app.store, name, fmt, sys.stdout.buffer, current_user())
        sys.stdout.flush()
    else:
        # Write beside the target and rename, so a failed export leaves no half file.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                count = library.export_set(app.store, name, fmt, out, current_user())
            partial.replace(output)
        except OSError as exc:
            raise ExportError(f"cannot write {output}: {exc.strerror or exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
    stderr.print(line(f"Exported {count:,} entries of {name} as {fmt}"))

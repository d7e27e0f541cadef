"""``vigil lookup``: which hash sets hold these hashes."""

from __future__ import annotations

import click
from rich.table import Table

from vigil.cli.context import AppContext
from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import line, plain, print_json, print_table, stdout
from vigil.hashsets.lookup import PDQ_THRESHOLD, lookup

pass_app = click.make_pass_decorator(AppContext)


@click.command("lookup")
@click.argument("hashes", nargs=-1, required=True)
@click.option(
    "--threshold",
    type=click.IntRange(0, 128),
    default=PDQ_THRESHOLD,
    show_default=True,
    help="PDQ match distance in bits.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def lookup_command(app: AppContext, hashes: tuple[str, ...], threshold: int, as_json: bool) -> int:
    """Say which sets hold each HASH (MD5, SHA-1, SHA-256 exact; PDQ within --threshold).

    A 64-digit hash is tried as SHA-256 and as PDQ; prefix it (sha256:…, pdq:…) to pick one.
    Exits 3 when any hash is found, 0 when none is.
    """
    results = lookup(app.store, list(hashes), threshold)
    if as_json:
        print_json(results)
    else:
        for result in results:
            if not result.hits:
                stdout.print(line(f"{result.query}: ", ("not in any set", "dim")))
                continue
            title = plain(f"{result.query} ({'/'.join(result.kinds)})")
            table = Table(title=title, title_justify="left")
            for column in ("Set", "Kind", "Algorithm", "Distance", "Category", "Name"):
                table.add_column(column)
            for hit in result.hits:
                cells = (
                    hit.set_name,
                    "known-good" if hit.known_good else "graded",
                    hit.algorithm.upper(),
                    str(hit.distance),
                    hit.category_label,
                    hit.name or "—",
                )
                table.add_row(*(plain(c) for c in cells))
            print_table(table)
    found = any(r.hits for r in results)
    return ExitCode.FINDINGS if found else ExitCode.OK

"""``vigil case links CASE``: the cases sharing media with a case, and its new material."""

from __future__ import annotations

import click
from rich.table import Table

from vigil.cli.context import AppContext
from vigil.cli.output import line, plain, print_json, print_table, stdout

pass_app = click.make_pass_decorator(AppContext)


@click.command("links")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def links_command(app: AppContext, name: str, as_json: bool) -> None:
    """Cases sharing media with case NAME: strong links (media in no set) first.

    Exact = the same MD5; near = PDQ within the threshold. Known = the media is
    in a national or known set (widely circulated, a weak link); new = in no set.
    """
    # Imported here: `vigil case list` loads this module and must stay quick to start.
    from vigil.crosscase.links import links_of

    found = links_of(app.store, name)
    if as_json:
        print_json(found.as_json())
        return
    if not found.links:
        stdout.print(line("No other case shares media with ", (found.case, "bold"), "."))
    else:
        table = Table(title=f"Cases linked to {found.case}")
        for column in (
            "Case",
            "Owners",
            "Link",
            "Exact known",
            "Exact new",
            "Near known",
            "Near new",
        ):
            table.add_column(column)
        for link in found.links:
            cells = (
                link.case,
                ", ".join(link.owners),
                link.strength,
                str(link.exact_known),
                str(link.exact_new),
                str(link.near_known),
                str(link.near_new),
            )
            table.add_row(*(plain(c) for c in cells))
        print_table(table)
    from vigil.crosscase.first_seen import NEW_MATERIAL

    stdout.print(line(f"{NEW_MATERIAL}: ", (f"{len(found.new_material):,}", "bold"), " MD5s"))

"""The terminal table of a case's indicator findings (``vigil case show``)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from vigil.cli.output import stdout
from vigil.indicators.findings import summarise

_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def print_findings(findings: list[dict[str, Any]]) -> None:
    """Print findings, most severe first; a line saying so when there are none."""
    if not findings:
        stdout.print("No indicator findings (concealment, downloading, storage, sharing).")
        return
    table = Table(title=f"Indicator findings ({len(findings)})")
    for column in ("Severity", "Family", "Rule"):
        table.add_column(column, no_wrap=True)
    table.add_column("Where", overflow="fold")
    table.add_column("What", overflow="fold")
    for f in findings:
        style = _STYLE.get(f["severity"], "")
        detail = summarise(f["detail"])
        table.add_row(
            f"[{style}]{f['severity']}[/]" if style else f["severity"],
            f["family"],
            f["rule_id"],
            escape(f["item"] or "—"),
            escape(f["description"]) + (f"\n[dim]{escape(detail)}[/]" if detail else ""),
        )
    stdout.print(table)

"""The terminal table of a case's indicator findings (``vigil case show``)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from vigil.cli.output import stdout
from vigil.indicators.findings import summarise

_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def print_findings(findings: list[dict[str, Any]]) -> None:
    """Print findings, most severe first; a line saying so when there are none."""
    if not findings:
        stdout.print("No indicator findings (concealment, downloading, storage, sharing).")
        return
    # A list, not a table: locators and descriptions are long, and a table
    # squeezed into 80 columns folds them into unreadable slivers. Lines are
    # printed whole (soft wrap) so that grep and copy-paste see full paths.
    stdout.print(f"Indicator findings ({len(findings)})", style="bold")
    for f in findings:
        style = _STYLE.get(f["severity"], "")
        severity = f"{f['severity']:<6}"
        label = f"[{style}]{severity}[/]" if style else severity
        stdout.print(f"  {label} {escape(f['family'])} · {escape(f['rule_id'])}", highlight=False)
        lines = [escape(f["description"]), f"at {escape(f['item'] or '—')}"]
        detail = summarise(f["detail"])
        if detail:
            lines.append(f"[dim]{escape(detail)}[/]")
        for line in lines:
            stdout.print(f"         {line}", highlight=False)

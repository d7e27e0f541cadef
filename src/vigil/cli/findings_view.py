"""The terminal table of a case's indicator findings (``vigil case show``)."""

from __future__ import annotations

from typing import Any

from vigil.cli.output import Piece, line, stdout
from vigil.indicators.findings import summarise

_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def print_findings(findings: list[dict[str, Any]]) -> None:
    """Print findings, most severe first; a line saying so when there are none."""
    if not findings:
        stdout.print(line("No indicator findings (concealment, downloading, storage, sharing)."))
        return
    # A list, not a table: locators and descriptions are long, and a table
    # squeezed into 80 columns folds them into unreadable slivers. Lines are
    # printed whole (soft wrap) so that grep and copy-paste see full paths.
    stdout.print(line((f"Indicator findings ({len(findings)})", "bold")))
    for f in findings:
        severity = (f"{f['severity']:<6}", _STYLE.get(f["severity"], ""))
        stdout.print(line("  ", severity, f" {f['family']} · {f['rule_id']}"))
        lines: list[Piece] = [f["description"], f"at {f['item'] or '—'}"]
        detail = summarise(f["detail"])
        if detail:
            lines.append((detail, "dim"))
        for text in lines:
            stdout.print(line("         ", text))

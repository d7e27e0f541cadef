"""Printing: rich tables for people, JSON for machines, progress on stderr."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout (dataclasses, datetimes and bytes converted)."""
    if is_dataclass(data) and not isinstance(data, type):
        data = asdict(data)
    elif isinstance(data, list):
        data = [asdict(d) if is_dataclass(d) and not isinstance(d, type) else d for d in data]
    json.dump(data, sys.stdout, default=_default, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def when(value: datetime | None) -> str:
    """A timestamp for tables, in UTC, to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "—"


KEEP_WHOLE = 12
"""Words up to this long are never split in a table cell (dates, counts, roles)."""


def print_table(table: Table) -> None:
    """Print a table whose cells fold instead of being cut: no identifier ends in "…".

    A set or case name is what a reader copies into the next command; at 80
    columns rich would shorten it to ``CEOP-nati…``. Folded, it takes more lines
    and stays whole (``--json`` output is never shortened either).
    """
    longest = []
    for column in table.columns:
        column.overflow = "fold"
        cells = [column.header, *column.cells]
        words = [w for cell in cells if isinstance(cell, str) for w in cell.split()]
        longest.append(max(map(len, words), default=1))
    # Short words (a date, a count, "known-good") keep their width where the
    # terminal allows it; only longer ones fold.
    borders = 3 * len(longest) + 1
    for keep in range(KEEP_WHOLE, 0, -1):
        widths = [min(n, keep) for n in longest]
        if sum(widths) + borders <= stdout.width:
            for column, width in zip(table.columns, widths, strict=True):
                column.min_width = max(column.min_width or 0, width)
            break
    stdout.print(table)

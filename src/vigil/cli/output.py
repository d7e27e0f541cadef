"""Printing: rich tables for people, JSON for machines, progress on stderr.

Much of what is printed comes from evidence (names, paths, reasons) or from
people (case and user names). None of it may act on the terminal: values are
printed as rich ``Text`` built by :func:`plain` and :func:`line`, never
pasted into markup, so ``[link=…]`` or ``[conceal]`` in a name is shown as
written, and unprintable characters (escape sequences, bidi overrides) are
shown escaped. The commands give their own styling as ``Text`` styles.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vigil.inert import inert

# No emoji codes either: ":x:" in a file name stays ":x:".
stdout = Console(soft_wrap=True, emoji=False)
stderr = Console(stderr=True, emoji=False)

Piece = object | tuple[object, str]
"""A piece of a printed line: a value shown as is, or ``(value, style)``."""


def plain(value: object, style: str = "") -> Text:
    """``value`` as terminal text: literal (no markup), unprintable characters escaped."""
    return Text(inert(str(value), None), style=style)


def line(*pieces: Piece) -> Text:
    """One line from pieces, each shown literally; a ``(value, style)`` pair is styled."""
    out = Text()
    for piece in pieces:
        value, style = piece if isinstance(piece, tuple) else (piece, "")
        out.append_text(plain(value, style))
    return out


def echo_text(value: object) -> str:
    """``value`` for ``click.echo``: one line, unprintable characters escaped."""
    return inert(str(value), None)


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
    text = json.dumps(data, default=_default, indent=2, ensure_ascii=False)
    sys.stdout.write(_terminal_safe_json(text))
    sys.stdout.write("\n")


def _terminal_safe_json(text: str) -> str:
    """JSON whose unprintable characters are ``\\uXXXX`` escapes: same value, inert on a terminal.

    Outside strings JSON has only printable characters and the newlines of the
    indentation, so every other unprintable character is inside a string, where
    an escape means the very same character to a JSON reader.
    """
    if text.isprintable():
        return text
    return "".join(c if c == "\n" or c.isprintable() else _json_escape(c) for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


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
        texts = [c.plain if isinstance(c, Text) else c for c in cells]
        words = [w for text in texts if isinstance(text, str) for w in text.split()]
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

"""The terminal listing of an audit chain: readable at 80 columns, nothing cut.

A table squeezed into 80 columns folds a scan's parameters into a column five
characters wide. Instead each entry is a heading line (seq, time, who, action)
followed by its fields, one per line, wrapped to the terminal with an indent.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from vigil.audit.log import AuditEntry
from vigil.cli.output import stdout, when

INDENT = 6
"""Fields start under the action, clear of the sequence number."""


def print_chain(name: str, chain: list[AuditEntry]) -> None:
    """Print every entry of a chain, oldest first; a line saying so when it is empty."""
    width = max(stdout.width, 40)
    if not chain:
        title = f"The audit log of {name} is empty."
    else:
        title = f"Audit log of {name}: {len(chain)} entr{'ies' if len(chain) != 1 else 'y'}"
    for line in _wrap(title, width, "", "  "):
        _emit(line)
    for entry in chain:
        for line in entry_lines(entry, width):
            _emit(line)


def entry_lines(entry: AuditEntry, width: int) -> list[str]:
    """The lines of one entry, none longer than ``width`` (long words are broken, not cut)."""
    head = f"{entry.seq:>4}  {when(entry.at)}  {entry.actor}  {entry.action}"
    fields: list[tuple[str, str]] = []
    if entry.target:
        fields.append(("target", entry.target))
    fields.extend((key, _text(value)) for key, value in (entry.detail or {}).items())
    fields.append(("hash", entry.entry_hash))
    lines = _wrap(head, width, "", " " * INDENT)
    for key, value in fields:
        lines.extend(_wrap(f"{key}: {value}", width, " " * INDENT, " " * (INDENT + 2)))
    return lines


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [first.rstrip()]


def _emit(line: str) -> None:
    # Details hold paths and names: never read them as rich markup.
    stdout.print(line, markup=False, highlight=False)

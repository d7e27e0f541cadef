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
from vigil.cli.output import echo_text, plain, stdout, when

INDENT = 6
"""Fields start under the action, clear of the sequence number."""


def print_chain(name: str, chain: list[AuditEntry]) -> None:
    """Print every entry of a chain, oldest first; a line saying so when it is empty."""
    width = max(stdout.width, 40)
    shown = echo_text(name)
    if not chain:
        title = f"The audit log of {shown} is empty."
    else:
        title = f"Audit log of {shown}: {len(chain)} entr{'ies' if len(chain) != 1 else 'y'}"
    for line in _wrap(title, width, "", "  "):
        _emit(line)
    for entry in chain:
        for number, line in enumerate(entry_lines(entry, width)):
            _emit(line, "bold" if number == 0 else "")  # the heading: seq, time, who, action


def entry_lines(entry: AuditEntry, width: int) -> list[str]:
    """The lines of one entry, none longer than ``width`` (long words are broken, not cut)."""
    head = f"{entry.seq:>4}  {when(entry.at)}  {echo_text(entry.actor)}  {entry.action}"
    fields: list[tuple[str, str]] = []
    if entry.target:
        fields.append(("target", echo_text(entry.target)))
    fields.extend((echo_text(key), _text(value)) for key, value in (entry.detail or {}).items())
    fields.append(("hash", entry.entry_hash))
    lines = _wrap(head, width, "", " " * INDENT)
    for key, value in fields:
        lines.extend(_wrap(f"{key}: {value}", width, " " * INDENT, " " * (INDENT + 2)))
    return lines


def _text(value: Any) -> str:
    """A detail value as one inert line (nested values as JSON)."""
    if isinstance(value, dict | list):
        return echo_text(json.dumps(value, ensure_ascii=False, default=str))
    return echo_text(value)


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [first.rstrip()]


def _emit(line: str, style: str = "") -> None:
    # Details hold paths and names: printed as Text, never read as rich markup.
    stdout.print(plain(line, style), highlight=False)

"""Helpers of the frozen-results tests: the case name and a relabelled copy of the demo set."""

from __future__ import annotations

from pathlib import Path

from vigil.demo.evidence import DemoLayout
from vigil.hashsets.formats import read_hashset
from vigil.hashsets.formats.vics_writer import write_vics
from vigil.hashsets.schemes import load_scheme

CASE = "OP-FROZEN"


def relabelled(demo: DemoLayout, out: Path, category: str, scheme_name: str = "uk") -> Path:
    """The demo set with every entry's category changed to ``category`` (a key of the scheme)."""
    parsed = read_hashset(demo.vics, load_scheme("uk"))
    entries = []
    for entry in parsed.entries:
        entry.category = category
        entries.append(entry)
    with out.open("w", encoding="utf-8") as handle:
        write_vics(entries, handle, load_scheme(scheme_name))
    return out

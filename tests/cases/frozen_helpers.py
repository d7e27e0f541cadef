"""Helpers of the frozen-results tests: the case name and a relabelled copy of the demo set."""

from __future__ import annotations

from pathlib import Path

from vigil.demo.evidence import DemoLayout
from vigil.hashsets.formats import read_hashset
from vigil.hashsets.formats.vics_writer import write_vics
from vigil.hashsets.schemes import load_scheme

CASE = "OP-FROZEN"


def relabelled(demo: DemoLayout, out: Path, category: str) -> Path:
    """The demo set with every entry's category changed to ``category`` (a scheme key)."""
    scheme = load_scheme("uk")
    parsed = read_hashset(demo.vics, scheme)
    entries = []
    for entry in parsed.entries:
        entry.category = category
        entries.append(entry)
    with out.open("w", encoding="utf-8") as handle:
        write_vics(entries, handle, scheme)
    return out

"""The inventory as CSV: one row per item, for spreadsheets and case-management systems.

Names, paths and reasons come from seized media, so a cell that a spreadsheet
would run as a formula is neutralised (``vigil.csv_safety``, as in the CSV report).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from vigil.cases.inventory_model import InventoryHeader, InventoryItem, TextSink, iso_utc
from vigil.csv_safety import safe_cell

COLUMNS = (
    "case", "exhibit", "run", "item_id", "locator", "path", "name", "kind", "location", "depth",
    "family", "file_type", "size_bytes", "modified_utc", "md5", "sha1", "sha256", "status",
    "reason", "review", "inode", "byte_runs",
)  # fmt: skip
"""Header row; ``byte_runs`` is ``image_offset+length`` pairs separated by spaces."""


def write_csv(header: InventoryHeader, items: Iterable[InventoryItem], out: TextSink) -> int:
    """Write one header row and one row per item to ``out``; returns the number of items."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for i in items:
        runs = " ".join(f"{r.img_offset}+{r.length}" for r in i.byte_runs)
        values = [
            header.case, i.exhibit, i.run_id, i.id, i.locator, i.path, i.name, i.kind, i.location,
            i.depth, i.family, i.file_type, i.size, iso_utc(i.mtime), i.md5, i.sha1, i.sha256,
            i.status, i.reason, i.review, i.inode, runs,
        ]  # fmt: skip
        writer.writerow([safe_cell(v) for v in values])
        count += 1
    return count

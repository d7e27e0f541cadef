"""The inventory as JSON lines: one JSON object per item per line, for scripts and tools.

Each line stands alone (``jq -c``, ``grep``, a database loader); the fields
are those of :class:`~vigil.cases.inventory_model.InventoryItem`, times in
ISO 8601 UTC, hashes in lowercase hex, ``null`` where a value is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from vigil.cases.inventory_model import InventoryHeader, InventoryItem, TextSink, iso_utc


def write_jsonl(header: InventoryHeader, items: Iterable[InventoryItem], out: TextSink) -> int:
    """Write one line per item to ``out``; returns the number of items."""
    count = 0
    for i in items:
        out.write(json.dumps(item_json(header, i), ensure_ascii=False, allow_nan=False) + "\n")
        count += 1
    return count


def item_json(header: InventoryHeader, i: InventoryItem) -> dict[str, Any]:
    """One item as a JSON-ready dict (the line ``write_jsonl`` writes for it)."""
    return {
        "case": header.case,
        "exhibit": i.exhibit,
        "run": i.run_id,
        "item_id": i.id,
        "locator": i.locator,
        "locator_key": i.locator_key,
        "path": i.path,
        "on_host": i.on_host,
        "name": i.name,
        "kind": i.kind,
        "location": i.location,
        "depth": i.depth,
        "family": i.family,
        "file_type": i.file_type,
        "size": i.size,
        "mtime": iso_utc(i.mtime),
        "md5": i.md5,
        "sha1": i.sha1,
        "sha256": i.sha256,
        "status": i.status,
        "reason": i.reason,
        "review": i.review,
        "inode": i.inode,
        "byte_runs": [
            {"file_offset": r.file_offset, "img_offset": r.img_offset, "len": r.length}
            for r in i.byte_runs
        ],
    }

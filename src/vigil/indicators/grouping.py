"""From rule hits to findings: one per item, or grouped by folder, container or run.

A grouped finding rests on the folder or container first (its locator leads
the list), then on each matched item; it carries the count of all of them and
the details of the first few.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from vigil.indicators.model import Finding, ItemView, Rule
from vigil.sources.locator import Locator
from vigil.store.schema import item

MAX_LOCATORS = 1000
"""Locators kept on one grouped finding (the count of all is in its detail)."""
MAX_GROUP_DETAILS = 50
"""Per-item details kept on one grouped finding."""

Hit = tuple[Rule, ItemView, dict[str, Any]]
"""A rule, the item it matched, and the detail of the match."""


def to_findings(conn: Connection, run_id: int, hits: list[Hit]) -> list[Finding]:
    """The findings of a run's hits, most severe first."""
    out: list[Finding] = []
    groups: dict[tuple[str, str], list[Hit]] = defaultdict(list)
    for rule, view, detail in hits:
        if rule.scope == "item":
            extra = detail.pop("_locators", [])
            locators = [view.key, *extra][:MAX_LOCATORS]
            out.append(_finding(rule, view.id, locators, detail))
        else:
            group = _group_key(view.key, rule.scope) if rule.scope != "run" else ""
            groups[(rule.id, group)].append((rule, view, detail))
    group_ids = _ids_of(conn, run_id, [g for (_, g) in groups if g])
    for (_, group), members in groups.items():
        rule = members[0][0]
        keys = [view.key for _, view, _ in members]
        details = [{"item": view.display, **d} for _, view, d in members if d]
        summary: dict[str, Any] = {"items": len(members)}
        if group:
            summary["container"] = _display(group)
        if details:
            summary["matches"] = details[:MAX_GROUP_DETAILS]
        locators = ([group] if group else []) + keys
        out.append(_finding(rule, group_ids.get(group), locators[:MAX_LOCATORS], summary))
    order = {"high": 0, "medium": 1, "low": 2, "info": 3}
    out.sort(key=lambda f: (order.get(f.severity, 9), f.family, f.rule_id, f.locators[:1]))
    return out


def _group_key(key: str, scope: str) -> str:
    """Where a 'folder' or 'container' rule groups an item: its folder, or its container.

    The folder is taken inside the innermost layer (a folder of the exhibit, of a
    file system in a disk image, of an archive); an item at the top of an archive
    has the archive itself. The container is the layer the item sits in.
    """
    layers = json.loads(key)
    leaf = layers[-1]
    path = str(leaf.get("path", "")).rstrip("/")
    if scope == "folder" and "/" in path:
        folder = path.rsplit("/", 1)[0] or "/"
        parent = [*layers[:-1], {"type": leaf.get("type"), "path": folder}]
    elif len(layers) > 1:
        parent = layers[:-1]
    else:
        parent = [{"type": leaf.get("type"), "path": "/"}]
    return json.dumps(parent, sort_keys=True, separators=(",", ":"))


def _finding(
    rule: Rule, item_id: int | None, locators: list[str], detail: dict[str, Any]
) -> Finding:
    detail.pop("_locators", None)
    return Finding(rule.id, rule.family, rule.severity, rule.description, item_id, locators, detail)


def _display(key: str) -> str:
    return Locator.from_json(key).display()


def _ids_of(conn: Connection, run_id: int, keys: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(item.c.locator, item.c.id).where(
            item.c.run_id == run_id, item.c.locator.in_(chunk)
        )
        out.update({str(k): int(i) for k, i in conn.execute(query)})
    return out

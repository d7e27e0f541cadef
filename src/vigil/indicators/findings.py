"""Reading a case's indicator findings back from the store, for ``case show`` and reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from vigil.cases.case import get_case
from vigil.inert import inert
from vigil.sources.locator import Locator
from vigil.store.engine import Store
from vigil.store.schema import finding, item, scan_run

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def case_findings(store: Store, name: str) -> list[dict[str, Any]]:
    """Every finding of every run of the named case, most severe first."""
    with store.connect() as conn:
        case_id = get_case(conn, name).id
        query = (
            select(finding, item.c.display.label("item_display"))
            .join(scan_run, scan_run.c.id == finding.c.run_id)
            .outerjoin(item, item.c.id == finding.c.item_id)
            .where(scan_run.c.case_id == case_id)
            .order_by(finding.c.run_id, finding.c.id)
        )
        rows = conn.execute(query).all()
    out = [
        {
            "run_id": r.run_id,
            "rule_id": r.rule_id,
            "family": r.family,
            "severity": r.severity,
            "description": r.description,
            "item": r.item_display or _first(r.locators),
            "locators": list(r.locators or []),
            "detail": r.detail or {},
        }
        for r in rows
    ]
    out.sort(key=lambda f: (SEVERITY_ORDER.get(f["severity"], 9), f["family"], f["rule_id"]))
    return out


def _first(locators: list[str] | None) -> str | None:
    if not locators:
        return None
    try:
        return inert(Locator.from_json(locators[0]).display())
    except ValueError:
        return inert(locators[0])


def summarise(detail: dict[str, Any]) -> str:
    """One line for a terminal table from a finding's detail."""
    parts: list[str] = []
    if "entropy_bits_per_byte" in detail:
        parts.append(
            f"entropy {detail['entropy_bits_per_byte']:.4f} bits/byte, "
            f"χ² {detail['chi_square']:.0f}"
        )
    if "kind" in detail and "offset" in detail:
        parts.append(f"{detail['kind']} header at byte {detail['offset']}")
    if "records_total" in detail:
        parts.append(
            f"{detail['records_total']} record(s), "
            f"{detail['linked_records']} linked to scanned items"
        )
    if "end_offset" in detail:
        parts.append(
            f"{detail['bytes']:,} bytes ({detail['type']}) after byte {detail['end_offset']:,}"
        )
    if "true_type" in detail:
        parts.append(f".{detail['extension']} is really {detail['true_type']}")
    if "markers" in detail:
        parts.append(", ".join(detail["markers"]))
    if "items" in detail:
        parts.append(f"{detail['items']} item(s)")
    if "nsrl_application_types" in detail:
        parts.append("NSRL: " + ", ".join(detail["nsrl_application_types"]))
    return "; ".join(parts)

"""Linked cases: other cases of the store that share media with a case.

A link counts distinct MD5s held by both cases (exact) and PDQ pairs of
different MD5s within the threshold (near), each split by whether the media is
in a national or known set (widely circulated: a *weak* link) or in none
(rarely shared: a *strong* link, same source or same sharing circle). Anyone
who may see a case sees which cases it is linked to and who works on them,
never the other case's content: that stays behind the other case's own access.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from vigil.cases.case import get_case
from vigil.crosscase.first_seen import NEW_MATERIAL, new_material
from vigil.store.engine import Store
from vigil.store.schema import case, case_assignment, case_link, user_account


@dataclass(frozen=True, slots=True)
class Link:
    """One other case sharing media with the case asked about."""

    case_id: int
    case: str
    owners: tuple[str, ...]
    exact_known: int
    exact_new: int
    near_known: int
    near_new: int

    @property
    def strength(self) -> str:
        """``strong`` when any shared media is in no set, else ``weak``."""
        return "strong" if self.exact_new or self.near_new else "weak"

    @property
    def shared(self) -> int:
        """Every shared item, exact and near."""
        return self.exact_known + self.exact_new + self.near_known + self.near_new

    def as_json(self) -> dict[str, Any]:
        """The link for ``--json`` and the web API."""
        return {
            "case": self.case,
            "owners": list(self.owners),
            "strength": self.strength,
            "exact": {"known": self.exact_known, "new": self.exact_new},
            "near": {"known": self.near_known, "new": self.near_new},
            "shared": self.shared,
        }


@dataclass(frozen=True, slots=True)
class Edge:
    """Two linked cases for the store-wide graph."""

    a: int
    b: int
    strong: int
    weak: int


def case_links(conn: Connection, case_id: int) -> list[Link]:
    """The cases linked to ``case_id``: strong links first, then by items shared."""
    rows = conn.execute(
        select(case_link).where(or_(case_link.c.case_a == case_id, case_link.c.case_b == case_id))
    ).all()
    others = [int(r.case_b if r.case_a == case_id else r.case_a) for r in rows]
    names = _names(conn, others)
    owners = case_owners(conn, others)
    links = [
        Link(
            other,
            names[other],
            owners.get(other, ()),
            int(r.exact_known),
            int(r.exact_new),
            int(r.near_known),
            int(r.near_new),
        )
        for other, r in zip(others, rows, strict=True)
    ]
    return sorted(links, key=lambda x: (x.strength != "strong", -x.shared, x.case))


def case_owners(conn: Connection, case_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Who works on each case: its assigned users, else whoever created it."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = conn.execute(
        select(case_assignment.c.case_id, user_account.c.name)
        .join(user_account, user_account.c.id == case_assignment.c.user_id)
        .where(case_assignment.c.case_id.in_(case_ids))
        .order_by(user_account.c.name)
    )
    for case_id, name in rows:
        found[int(case_id)].append(name)
    creators = conn.execute(select(case.c.id, case.c.created_by).where(case.c.id.in_(case_ids)))
    for case_id, creator in creators:
        found.setdefault(int(case_id), [creator])
    return {k: tuple(v) for k, v in found.items()}


def link_graph(conn: Connection, max_edges: int = 400) -> tuple[dict[int, str], list[Edge]]:
    """Every linked case (id → name) and the ``max_edges`` heaviest links between them."""
    rows = conn.execute(select(case_link)).all()
    edges = [
        Edge(
            int(r.case_a),
            int(r.case_b),
            int(r.exact_new + r.near_new),
            int(r.exact_known + r.near_known),
        )
        for r in rows
    ]
    edges.sort(key=lambda e: (-e.strong, -(e.strong + e.weak), e.a, e.b))
    edges = edges[:max_edges]
    ids = sorted({e.a for e in edges} | {e.b for e in edges})
    return _names(conn, ids), edges


def _names(conn: Connection, ids: list[int]) -> dict[int, str]:
    rows = conn.execute(select(case.c.id, case.c.name).where(case.c.id.in_(ids)))
    return {int(i): n for i, n in rows}


@dataclass(frozen=True, slots=True)
class CaseLinks:
    """A case's links and its new material, for ``vigil case links``."""

    case: str
    links: list[Link]
    new_material: list[str]

    def as_json(self) -> dict[str, Any]:
        """Everything, for ``--json``."""
        return {
            "case": self.case,
            "links": [link.as_json() for link in self.links],
            "new_material": {"label": NEW_MATERIAL, "md5": self.new_material},
        }


def links_of(store: Store, name: str) -> CaseLinks:
    """The links and new material of the case called ``name`` (NotFoundError if none)."""
    with store.connect() as conn:
        row = get_case(conn, name)
        return CaseLinks(
            row.name, case_links(conn, int(row.id)), sorted(new_material(conn, int(row.id)))
        )

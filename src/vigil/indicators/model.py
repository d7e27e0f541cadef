"""What rules, the items they look at, and the findings they produce are made of."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "low", "medium", "high")
"""Severity of a finding, lowest first."""

SCOPES = ("item", "folder", "container", "run")
"""How matched items become findings: one per item, per folder, per container (archive,
disk image), or one for the whole run."""

Key = tuple[str, str]
"""An index key: ``("name", "known.met")``, ``("comp", "utorrent")``, ``("fact", "entropy")``…"""


@dataclass(frozen=True, slots=True)
class Match:
    """The conditions of a rule: every field given must hold; within a field, any value."""

    paths: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    file_types: tuple[str, ...] = ()
    item_families: tuple[str, ...] = ()
    hashes: frozenset[str] = frozenset()
    nsrl_types: tuple[str, ...] = ()
    min_size: int | None = None
    max_size: int | None = None
    check: str | None = None
    check_params: dict[str, Any] = field(default_factory=dict)
    path_res: tuple[re.Pattern[str], ...] = ()
    name_res: tuple[re.Pattern[str], ...] = ()
    nsrl_res: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """One indicator rule, as loaded from a YAML file."""

    id: str
    family: str
    description: str
    severity: str
    scope: str
    match: Match
    source: str
    keys: frozenset[Key] = frozenset()
    """Index keys of which an item must show at least one to be worth evaluating."""


@dataclass(slots=True)
class ItemView:
    """The columns of one stored item that rules look at."""

    id: int
    key: str
    path: str
    """Every layer's path joined with ``/``, normalised (lower case, ``/`` separators)."""
    display: str
    name: str
    size: int | None
    file_type: str | None
    family: str | None
    status: str
    reason: str | None
    ext_mismatch: bool
    digests: tuple[str, ...]
    attrs: dict[str, Any]
    nsrl_types: tuple[str, ...] = ()
    review: str = "none"
    """``known`` when a known-good set (NSRL …) holds the item's hash."""

    @property
    def facts(self) -> dict[str, Any]:
        """What the scan worker worked out about the content (``attrs["facts"]``)."""
        value = self.attrs.get("facts")
        return value if isinstance(value, dict) else {}


@dataclass(slots=True)
class Finding:
    """One indicator finding, ready for the ``finding`` table."""

    rule_id: str
    family: str
    severity: str
    description: str
    item_id: int | None
    locators: list[str]
    detail: dict[str, Any] = field(default_factory=dict)

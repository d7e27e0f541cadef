"""The rule engine: evaluate a rule set over a run's stored items and write its findings.

Runs after a scan's items are committed. It streams the run's items once,
offers each only the rules whose index keys it carries (a file name, a folder
name on its path, a digest, a fact the worker stored…), and evaluates those
fully. Artefact rules, which link records to other items, are finished in a
second pass that indexes only the items their records name. The run's findings
are deleted and rewritten in one transaction, so evaluating again (a resumed
scan, changed rules) gives the same rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from vigil.audit import append, case_scope
from vigil.indicators.checks import CHECKS
from vigil.indicators.ed2k import StoredItemEd2k
from vigil.indicators.globs import normalise
from vigil.indicators.grouping import Hit, to_findings
from vigil.indicators.linking import RunContext, wanted_names, wanted_sizes
from vigil.indicators.loader import RuleSet
from vigil.indicators.model import Finding, ItemView, Key, Rule
from vigil.inert import inert_value
from vigil.store.schema import finding, hash_entry, item, match, scan_run

_COLUMNS = (
    item.c.id,
    item.c.locator,
    item.c.display,
    item.c.name,
    item.c.size,
    item.c.file_type,
    item.c.family,
    item.c.status,
    item.c.reason,
    item.c.ext_mismatch,
    item.c.md5,
    item.c.sha1,
    item.c.sha256,
    item.c.attrs,
    item.c.review,
)


class _Index:
    """Rules by index key."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_key: dict[Key, list[Rule]] = defaultdict(list)
        for rule in rules:
            for key in rule.keys:
                self.by_key[key].append(rule)

    def candidates(self, view: ItemView) -> list[Rule]:
        seen: dict[str, Rule] = {}
        for key in _item_keys(view):
            for rule in self.by_key.get(key, ()):
                seen.setdefault(rule.id, rule)
        return list(seen.values())


def _item_keys(view: ItemView) -> Iterator[Key]:
    yield ("all", "*")
    yield ("name", view.name)
    if "." in view.name:
        yield ("ext", view.name.rsplit(".", 1)[1])
    for part in view.path.split("/"):
        if part:
            yield ("comp", part)
    for digest in view.digests:
        yield ("hash", digest)
    if view.file_type:
        yield ("type", view.file_type)
    if view.family:
        yield ("family", view.family)
    for fact in view.facts:
        yield ("fact", fact)
    yield ("status", view.status)
    if view.ext_mismatch:
        yield ("flag", "ext_mismatch")
    if view.nsrl_types:
        yield ("nsrl", "*")


def _fields_hold(rule: Rule, view: ItemView) -> bool:
    """Every non-check condition of the rule holds for the item."""
    m = rule.match
    if m.names and not any(r.fullmatch(view.name) for r in m.name_res):
        return False
    if m.paths and not any(r.fullmatch(view.path) for r in m.path_res):
        return False
    if m.file_types and (view.file_type or "") not in m.file_types:
        return False
    if m.item_families and (view.family or "") not in m.item_families:
        return False
    if m.hashes and not m.hashes.intersection(view.digests):
        return False
    if m.nsrl_types and not any(
        r.fullmatch(t.lower()) for r in m.nsrl_res for t in view.nsrl_types
    ):
        return False
    size = view.size or 0
    if m.min_size is not None and (view.size is None or size < m.min_size):
        return False
    return m.max_size is None or (view.size is not None and size <= m.max_size)


def _base_detail(rule: Rule, view: ItemView) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if rule.match.hashes:
        detail["hash"] = sorted(rule.match.hashes.intersection(view.digests))
    if rule.match.nsrl_types:
        detail["nsrl_application_types"] = list(view.nsrl_types)
    return detail


def evaluate(conn: Connection, run_id: int, ruleset: RuleSet) -> list[Finding]:
    """The findings of a rule set over one run's items (nothing is written)."""
    index = _Index(ruleset.rules)
    nsrl = _nsrl_types(conn, run_id)
    hits: list[Hit] = []
    deferred: list[tuple[Rule, ItemView]] = []
    for view in _views(conn, run_id, nsrl):
        for rule in index.candidates(view):
            if not _fields_hold(rule, view):
                continue
            if rule.match.check == "artefact":
                deferred.append((rule, view))
                continue
            detail = _base_detail(rule, view)
            if rule.match.check is not None:
                result = CHECKS[rule.match.check].fn(view, rule.match.check_params, RunContext())
                if result is None:
                    continue
                detail.update(result)
            hits.append((rule, view, detail))
    if deferred:
        ctx = _context(conn, run_id, nsrl, deferred)
        for rule, view in deferred:
            result = CHECKS["artefact"].fn(view, rule.match.check_params, ctx)
            if result is not None:
                hits.append((rule, view, result))
    return to_findings(conn, run_id, hits)


def _views(
    conn: Connection,
    run_id: int,
    nsrl: dict[int, tuple[str, ...]],
    names: set[str] | None = None,
    sizes: set[int] | None = None,
) -> Iterator[ItemView]:
    """The run's items; with ``names``, only those so named (lower case), of ``sizes``, torrents."""
    # Folders are left out: a rule on a folder's contents would otherwise count it too.
    query = (
        select(*_COLUMNS).where(item.c.run_id == run_id, item.c.kind != "dir").order_by(item.c.id)
    )
    for row in conn.execute(query.execution_options(yield_per=2000)):
        if names is not None:
            lower = str(row.name).lower()
            wanted = lower in names or lower.endswith(".torrent") or row.size in (sizes or ())
            if not wanted:
                continue
        yield _view(row, nsrl)


def _view(row: Any, nsrl: dict[int, tuple[str, ...]]) -> ItemView:
    layers = json.loads(row.locator)
    path = normalise("/".join(str(layer.get("path", "")) for layer in layers))
    attrs = row.attrs if isinstance(row.attrs, dict) else {}
    digests = tuple(bytes(d).hex() for d in (row.md5, row.sha1, row.sha256) if d is not None)
    return ItemView(
        id=int(row.id),
        key=str(row.locator),
        path=path,
        display=str(row.display),
        name=str(row.name).lower(),
        size=row.size,
        file_type=row.file_type,
        family=row.family,
        status=str(row.status),
        reason=row.reason,
        ext_mismatch=bool(row.ext_mismatch),
        digests=digests,
        attrs=attrs,
        nsrl_types=nsrl.get(int(row.id), ()),
        review=str(row.review),
    )


def _nsrl_types(conn: Connection, run_id: int) -> dict[int, tuple[str, ...]]:
    """NSRL application types of each item with a known-good hit that carries them."""
    query = (
        select(match.c.item_id, hash_entry.c.extra)
        .join(item, item.c.id == match.c.item_id)
        .join(hash_entry, hash_entry.c.id == match.c.entry_id)
        .where(item.c.run_id == run_id, match.c.known_good.is_(True))
    )
    out: dict[int, set[str]] = defaultdict(set)
    for item_id, extra in conn.execute(query):
        types = extra.get("application_types") if isinstance(extra, dict) else None
        if isinstance(types, list):
            out[int(item_id)].update(str(t) for t in types)
    return {k: tuple(sorted(v)) for k, v in out.items() if v}


def _context(
    conn: Connection,
    run_id: int,
    nsrl: dict[int, tuple[str, ...]],
    deferred: list[tuple[Rule, ItemView]],
) -> RunContext:
    """Index the items that the deferred artefacts' records could link to (and torrents)."""
    names: set[str] = set()
    sizes: set[int] = set()
    for _, view in deferred:
        names |= wanted_names(view.facts.get("artefact", {}))
        sizes |= wanted_sizes(view.facts.get("artefact", {}))
    ctx = RunContext(ed2k_of=StoredItemEd2k())
    for view in _views(conn, run_id, nsrl, names, sizes):
        ctx.add(view)
    return ctx


def write_findings(conn: Connection, run_id: int, findings: list[Finding]) -> None:
    """Replace a run's findings with these (call inside the caller's transaction)."""
    conn.execute(delete(finding).where(finding.c.run_id == run_id))
    rows = [
        {
            "run_id": run_id,
            "item_id": f.item_id,
            "rule_id": f.rule_id,
            "family": f.family,
            "severity": f.severity,
            "description": f.description,
            "locators": f.locators,
            # Details quote artefact fields (URLs, torrent names): stored inert.
            "detail": inert_value(f.detail) if f.detail else None,
        }
        for f in findings
    ]
    for start in range(0, len(rows), 500):
        conn.execute(insert(finding), rows[start : start + 500])


def evaluate_run(conn: Connection, run_id: int, ruleset: RuleSet, actor: str) -> list[Finding]:
    """Evaluate, replace the run's findings and record it in the case's audit log."""
    found = evaluate(conn, run_id, ruleset)
    write_findings(conn, run_id, found)
    case_id = conn.execute(select(scan_run.c.case_id).where(scan_run.c.id == run_id)).scalar_one()
    by_severity: dict[str, int] = defaultdict(int)
    for f in found:
        by_severity[f.severity] += 1
    append(
        conn,
        case_scope(int(case_id)),
        actor,
        "indicators.evaluate",
        target=f"run:{run_id}",
        detail={"findings": len(found), "by_severity": dict(by_severity), **ruleset.describe()},
    )
    return found

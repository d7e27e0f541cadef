"""A rule's ``match:`` block: validated field by field, compiled, and given its index keys."""

from __future__ import annotations

import re
from typing import Any

from vigil.indicators.checks import CHECKS
from vigil.indicators.globs import (
    GlobError,
    compile_name_glob,
    compile_path_glob,
    literal_components,
    name_key,
)
from vigil.indicators.model import Key, Match

_HEX = re.compile(r"^[0-9a-f]+$")
_MATCH_LISTS = {
    "path": "paths",
    "name": "names",
    "file_type": "file_types",
    "item_family": "item_families",
    "hash": "hashes",
    "nsrl_application_type": "nsrl_types",
}
_MATCH_KEYS = {*_MATCH_LISTS, "min_size", "max_size", "check"}


class Problems:
    """Problems found in one rule file, each as ``file: where: field: what``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, field_name: str | None, what: str) -> None:
        """Record one problem."""
        at = f": {field_name}" if field_name else ""
        self.items.append(f"{self.source}: {where}{at}: {what}")


def _strings(value: Any, where: str, name: str, problems: Problems) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add(where, f"match.{name}", "must be a non-empty list of text")
        return ()
    return tuple(value)


def parse_match(raw: Any, where: str, problems: Problems) -> Match | None:
    """The compiled match of a rule, or None (problems recorded) when it is unusable."""
    if not isinstance(raw, dict) or not raw:
        problems.add(where, "match", f"required mapping of: {', '.join(sorted(_MATCH_KEYS))}")
        return None
    for key in sorted(set(raw) - _MATCH_KEYS):
        problems.add(where, f"match.{key}", f"unknown (known: {', '.join(sorted(_MATCH_KEYS))})")
    fields: dict[str, Any] = {}
    for key, attr in _MATCH_LISTS.items():
        if key in raw:
            fields[attr] = _strings(raw[key], where, key, problems)
    for key in ("min_size", "max_size"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.add(where, f"match.{key}", "must be a whole number of bytes ≥ 0")
            else:
                fields[key] = value
    fields["path_res"] = _compiled(
        fields.get("paths", ()), compile_path_glob, where, "path", problems
    )
    fields["name_res"] = _compiled(
        fields.get("names", ()), compile_name_glob, where, "name", problems
    )
    nsrl = fields.get("nsrl_types", ())
    fields["nsrl_res"] = _compiled(
        nsrl, compile_name_glob, where, "nsrl_application_type", problems
    )
    if "hashes" in fields:
        fields["hashes"] = _hashes(fields["hashes"], where, problems)
    if "check" in raw:
        _check(raw["check"], where, fields, problems)
    return Match(**fields)


def _compiled(
    globs: tuple[str, ...], compile_fn: Any, where: str, name: str, problems: Problems
) -> tuple[re.Pattern[str], ...]:
    out = []
    for glob in globs:
        try:
            out.append(compile_fn(glob))
        except GlobError as exc:
            problems.add(where, f"match.{name}", f"{glob!r}: {exc}")
    return tuple(out)


def _hashes(values: tuple[str, ...], where: str, problems: Problems) -> frozenset[str]:
    out = set()
    for value in values:
        text = value.strip().lower()
        if len(text) not in (32, 40, 64) or not _HEX.match(text):
            problems.add(where, "match.hash", f"{value!r} is not MD5, SHA-1 or SHA-256 hex")
        out.add(text)
    return frozenset(out)


def _check(raw: Any, where: str, fields: dict[str, Any], problems: Problems) -> None:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        problems.add(where, "match.check", "must be a check name or {name: …, params…}")
        return
    check = CHECKS.get(raw["name"])
    if check is None:
        problems.add(
            where, "match.check", f"no check {raw['name']!r} (known: {', '.join(sorted(CHECKS))})"
        )
        return
    params = dict(check.params)
    for key, value in raw.items():
        if key == "name":
            continue
        if key not in check.params:
            known = ", ".join(sorted(check.params)) or "none"
            problems.add(where, f"match.check.{key}", f"unknown parameter (known: {known})")
            continue
        default = check.params[key]
        if not _same_type(value, default):
            kind = "a list of text" if isinstance(default, list) else type(default).__name__
            problems.add(where, f"match.check.{key}", f"must be {kind}, got {value!r}")
            continue
        params[key] = float(value) if isinstance(default, float) else value
    fields["check"] = check.name
    fields["check_params"] = params


def _same_type(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def index_keys(match: Match) -> frozenset[Key]:
    """The most selective index keys of a rule: an item lacking all of them cannot match."""
    if match.hashes:
        return frozenset(("hash", h) for h in match.hashes)
    if match.names:
        keys = [name_key(g) for g in match.names]
        if all(k is not None for k in keys):
            return frozenset(k for k in keys if k is not None)
    if match.paths:
        anchors = [max(literal_components(g), key=len, default=None) for g in match.paths]
        if all(anchors):
            return frozenset(("comp", a) for a in anchors if a)
    if match.check is not None:
        return frozenset(CHECKS[match.check].keys)
    if match.nsrl_types:
        return frozenset({("nsrl", "*")})
    if match.file_types:
        return frozenset(("type", t.lower()) for t in match.file_types)
    if match.item_families:
        return frozenset(("family", f.lower()) for f in match.item_families)
    return frozenset({("all", "*")})

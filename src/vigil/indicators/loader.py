"""Loading and validating indicator rule files (YAML).

A rule file::

    family: p2p                    # default family of its rules
    rules:
      - id: p2p-emule-known-met
        description: eMule's list of files it has shared or downloaded
        severity: high             # info | low | medium | high
        scope: item                # item | folder | container | run
        match:
          name: [known.met]        # any of these names (globs, case-insensitive)
          check: {name: artefact, kinds: [emule_known_met]}

``match`` fields, all of which must hold: ``path`` (globs over the item's
path, any depth), ``name``, ``file_type`` (true type from the signature),
``item_family`` (image, video, archive…), ``hash`` (MD5/SHA-1/SHA-256 hex),
``nsrl_application_type`` (globs over the application types of the NSRL
packages the item's hash is in), ``min_size``/``max_size`` (bytes) and
``check`` (a named content check, see :mod:`vigil.indicators.checks`).

Shipped rules live in this package's ``rules/``; a force adds or overrides
rules (same id) in ``$VIGIL_HOME/rules/*.yaml``, or disables one with
``enabled: false``. Every problem is reported with its file, rule and field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from vigil.config import vigil_home
from vigil.errors import RuleFileError
from vigil.indicators.match_spec import Problems, index_keys, parse_match
from vigil.indicators.model import SCOPES, SEVERITIES, Rule

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
_FILE_KEYS = {"family", "rules", "version", "description"}
_RULE_KEYS = {"id", "family", "description", "severity", "scope", "match", "enabled", "notes"}


@dataclass(slots=True)
class RuleSet:
    """The active rules and where they came from (file → SHA-256), for provenance."""

    rules: list[Rule]
    sources: dict[str, str] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """Rule files and their digests, recorded with a run's findings."""
        return {"rules": len(self.rules), "files": self.sources, "disabled": self.disabled}


def builtin_rule_files() -> list[Path]:
    """The rule files shipped with Vigil, in name order."""
    folder = resources.files("vigil.indicators").joinpath("rules")
    return sorted(Path(str(folder)).glob("*.yaml"))


def user_rule_files(home: Path | None = None) -> list[Path]:
    """A force's own rule files: ``$VIGIL_HOME/rules/*.yaml``, in name order."""
    folder = (home or vigil_home()) / "rules"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_ruleset(extra: list[Path] | None = None, home: Path | None = None) -> RuleSet:
    """Shipped rules, then user rules (a later file's rule replaces one of the same id).

    RuleFileError (listing every problem) if any file is invalid.
    """
    files = [*builtin_rule_files(), *user_rule_files(home), *(extra or [])]
    by_id: dict[str, Rule] = {}
    sources: dict[str, str] = {}
    disabled: list[str] = []
    problems: list[str] = []
    for path in files:
        rules, off, file_problems = parse_rule_file(path)
        problems.extend(file_problems)
        sources[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        for rule in rules:
            by_id[rule.id] = rule
        for rule_id in off:
            by_id.pop(rule_id, None)
            disabled.append(rule_id)
    if problems:
        raise RuleFileError(problems)
    return RuleSet(list(by_id.values()), sources, disabled)


def parse_rule_file(path: Path) -> tuple[list[Rule], list[str], list[str]]:
    """Rules of one file, ids it disables, and every problem found (empty when valid)."""
    problems = Problems(str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.add("file", None, f"cannot read: {exc}")
        return [], [], problems.items
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        problems.add(where, None, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return [], [], problems.items
    if not isinstance(data, dict):
        problems.add("file", None, "must be a mapping with a 'rules' list")
        return [], [], problems.items
    for key in sorted(set(data) - _FILE_KEYS):
        problems.add("file", str(key), f"unknown key (known: {', '.join(sorted(_FILE_KEYS))})")
    default_family = data.get("family")
    if default_family is not None and not isinstance(default_family, str):
        problems.add("file", "family", "must be text")
        default_family = None
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        problems.add("file", "rules", "must be a list of rules")
        return [], [], problems.items
    rules: list[Rule] = []
    off: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, 1):
        if _disables(raw):
            # `{id: X, enabled: false}` switches a shipped rule off; nothing else is needed.
            off.append(raw["id"])
            continue
        rule, enabled = _rule(raw, index, default_family, str(path), problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.add(f"rule {rule.id!r} (#{index})", "id", "duplicate id in this file")
            continue
        seen.add(rule.id)
        if enabled:
            rules.append(rule)
        else:
            off.append(rule.id)
    return rules, off, problems.items


def _disables(raw: Any) -> bool:
    return (
        isinstance(raw, dict)
        and raw.get("enabled") is False
        and set(raw) <= {"id", "enabled", "notes"}
        and isinstance(raw.get("id"), str)
        and bool(_ID.match(raw["id"]))
    )


def _rule(
    raw: Any, index: int, default_family: str | None, source: str, problems: Problems
) -> tuple[Rule | None, bool]:
    where = f"rule #{index}"
    if not isinstance(raw, dict):
        problems.add(where, None, "must be a mapping")
        return None, False
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.add(where, "id", "required: lower-case letters, digits, '.', '_' or '-'")
        return None, False
    where = f"rule {rule_id!r} (#{index})"
    before = len(problems.items)
    for key in sorted(set(raw) - _RULE_KEYS):
        problems.add(where, str(key), f"unknown key (known: {', '.join(sorted(_RULE_KEYS))})")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add(where, "enabled", "must be true or false")
    family = raw.get("family", default_family)
    severity = raw.get("severity", "medium")
    scope = raw.get("scope", "item")
    description = raw.get("description")
    if not isinstance(family, str) or not family:
        problems.add(where, "family", "required (in the rule or at the top of the file)")
    if severity not in SEVERITIES:
        problems.add(where, "severity", f"{severity!r} is not one of {', '.join(SEVERITIES)}")
    if scope not in SCOPES:
        problems.add(where, "scope", f"{scope!r} is not one of {', '.join(SCOPES)}")
    if not isinstance(description, str) or not description.strip():
        problems.add(where, "description", "required text")
    match = parse_match(raw.get("match"), where, problems)
    if match is None or len(problems.items) > before:
        return None, False
    if not isinstance(family, str) or not isinstance(description, str):
        return None, False  # each was reported as a problem above
    rule = Rule(
        rule_id, family, description.strip(), severity, scope, match, source, index_keys(match)
    )
    return rule, bool(enabled)

"""Linking artefact records (downloads, shared files, torrents) to the scanned items they name.

A download's target path ``C:\\Users\\bob\\Downloads\\a.jpg`` names the item
whose path ends in ``Users/bob/Downloads/a.jpg`` (whatever the exhibit's mount
point or image layers); a shared file's name and size name the items with that
name and size; a resume entry's info-hash names the ``.torrent`` file with it.
An eMule entry that matches no name is tried against the items of its size by
ed2k hash (a renamed file), within a budget of bytes re-read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigil.indicators.globs import normalise
from vigil.indicators.model import ItemView

MAX_LINKS_PER_RECORD = 20
ED2K_MAX_CANDIDATES = 5
"""Same-size items whose ed2k hash is worked out per unmatched eMule entry."""


@dataclass(slots=True)
class Linked:
    """The few columns of an item that a link needs."""

    key: str
    display: str
    path: str
    size: int | None
    sha256: bytes | None = None


@dataclass(slots=True)
class RunContext:
    """Items of a run by lower-case name and by torrent info-hash, for linking."""

    by_name: dict[str, list[Linked]] = field(default_factory=lambda: defaultdict(list))
    by_size: dict[int, list[Linked]] = field(default_factory=lambda: defaultdict(list))
    torrents: dict[str, list[Linked]] = field(default_factory=lambda: defaultdict(list))
    ed2k_of: Callable[[Linked], set[str] | None] | None = None
    """Works out an item's ed2k hashes by re-reading it (None: not possible, or over budget)."""

    def add(self, item: ItemView) -> None:
        """Index one item (call for every item whose name or size some record wants)."""
        sha256 = bytes.fromhex(item.digests[-1]) if len(item.digests) == 3 else None
        linked = Linked(item.key, item.display, item.path, item.size, sha256)
        self.by_name[item.name].append(linked)
        if item.size is not None:
            self.by_size[item.size].append(linked)
        artefact = item.facts.get("artefact")
        if isinstance(artefact, dict) and artefact.get("kind") == "torrent":
            for record in artefact.get("records", []):
                if record.get("info_hash"):
                    self.torrents[str(record["info_hash"])].append(linked)
                if record.get("info_hash_v2"):  # libtorrent also names a v2 torrent by its
                    v2 = str(record["info_hash_v2"])  # SHA-256 cut to 20 bytes
                    self.torrents[v2].append(linked)
                    if not record.get("info_hash"):
                        self.torrents[v2[:40]].append(linked)


def wanted_names(artefact: dict[str, Any]) -> set[str]:
    """Lower-case file names that an artefact's records could link to."""
    names: set[str] = set()
    for record in artefact.get("records", []):
        for path, _ in _targets(record):
            names.add(_basename(path))
    names.discard("")
    return names


def wanted_sizes(artefact: dict[str, Any]) -> set[int]:
    """Sizes of the eMule entries, whose same-size items may be a renamed copy."""
    return {
        int(r["size"])
        for r in artefact.get("records", [])
        if r.get("ed2k") and isinstance(r.get("size"), int) and r["size"] > 0
    }


def _basename(path: str) -> str:
    return normalise(path).rstrip("/").rsplit("/", 1)[-1]


def _tail(path: str) -> str:
    """A record's path as a suffix to look for: lower case, ``/``, no drive letter."""
    text = normalise(path)
    if len(text) >= 2 and text[1] == ":":
        text = text[2:]
    return "/" + text.lstrip("/")


def _targets(record: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(path or name, size) pairs a record names: download targets, shared and torrent files."""
    out: list[tuple[str, int | None]] = []
    for key in ("target_path", "current_path"):
        if record.get(key):
            out.append((str(record[key]), record.get("total_bytes") or None))
    if record.get("ed2k") and record.get("name"):
        out.append((str(record["name"]), record.get("size")))
    for entry in record.get("files", []):
        if entry.get("path"):
            out.append((str(entry["path"]), entry.get("size")))
    if record.get("save_path") and record.get("name") and not record.get("files"):
        out.append((f"{record['save_path']}/{record['name']}", None))
    return out


def _links(record: dict[str, Any], ctx: RunContext) -> list[dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path, size in _targets(record):
        tail = _tail(path)
        for item in ctx.by_name.get(_basename(path), []):
            if item.key in found:
                continue
            if "/" in tail.strip("/") and item.path.endswith(tail):
                found[item.key] = {"key": item.key, "display": item.display, "by": "path"}
            elif size is not None and item.size == size:
                found[item.key] = {"key": item.key, "display": item.display, "by": "name+size"}
    if record.get("ed2k") and not found and ctx.ed2k_of is not None:
        for item in ctx.by_size.get(record.get("size") or -1, [])[:ED2K_MAX_CANDIDATES]:
            hashes = ctx.ed2k_of(item)
            if hashes is not None and record["ed2k"] in hashes:
                found[item.key] = {"key": item.key, "display": item.display, "by": "ed2k"}
    for hash_key in ("info_hash", "info_hash_v2"):
        info_hash = record.get(hash_key)
        if not info_hash:
            continue
        for item in ctx.torrents.get(str(info_hash), []):
            found.setdefault(
                item.key, {"key": item.key, "display": item.display, "by": "info_hash"}
            )
    return list(found.values())[:MAX_LINKS_PER_RECORD]


def link_artefact(item: ItemView, artefact: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """The finding detail of an artefact: its records, each with the items it links to."""
    records = []
    keys: list[str] = []
    for record in artefact.get("records", []):
        links = [link for link in _links(record, ctx) if link["key"] != item.key]
        keys.extend(link["key"] for link in links)
        records.append({**record, "linked": links})
    return {
        "kind": artefact.get("kind"),
        "records_total": artefact.get("total", len(records)),
        "truncated": bool(artefact.get("truncated")),
        "linked_records": sum(1 for r in records if r["linked"]),
        "records": records,
        "_locators": list(dict.fromkeys(keys)),
    }

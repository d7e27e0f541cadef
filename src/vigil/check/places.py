"""Where a device check looks first: the tiers of ``places.yaml``, as walk ranks.

The rules are data (``places.yaml`` beside this module); this module only
compiles them and turns a folder's path into a rank for
:class:`~vigil.sources.folder.RankedWalk`: lower tier first, then the most
recently changed folder. Paths are matched relative to the evidence root, so
the place the officer mounted the drive at never makes it look likely.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from vigil.errors import VigilError
from vigil.indicators.globs import GlobError, compile_path_glob, normalise
from vigil.sources.folder import DirRank, FsEntry, Rank


class PlacesError(VigilError):
    """The shipped ``places.yaml`` is not valid (a packaging fault, not a user error)."""


@dataclass(frozen=True, slots=True)
class Places:
    """The compiled tiers, early-listed folders and first extensions."""

    tier_names: tuple[str, ...]
    tiers: tuple[tuple[re.Pattern[str], ...], ...]
    open_early: tuple[re.Pattern[str], ...]
    open_early_depth: int
    first_extensions: frozenset[str]

    def tier(self, relative: str) -> int:
        """The tier of a folder's path relative to the evidence root ('' is the root);
        globs see it with a leading ``/``, so ``/Users/**`` names the root's Users only."""
        path = "/" + normalise(relative).strip("/")
        for index, patterns in enumerate(self.tiers):
            if any(p.fullmatch(path) for p in patterns):
                return index
        return self.rest

    @property
    def rest(self) -> int:
        """The tier of a folder no glob names ("everything else")."""
        for index, patterns in enumerate(self.tiers):
            if not patterns:
                return index
        return len(self.tiers)

    def ranker(self, root: bytes) -> DirRank:
        """Ranks of the folders under ``root``: (when it is listed, when its files come)."""
        top = os.path.abspath(root)

        def rank(path: bytes, mtime: float) -> tuple[Rank, Rank]:
            relative = os.fsdecode(os.path.relpath(path, top)) if path != top else ""
            relative = "" if relative == "." else relative
            tier = self.tier(relative)
            depth = relative.count("/") + 1 if relative else 0
            path_text = "/" + normalise(relative).strip("/")
            early = depth <= self.open_early_depth or any(
                p.fullmatch(path_text) for p in self.open_early
            )
            # Listing comes before any file; the most recently changed folders first.
            return ((-1.0 if early else float(tier), -mtime), (float(tier), -mtime))

        return rank

    def file_rank(self, entry: FsEntry) -> Rank:
        """Within a folder: pictures, videos and archives, then files without an
        extension (caches), then the rest; the newest first."""
        name = os.fsdecode(entry.path).rsplit("/", 1)[-1].lower()
        stem, dot, ext = name.rpartition(".")
        if dot and stem and ext in self.first_extensions:
            group = 0.0
        elif not dot or not stem:
            group = 1.0
        else:
            group = 2.0
        return (group, -entry.mtime)


@cache
def shipped_places() -> Places:
    """The places of the ``places.yaml`` shipped with Vigil."""
    text = resources.files("vigil.check").joinpath("places.yaml").read_text(encoding="utf-8")
    return parse_places(yaml.safe_load(text))


def parse_places(data: Any) -> Places:
    """Compile a loaded ``places.yaml``; :class:`PlacesError` says what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("tiers"), list):
        raise PlacesError("places.yaml: 'tiers' must be a list")
    names: list[str] = []
    tiers: list[tuple[re.Pattern[str], ...]] = []
    for tier in data["tiers"]:
        if not isinstance(tier, dict) or not isinstance(tier.get("name"), str):
            raise PlacesError("places.yaml: every tier needs a name")
        names.append(tier["name"])
        tiers.append(_globs(tier.get("paths") or [], tier["name"]))
    extensions = data.get("first_extensions") or []
    depth = data.get("open_early_depth", 0)
    if not isinstance(depth, int) or not isinstance(extensions, list):
        raise PlacesError("places.yaml: open_early_depth is a number, first_extensions a list")
    return Places(
        tier_names=tuple(names),
        tiers=tuple(tiers),
        open_early=_globs(data.get("open_early") or [], "open_early"),
        open_early_depth=depth,
        first_extensions=frozenset(str(e).lower().lstrip(".") for e in extensions),
    )


def _globs(values: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PlacesError(f"places.yaml: {where}: paths must be a list of globs")
    try:
        return tuple(compile_path_glob(v) for v in values)
    except GlobError as exc:
        raise PlacesError(f"places.yaml: {where}: {exc}") from exc

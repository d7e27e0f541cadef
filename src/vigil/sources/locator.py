"""Chained, serialisable addresses of evidence items (dfvfs-style).

A locator is a tuple of layers from the outermost inwards, e.g.::

    os:/cases/ex1/Pictures  →  zip:inner/b.zip  →  zip:c.jpg

Each layer names the container type and the path inside its parent, plus
optional attributes (``deleted``, ``carved``, ``offset``, ``inode``, …).
Paths are text; bytes that are not valid UTF-8 are kept as surrogate escapes
so that ``os.fsencode`` gives back the exact original name.

Stored, a locator is its :meth:`Locator.key`: JSON written with
``ensure_ascii``, so every character outside printable ASCII, NUL and
surrogate escapes included, is a ``\\uXXXX`` escape. The key is plain ASCII
(safe in a PostgreSQL text column, which cannot hold NUL) and gives back the
exact path, whatever bytes the evidence put in it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from vigil.inert import inert


@dataclass(frozen=True, slots=True)
class Layer:
    """One step of a locator: the container type and the path within its parent."""

    type: str
    path: str = ""
    attrs: tuple[tuple[str, Any], ...] = field(default=())

    def get(self, name: str, default: Any = None) -> Any:
        """An attribute of this layer, or ``default``."""
        for key, value in self.attrs:
            if key == name:
                return value
        return default

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of this layer."""
        data: dict[str, Any] = {"type": self.type, "path": self.path}
        data.update(dict(self.attrs))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layer:
        """Rebuild a layer from :meth:`to_json` output."""
        rest = {k: v for k, v in data.items() if k not in ("type", "path")}
        return cls(str(data["type"]), str(data.get("path", "")), tuple(sorted(rest.items())))


def make_layer(type_: str, path: str = "", **attrs: Any) -> Layer:
    """Build a layer with attributes given as keywords (None values dropped)."""
    return Layer(type_, path, tuple(sorted((k, v) for k, v in attrs.items() if v is not None)))


@dataclass(frozen=True, slots=True)
class Locator:
    """The full address of an item: layers from the evidence root inwards."""

    layers: tuple[Layer, ...]

    @classmethod
    def for_path(cls, path: str | bytes) -> Locator:
        """Locator of a file on the examiner's file system."""
        text = os.fsdecode(path) if isinstance(path, bytes) else path
        return cls((make_layer("os", text),))

    def child(self, type_: str, path: str = "", **attrs: Any) -> Locator:
        """A locator one layer deeper."""
        return Locator((*self.layers, make_layer(type_, path, **attrs)))

    @property
    def parent(self) -> Locator | None:
        """The enclosing container's locator, or None at the root."""
        return Locator(self.layers[:-1]) if len(self.layers) > 1 else None

    @property
    def leaf(self) -> Layer:
        """The innermost layer."""
        return self.layers[-1]

    @property
    def depth(self) -> int:
        """How many containers deep (0 for a plain file)."""
        return len(self.layers) - 1

    def flag(self, name: str) -> bool:
        """True when any layer carries a true attribute ``name`` (e.g. deleted, carved)."""
        return any(bool(layer.get(name)) for layer in self.layers)

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-able list of layers."""
        return [layer.to_json() for layer in self.layers]

    def key(self) -> str:
        """A canonical string: equal locators give equal keys (for uniqueness)."""
        # ensure_ascii is what makes the key NUL-free and byte-exact: see the module docstring.
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, data: list[dict[str, Any]] | str) -> Locator:
        """Rebuild a locator from :meth:`to_json` output or a :meth:`key` string."""
        raw = json.loads(data) if isinstance(data, str) else data
        if not isinstance(raw, list) or not raw:
            raise ValueError("a locator is a non-empty list of layers")
        return cls(tuple(Layer.from_json(layer) for layer in raw))

    def display(self) -> str:
        """One line for people: layers joined by arrows, odd bytes escaped."""
        parts = []
        for layer in self.layers:
            text = f"{layer.type}:{escape_path(layer.path)}" if layer.path else layer.type
            parts.append(text)
        return " → ".join(parts)

    @property
    def name(self) -> str:
        """The item's own file name (last path component of the innermost layer)."""
        path = self.leaf.path.rstrip("/")
        return path.rsplit("/", 1)[-1] if path else self.leaf.type


def escape_path(path: str) -> str:
    """Show a path with undecodable bytes as ``\\xNN`` and control characters escaped.

    Never cut: callers that store the text bound it (:func:`vigil.inert.inert`).
    """
    return inert(path, limit=None)

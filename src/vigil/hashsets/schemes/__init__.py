"""Category schemes: YAML files that map an authority's codes to labels."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from vigil.errors import ConfigError

BUILTIN = ("uk", "us")


class CategoryLookupError(ValueError):
    """A code or label that the scheme does not define."""


@dataclass(frozen=True, slots=True)
class Category:
    """One category of a scheme."""

    key: str
    code: int | None
    label: str
    description: str
    indecent: bool


@dataclass(frozen=True, slots=True)
class Scheme:
    """A named list of categories, with the key a null category means."""

    name: str
    title: str
    categories: tuple[Category, ...]
    null_means: str | None
    source: str

    def by_key(self, key: str) -> Category:
        """The category with this key; CategoryLookupError if none."""
        for category in self.categories:
            if category.key == key:
                return category
        raise CategoryLookupError(f"category {key!r} is not in scheme {self.name!r}")

    def label(self, key: str | None) -> str:
        """A human label for a stored key; ``None`` reads as the null category."""
        if key is None:
            key = self.null_means
            if key is None:
                return "—"
        try:
            return self.by_key(key).label
        except CategoryLookupError:
            return key

    def code_of(self, key: str | None) -> int | None:
        """The numeric code a stored key exports as (``None`` for the null category)."""
        if key is None:
            return None
        return self.by_key(key).code

    def resolve(self, value: object) -> str | None:
        """Turn a code (``1``, ``"1"``), key or label (``"A"``) into a key.

        ``None`` and the empty string give the null category's key.
        Raises CategoryLookupError naming the value and the scheme to extend.
        """
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.null_means
        if isinstance(value, bool):
            raise self._unknown(value)
        if isinstance(value, int):
            return self._by_code(value)
        if isinstance(value, float) and value.is_integer():
            return self._by_code(int(value))
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return self._by_code(int(text))
        folded = text.casefold()
        for category in self.categories:
            if folded in (category.key.casefold(), category.label.casefold()):
                return category.key
        if folded.startswith("category ") and len(folded) > 9:
            return self.resolve(text[9:])
        raise self._unknown(value)

    def _by_code(self, code: int) -> str:
        for category in self.categories:
            if category.code == code:
                return category.key
        raise self._unknown(code)

    def _unknown(self, value: object) -> CategoryLookupError:
        return CategoryLookupError(
            f"category {value!r} is not defined in scheme {self.name!r} ({self.source}); "
            "extend a copy of that scheme file and pass it with --scheme FILE.yaml"
        )


def load_scheme(name_or_path: str) -> Scheme:
    """Load a built-in scheme (``uk``, ``us``) or a scheme YAML file."""
    if name_or_path in BUILTIN:
        return _builtin(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"unknown scheme {name_or_path!r}: give one of {', '.join(BUILTIN)} "
            "or the path of a scheme YAML file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read scheme file {path}: {exc}") from exc
    return _parse(text, str(path))


@functools.cache
def _builtin(name: str) -> Scheme:
    # Built-ins never change while Vigil runs; lookups and scans ask for them often.
    ref = resources.files("vigil.hashsets.schemes").joinpath(f"{name}.yaml")
    return _parse(ref.read_text(encoding="utf-8"), f"built-in {name}")


def _parse(text: str, source: str) -> Scheme:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"scheme {source} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"scheme {source}: expected a mapping with name and categories")
    name = data.get("name")
    raw = data.get("categories")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"scheme {source}: 'name' must be a non-empty string")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"scheme {source}: 'categories' must be a non-empty list")
    categories = tuple(_category(item, i, source) for i, item in enumerate(raw, 1))
    keys = [c.key for c in categories]
    codes = [c.code for c in categories if c.code is not None]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"scheme {source}: category keys must be unique")
    if len(set(codes)) != len(codes):
        raise ConfigError(f"scheme {source}: category codes must be unique")
    null_means = data.get("null_means")
    if null_means is not None and null_means not in keys:
        raise ConfigError(f"scheme {source}: null_means {null_means!r} is not a category key")
    return Scheme(
        name=name,
        title=str(data.get("title", name)),
        categories=categories,
        null_means=null_means,
        source=source,
    )


def _category(item: Any, index: int, source: str) -> Category:
    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        raise ConfigError(f"scheme {source}: category #{index} needs a string 'key'")
    code = item.get("code")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise ConfigError(f"scheme {source}: category {item['key']!r}: 'code' must be an integer")
    return Category(
        key=item["key"],
        code=code,
        label=str(item.get("label", item["key"])),
        description=str(item.get("description", "")),
        indecent=bool(item.get("indecent", False)),
    )

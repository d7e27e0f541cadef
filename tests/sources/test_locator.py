"""Locators chain, serialise, round-trip and keep odd file names byte-exact."""

from __future__ import annotations

import json
import os

import pytest

from vigil.sources.locator import Locator, escape_path


def test_chain_and_round_trip() -> None:
    loc = Locator.for_path("/ev/Pictures/a.zip").child("zip", "inner/b.zip").child("zip", "c.jpg")
    assert loc.depth == 2
    assert loc.name == "c.jpg"
    assert loc.parent == Locator.for_path("/ev/Pictures/a.zip").child("zip", "inner/b.zip")
    assert Locator.from_json(loc.to_json()) == loc
    assert Locator.from_json(loc.key()) == loc
    assert loc.display() == "os:/ev/Pictures/a.zip → zip:inner/b.zip → zip:c.jpg"


def test_attributes_and_flags() -> None:
    loc = Locator.for_path("/img.dd").child("ntfs", "/x.jpg", deleted=True, inode=42)
    assert loc.flag("deleted")
    assert not loc.flag("carved")
    assert loc.leaf.get("inode") == 42
    assert Locator.from_json(json.loads(json.dumps(loc.to_json()))) == loc


def test_key_is_canonical() -> None:
    a = Locator.for_path("/e").child("zip", "x", b=1, a=2)
    b = Locator.for_path("/e").child("zip", "x", a=2, b=1)
    assert a.key() == b.key()


def test_non_utf8_names_survive_byte_exact() -> None:
    raw = b"/ev/caf\xe9-\xff.jpg"
    loc = Locator.for_path(raw)
    again = Locator.from_json(loc.key())
    assert os.fsencode(again.leaf.path) == raw
    assert loc.key().isascii()
    assert "\\xe9" in loc.display()
    assert escape_path(os.fsdecode(b"a\nb")) == "a\\nb"


def test_bad_json_is_refused() -> None:
    with pytest.raises(ValueError):
        Locator.from_json("[]")

"""vigil.inert: evidence text made safe to store and show, ordinary text untouched."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime

import pytest

from vigil.inert import (
    MAX_CHARS,
    cut_marker,
    escape_char,
    inert,
    inert_size,
    inert_time,
    inert_value,
)
from vigil.sources.locator import escape_path


@pytest.mark.parametrize(
    "text",
    ["holiday.jpg", "Фото 2019/ünïcødé.png", "a\\b [bold] ✓ 日本語", "x" * MAX_CHARS, ""],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert inert(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x00b", "a\\x00b"),
        ("line\nbreak\ttab\r", "line\\nbreak\\ttab\\r"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x7f\x85", "\\x7f\\x85"),
        ("gpj.\u202eexe", "gpj.\\u202eexe"),  # right-to-left override
        ("\u2066a\u2069\u200f", "\\u2066a\\u2069\\u200f"),  # isolates, RLM
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("tag\U000e0041", "tag\\U000e0041"),
    ],
)
def test_unprintable_characters_are_escaped_visibly(text: str, shown: str) -> None:
    assert inert(text) == shown
    assert inert(text).isprintable()


def test_undecodable_bytes_show_as_the_byte() -> None:
    name = os.fsdecode(b"caf\xe9\xff.bin")
    assert inert(name) == "caf\\xe9\\xff.bin"
    # A lone surrogate that is no escaped byte cannot be encoded at all: still shown.
    assert inert("a\ud800b") == "a\\ud800b"


def test_escape_path_is_inert_without_a_bound() -> None:
    name = os.fsdecode(b"\xe9\x00\x1b") + "\u202e" + "y" * (MAX_CHARS * 2)
    assert escape_path(name) == "\\xe9\\x00\\x1b\\u202e" + "y" * (MAX_CHARS * 2)


def test_overlong_text_is_cut_with_a_marker() -> None:
    text = "n" * 10_000
    out = inert(text, limit=100)
    assert 95 <= len(out) <= 100  # the marker's room is sized for the longest count
    assert out.endswith(cut_marker(10_000 - out.index("…")))
    assert out.startswith("n" * 50)


def test_a_cut_never_splits_an_escape() -> None:
    text = "\x00" * 1000
    out = inert(text, limit=103)
    body = out[: out.index("…")]
    assert len(out) <= 103
    assert body == "\\x00" * (len(body) // 4)
    assert out.endswith(cut_marker(1000 - len(body) // 4))


@pytest.mark.parametrize("text", ["\x00" * 5000, "a\u202e" * 3000, "plain " * 2000, "\x1b" * 7])
def test_inert_is_a_fixed_point(text: str) -> None:
    once = inert(text, limit=500)
    assert inert(once, limit=500) == once
    assert len(once) <= 500


def test_no_limit_escapes_but_never_cuts() -> None:
    assert inert("\x00" * 5000, limit=None) == "\\x00" * 5000


def test_escape_char_keeps_printables() -> None:
    assert escape_char("é") == "é"
    assert escape_char("\x00") == "\\x00"


def test_inert_value_walks_json_like_data() -> None:
    value = {"na\x00me": ["ok", "bad\x1b", {"deep": "\u202e"}], "n": 3, "none": None, "f": 1.5}
    assert inert_value(value) == {
        "na\\x00me": ["ok", "bad\\x1b", {"deep": "\\u202e"}],
        "n": 3,
        "none": None,
        "f": 1.5,
    }


def test_inert_value_cuts_strings_but_not_keys() -> None:
    key = "k" * 300
    out = inert_value({key: "v" * 300}, limit=100)
    assert list(out) == [key]
    assert len(out[key]) == 100


def test_inert_value_drops_what_json_cannot_hold() -> None:
    assert inert_value({"t": math.inf, "u": [-math.inf, math.nan], "ok": 2.5}) == {
        "t": None,
        "u": [None, None],
        "ok": 2.5,
    }


@pytest.mark.parametrize(
    ("value", "kept"),
    [(0, 0), (2**63 - 1, 2**63 - 1), (2**63, None), (2**88, None), (-1, None), (True, None),
     (None, None)],
)  # fmt: skip
def test_inert_size_fits_a_bigint(value: int | None, kept: int | None) -> None:
    assert inert_size(value) == kept


@pytest.mark.parametrize(
    ("value", "kept"),
    [(1_700_000_000, 1_700_000_000.0), (-1.5, -1.5), (253_402_300_799, 253_402_300_799.0),
     (253_402_300_800, None), (-62_135_596_801, None), (1e300, None), (math.nan, None),
     (math.inf, None), (None, None)],
)  # fmt: skip
def test_inert_time_is_a_date_reports_can_show(value: float | None, kept: float | None) -> None:
    assert inert_time(value) == kept
    if kept is not None:
        datetime.fromtimestamp(kept, UTC)  # what reports/gather.py does with it

"""vigil.cli.output: values print literally on a colour terminal, JSON stays exact and inert."""

from __future__ import annotations

import io
import json
import os

import pytest
from rich.console import Console
from rich.table import Table

from vigil.cli.output import echo_text, line, plain, print_json

HOSTILE = "[link=https://evil.example]x[/link] [reverse]a[conceal]b [/] [ :smile: \x1b[2J\u202e"


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=300)
    return console, out


def test_plain_and_line_print_markup_literally_on_a_colour_terminal() -> None:
    console, out = _terminal()
    console.print(line(("Case ", "bold"), HOSTILE, (" end", "red")))
    table = Table(title=plain(HOSTILE))
    table.add_column("Name")
    table.add_row(plain(HOSTILE))
    console.print(table)
    text = out.getvalue()
    assert "\x1b]8;" not in text  # no hyperlink
    assert "\x1b[7m" not in text and "\x1b[8m" not in text  # no reverse, no conceal
    assert "\x1b[2J" not in text and "\u202e" not in text
    assert "\x1b[1m" in text  # our own styling still applies
    shown = "[link=https://evil.example]x[/link] [reverse]a[conceal]b [/] [ :smile: \\x1b[2J\\u202e"
    assert text.count(shown) == 3  # the line, the title and the cell


def test_a_lone_closing_bracket_does_not_crash() -> None:
    console, out = _terminal()
    console.print(line("folder /ev/[/x] and [/"))
    assert "folder /ev/[/x] and [/" in out.getvalue()


def test_echo_text_escapes_control_characters() -> None:
    assert echo_text("case \x1b[31mred\x00\n") == "case \\x1b[31mred\\x00\\n"


@pytest.mark.parametrize(
    "value",
    [
        "bidi \u202e override",
        os.fsdecode(b"undecodable \xff byte"),
        "tag \U000e0041 astral",
        "c1 \x85 and nul \x00 and esc \x1b",
        "ordinary ünïcødé ✓",
    ],
)
def test_print_json_keeps_the_value_and_prints_no_unprintable(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    print_json({"name": value, "list": [value]})
    out = capsys.readouterr().out
    assert all(c == "\n" or c.isprintable() for c in out)
    assert json.loads(out) == {"name": value, "list": [value]}

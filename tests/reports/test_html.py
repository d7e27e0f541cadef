"""The HTML report: self-contained, no image content, accessible tables, hostile names escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from vigil.reports import Report
from vigil.reports.html import render_html
from vigil.reports.model import ItemRow


class _Tags(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def html(rendered: tuple[Report, Any]) -> str:
    return render_html(rendered[0])


def test_self_contained_without_image_content_or_scripts(html: str) -> None:
    tags = _tags(html)
    names = {t for t, _ in tags}
    assert not names & {"img", "script", "link", "iframe", "object", "embed", "video", "picture"}
    for _, attrs in tags:
        for key in ("src", "href", "xlink:href"):
            value = attrs.get(key) or ""
            assert not value or value.startswith("#"), f"external reference {key}={value!r}"
    assert "url(" not in html and "@import" not in html
    assert "data:image" not in html


def test_every_table_has_a_caption_and_scoped_headers(html: str) -> None:
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
    assert len(tables) >= 8
    for table in tables:
        assert "<caption>" in table
        for th in re.findall(r"<th\b[^>]*>", table):
            assert 'scope="' in th, th


def test_charts_are_inline_svg_with_titles(html: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    assert all('role="img"' in s and "<title>" in s for s in svgs)
    assert "Category A" in svgs[0]


def test_print_css_and_counts_present(html: str, rendered: tuple[Report, Any]) -> None:
    report = rendered[0]
    assert "@media print" in html and "@page" in html
    assert f"seq {report.audit.seq} · {report.audit.head}" in html
    assert "test.fixture-rule" in html and "md5_verified" in html
    # Nested E01 metadata is shown as nested lists, never as a Python repr.
    assert "<dt>examiner_name</dt><dd>DC Test</dd>" in html
    assert "{&#39;" not in html and "{'" not in html
    # The finding's description comes from a rule file: shown as text, never as markup.
    assert "&lt;b&gt;not opened&lt;/b&gt;" in html


def test_hostile_names_are_escaped(rendered: tuple[Report, Any]) -> None:
    report = rendered[0]
    evil = ItemRow(
        id=1,
        exhibit="Exhibit 1",
        locator='os:/x/<script>alert(1)</script>"><img src=x onerror=alert(2)>.jpg',
        locator_key="[]",
        name="evil.jpg",
        family="image",
        file_type="jpeg",
        location="live",
        size=1,
        mtime=None,
        md5="0" * 32,
        sha1=None,
        sha256=None,
        pdq=None,
        pdq_quality=None,
    )
    original = report.unknown
    try:
        report.unknown = [evil]
        out = render_html(report)
    finally:
        report.unknown = original
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_marking_and_page_boxes_cannot_be_broken_out_of() -> None:
    from vigil.reports.html import css_string

    hostile = 'a"; } </style><script>x</script>'
    escaped = str(css_string(hostile))
    assert escaped.startswith('"a\\000022') and "<" not in escaped and '";' not in escaped
    assert str(css_string("OFFICIAL SENSITIVE")) == '"OFFICIAL SENSITIVE"'


def test_marking_on_screen_and_in_the_page_boxes(html: str) -> None:
    assert html.count('<p class="marking screen-only">OFFICIAL-SENSITIVE</p>') == 2
    assert "@top-center" in html and 'counter(page) " of " counter(pages)' in html

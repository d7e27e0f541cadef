"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no images).

Rendered from ``templates/report.html.j2`` with autoescaping on: every name in
a report comes from seized media and is treated as hostile text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from vigil.cases.counting import CategoryDetail
from vigil.reports.charts import category_bars, timeline_bars
from vigil.reports.model import Report

MAX_ROWS = 5000
"""Rows per item table in HTML; the JSON and CSV reports always hold every row."""

PDF_MAX_ROWS = 1000
"""Rows per item table in the PDF: Chromium takes ~10 ms per printed row of hashes."""

LOCATIONS = ("live", "archive", "deleted", "carved")
"""Where an item was found, in the order of the SFR table's columns."""


def render_html(report: Report, max_rows: int = MAX_ROWS) -> str:
    """The report as one HTML document, listing at most ``max_rows`` items per table."""
    template = _environment().get_template("report.html.j2")
    total_rows = [
        (label, _detail(report.summary.categories, label)) for label in report.category_order
    ]
    return template.render(
        r=report,
        s=report.summary,
        sfr_rows=total_rows,
        exhibit_rows=[
            (e, [(label, _detail(e.summary.categories, label)) for label in report.category_order])
            for e in report.exhibits
        ],
        locations=LOCATIONS,
        max_rows=max_rows,
        category_chart=category_bars(
            [(label, d.total.instances) for label, d in total_rows],
            "Hit instances by category, all exhibits",
        ),
        timeline_chart=timeline_bars(report.timeline, "Image and video file dates"),
        taken_chart=timeline_bars(report.taken_timeline, "Picture taken dates (EXIF)"),
        totals=_totals,
    )


def _detail(categories: dict[str, CategoryDetail], label: str) -> CategoryDetail:
    return categories.get(label) or CategoryDetail()


def _totals(rows: list[tuple[str, CategoryDetail]]) -> CategoryDetail:
    """The total row of an SFR table (unique counts summed per category: MD5s differ by row)."""
    out = CategoryDetail()
    for _, d in rows:
        for name in ("images", "videos", "other", "total"):
            mine, theirs = getattr(out, name), getattr(d, name)
            mine.instances += theirs.instances
            mine.unique += theirs.unique
        for where, count in d.by_location.items():
            out.by_location[where] = out.by_location.get(where, 0) + count
        out.exact += d.exact
        out.perceptual += d.perceptual
        out.graded += d.graded
    return out


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("vigil.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["when"] = _when
    env.filters["size"] = _size
    env.filters["duration"] = _duration
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, every character but letters, digits and spaces
    escaped (a name from seized media can end neither the string nor the ``<style>``)."""
    safe = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):06x}" for ch in text
    )
    return Markup(f'"{safe}"')


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else ("—" if value is None else str(value))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n:,} bytes" if unit == "bytes" else f"{value:,.1f} {unit} ({n:,} bytes)"
        value /= 1024
    return f"{n:,} bytes"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"

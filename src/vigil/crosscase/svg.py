"""The link graph and trend charts as inline SVG, drawn on the server (no script, no library).

Like reports/charts.py: every chart has a ``<title>`` and an ``aria-label``, and
the page shows the same numbers in a table, so nothing is said only by the picture.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from vigil.crosscase.links import Edge
from vigil.crosscase.trends import Period
from vigil.reports.charts import svg_open

STRONG = "#b22222"
WEAK = "#7f8c8d"
NODE = "#1f4e79"
BAR = "#1f4e79"


def link_graph_svg(names: dict[int, str], edges: list[Edge], title: str) -> Markup:
    """Cases on a circle, a line per link: red for strong (media in no set), grey for weak.

    A line's width grows with the log of the items shared, so one heavy link
    does not hide the rest.
    """
    size = 640 if len(names) <= 40 else 900
    centre, radius = size / 2, size / 2 - 110
    order = sorted(names, key=lambda i: names[i])
    where: dict[int, tuple[float, float]] = {}
    for n, case_id in enumerate(order):
        angle = 2 * math.pi * n / max(len(order), 1) - math.pi / 2
        where[case_id] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    parts = [svg_open(size, size, title)]
    for e in edges:
        (x1, y1), (x2, y2) = where[e.a], where[e.b]
        width = 1 + math.log2(1 + e.strong + e.weak)
        colour, kind = (STRONG, "strong") if e.strong else (WEAK, "weak")
        label = f"{names[e.a]} – {names[e.b]}: {e.strong} strong, {e.weak} weak"
        parts.append(
            f'<line class="link {kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="{width:.1f}"><title>{escape(label)}</title></line>'
        )
    for case_id in order:
        x, y = where[case_id]
        anchor = "start" if x >= centre else "end"
        dx = 10 if x >= centre else -10
        parts.append(
            f'<circle class="case" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{NODE}"/>'
            f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">'
            f"{escape(names[case_id])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_bars(periods: list[Period], figure: str, title: str) -> Markup:
    """One column per period of ``figure``; a suppressed period is a labelled gap, not a zero."""
    width, height, left, bottom = 640, 220, 50, 40
    plot_w, plot_h = width - left - 10, height - bottom - 10
    values = [_value(p, figure) for p in periods]
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    step = plot_w / max(len(periods), 1)
    bar = min(step * 0.8, 48.0)
    parts = [
        svg_open(width, height, title),
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" '
        'stroke="#333"/>',
        f'<text x="{left - 4}" y="18" text-anchor="end">{_number(top)}</text>',
    ]
    for i, (p, v) in enumerate(zip(periods, values, strict=True)):
        x = left + i * step + (step - bar) / 2
        if v is None:
            parts.append(
                f'<text class="suppressed" x="{x + bar / 2:.1f}" y="{plot_h:.1f}" '
                f'text-anchor="middle" font-size="10">suppressed</text>'
            )
        else:
            h = plot_h * v / top
            parts.append(
                f'<rect x="{x:.1f}" y="{10 + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{BAR}">'
                f"<title>{escape(p.label)}: {_number(v)}</title></rect>"
            )
        if len(periods) <= 12 or i in (0, len(periods) - 1):
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 22}" text-anchor="middle" '
                f'font-size="11">{escape(p.label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _value(period: Period, figure: str) -> float | None:
    found = period.cases if figure == "cases" else period.figures.get(figure)
    if found is None or found.suppressed or found.value is None:
        return None
    return float(found.value)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"

"""Charts as inline SVG (no scripts, no external assets): they print and they stay in the file.

Each chart carries a ``<title>`` and ``aria-label`` and is accompanied in the
report by a table of the same numbers, so nothing is said only by the picture.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from vigil.reports.model import TimelineBin

BAR_COLOUR = "#1f4e79"
SERIES = (
    ("hits", "Hits", "#b22222"),
    ("unknown", "Unknown", "#d9a400"),
    ("other", "Other", "#7f8c8d"),
)
"""Timeline series: review state, legend text, colour (distinct in greyscale print too)."""


def svg_open(width: int, height: int, title: str) -> str:
    """The opening tag of a chart: its size, and its title for screen readers and tooltips."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def category_bars(rows: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one per category, labelled with the count."""
    height = 28 * len(rows) + 16
    width, label_w, bar_w = 640, 220, 340
    top = max((value for _, value in rows), default=0) or 1
    parts = [svg_open(width, height, title)]
    for i, (label, value) in enumerate(rows):
        y = 8 + i * 28
        length = round(bar_w * value / top)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length}" height="20" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_w + length + 6}" y="{y + 15}">{value:,}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline_bars(bins: list[TimelineBin], title: str) -> Markup:
    """Stacked columns per period (hits, unknown, other media), with the first and last period."""
    width, height, left, bottom = 640, 220, 40, 40
    plot_w, plot_h = width - left - 10, height - bottom - 10
    top = max((b.hits + b.unknown + b.other for b in bins), default=0) or 1
    step = plot_w / max(len(bins), 1)
    bar = min(step * 0.8, 48.0)  # one month alone should not fill the plot
    parts = [
        svg_open(width, height, title),
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" '
        'stroke="#333"/>',
        f'<text x="{left - 4}" y="18" text-anchor="end">{top:,}</text>',
    ]
    for i, b in enumerate(bins):
        x = left + i * step + (step - bar) / 2
        y = 10.0 + plot_h
        for key, _, colour in SERIES:
            value = getattr(b, key)
            if value:
                h = plot_h * value / top
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{escape(b.period)}: {value:,} {key}</title></rect>'
                )
    if bins:
        parts.append(f'<text x="{left}" y="{height - 22}">{escape(bins[0].period)}</text>')
        parts.append(
            f'<text x="{width - 10}" y="{height - 22}" text-anchor="end">'
            f"{escape(bins[-1].period)}</text>"
        )
    for i, (_, legend, colour) in enumerate(SERIES):
        x = left + i * 120
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{height - 5}">{legend}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

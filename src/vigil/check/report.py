"""The one-page HTML (and PDF) an officer files after a device check.

Self-contained and inert: inline CSS, no scripts, no images, a Content
Security Policy that forbids loading anything, and autoescaping on for every
name (already made inert by :mod:`vigil.check.outcome`). The PDF is the same
HTML printed by the report module's headless Chromium.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from vigil import __version__
from vigil.check.outcome import SHOWN, CheckResult
from vigil.inert import inert
from vigil.reports.pdf import write_pdf


def render_check_html(result: CheckResult) -> str:
    """The check's one-page report as an HTML document."""
    env = Environment(
        loader=PackageLoader("vigil.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Names reach here inert already (outcome.py); escaping again is harmless and
        # keeps the page inert whoever builds the result.
        finalize=lambda value: inert(value, None) if isinstance(value, str) else value,
    )
    env.filters.update(num=_num, when=_when, duration=_duration, minutes=_minutes)
    return env.get_template("check.html.j2").render(c=result, version=__version__, shown=SHOWN)


def write_check_report(result: CheckResult, target: Path) -> None:
    """Write the report to ``target``: PDF when it ends in ``.pdf``, else HTML."""
    html = render_check_html(result)
    if target.suffix.lower() == ".pdf":
        write_pdf(html, target)
    else:
        target.write_text(html, encoding="utf-8")


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s"


def _minutes(value: float) -> str:
    return f"{value:g} minute" + ("" if value == 1 else "s")

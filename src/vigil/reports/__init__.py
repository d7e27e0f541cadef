"""Case reports: counts for a court statement, hits, provenance and the audit head.

``build_report(conn, case) -> Report`` is the library call (the web app's case
pages use it too); everything else renders a :class:`Report`:

- gather.py: build_report; model.py: the dataclasses; timeline.py: file dates
- provenance.py: hash sets matched against, scan runs, audit chain heads
- html.py + templates/report.html.j2 + charts.py (inline SVG): the HTML page
- pdf.py: that page printed by headless Chromium
- json_report.py + schema/report.schema.json; csv_report.py; vics_case.py
- writer.py: make_report renders one format, writes it, appends the audit entry
"""

from __future__ import annotations

from vigil.reports.gather import build_report
from vigil.reports.model import Report

__all__ = ["Report", "build_report"]

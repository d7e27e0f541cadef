"""Case reports: counts for a court statement, hits, provenance and the audit head.

build_report(conn, case) -> Report     gather.py (model.py holds the dataclasses)
render_html(report) -> str              html.py + templates/report.html.j2, charts.py
write_pdf(html, path)                   pdf.py (headless Chromium)
report_json(report) -> dict             json_report.py + schema/report.schema.json
write_csv_report(report, out)           csv_report.py
write_vics_case(report, conn, out)      vics_case.py
write_report(store, case, format, path) writer.py: one report, one audit entry
"""

from __future__ import annotations

from vigil.reports.gather import build_report
from vigil.reports.model import Report

__all__ = ["Report", "build_report"]

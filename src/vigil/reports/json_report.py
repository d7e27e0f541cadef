"""The JSON report: the whole :class:`Report` as plain JSON, described by a shipped JSON Schema.

``schema/report.schema.json`` is package data, so another tool can validate a
report without Vigil's code; its ``format`` key names the layout version.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from importlib import resources
from typing import Any, TextIO

from vigil.reports.model import REPORT_FORMAT, Report


def report_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict (timestamps as ISO-8601 UTC)."""
    data = _plain(report)
    if not isinstance(data, dict):
        raise RuntimeError("the report did not serialise to an object")
    return {"format": REPORT_FORMAT, **data}


def write_json_report(report: Report, out: TextIO) -> None:
    """Write the report as indented UTF-8 JSON."""
    json.dump(report_json(report), out, indent=2, ensure_ascii=False, allow_nan=False)
    out.write("\n")


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every JSON report conforms to."""
    text = resources.files("vigil.reports").joinpath("schema/report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _plain(value: Any) -> Any:
    # One walk over the dataclasses: asdict() would deep-copy everything first.
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

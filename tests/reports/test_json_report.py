"""The JSON report conforms to the JSON Schema shipped in the package."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import jsonschema
import pytest

from vigil.reports import Report
from vigil.reports.json_report import report_json, report_schema, write_json_report


def test_report_validates_against_the_shipped_schema(rendered: tuple[Report, Any]) -> None:
    report = rendered[0]
    out = io.StringIO()
    write_json_report(report, out)
    data = json.loads(out.getvalue())
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["format"] == "vigil-report/1"
    a = data["summary"]["categories"]["Category A"]
    assert (a["images"]["unique"], a["images"]["instances"]) == (1, 2)
    assert a["by_location"] == {"live": 1, "archive": 1}
    assert data["exhibits"][0]["info"]["segments"] == [{"name": "disk.E01", "size": 1024}]
    assert "test.fixture-rule" in {f["rule_id"] for f in data["findings"]}
    assert data["audit"]["head"] == report.audit.head
    assert len(data["hits"]) == 9 and len(data["unknown"]) == 8


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("audit", "head"), "not-a-hash"),
        (("hits", 0, "location"), "somewhere"),
        (("hits", 0, "md5"), "XYZ"),
        (("summary", "categories", "Category A", "images", "instances"), -1),
        (("format",), "vigil-report/0"),
    ],
)
def test_schema_rejects_wrong_reports(
    rendered: tuple[Report, Any], path: tuple[Any, ...], value: Any
) -> None:
    data = copy.deepcopy(report_json(rendered[0]))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(report_schema()).validate(data)

"""The VICS 2.0 case export reads back through Vigil's own importer to the same entries."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from vigil.hashsets.formats import detect_format, read_hashset
from vigil.hashsets.schemes import load_scheme
from vigil.reports import Report
from vigil.reports.vics_case import case_media, write_vics_case


def test_round_trip_through_the_importer(rendered: tuple[Report, Any], tmp_path: Path) -> None:
    report = rendered[0]
    path = tmp_path / "case.vics.json"
    with path.open("wb") as out:
        count = write_vics_case(report, out)
    uk = load_scheme("uk")
    expected = case_media(report, uk)
    assert count == len(expected) == len({h.md5 for h in report.hits + report.unknown})
    assert detect_format(path) == "vics"
    parsed = read_hashset(path, uk)
    entries = list(parsed.entries)
    assert entries == expected
    assert parsed.info["shape"] == "Cases" and parsed.info["scheme_hint"] == "uk"
    assert parsed.info["case.CaseNumber"] == "OP-DEMO"
    assert parsed.info["case.SourceApplicationName"] == "Vigil"
    instances = sum(len(e.extra["MediaFiles"]) for e in entries)
    assert parsed.info["case.TotalMediaFiles"] == str(instances) == str(17)


def test_media_carry_category_instances_and_hashes(rendered: tuple[Report, Any]) -> None:
    report = rendered[0]
    out = io.StringIO()
    write_vics_case(report, out)
    doc = json.loads(out.getvalue())
    assert doc["@odata.context"].endswith("/UK/$metadata#Cases")
    [case] = doc["value"]
    media = case["Media"]
    by_category: dict[Any, int] = {}
    for m in media:
        by_category[m["Category"]] = by_category.get(m["Category"], 0) + len(m["MediaFiles"])
    # UK codes: 1 = A (2 instances), 2 = B (3), 3 = C (3), 4 = not indecent (1), 0 = unknown (8)
    assert by_category == {1: 2, 2: 3, 3: 3, 4: 1, 0: 8}
    category_a = next(m for m in media if m["Category"] == 1)
    assert category_a["IsPrecategorized"] is True
    assert {f["FilePath"].split(" → ")[-1] for f in category_a["MediaFiles"]} >= {"zip:album/a.jpg"}
    assert all("Written" in f for f in category_a["MediaFiles"])
    names = {a["HashName"] for m in media for a in m.get("AlternativeHashes", [])}
    assert names == {"SHA256", "PDQ"}
    assert not any(m["IsPrecategorized"] for m in media if m["Category"] == 0)

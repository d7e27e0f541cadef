"""Each inventory format parses as its own tools read it, on SQLite and PostgreSQL: CSV with the
csv module (no formulas), JSON lines, DFXML with xml.etree (schema element names and order), and
the hashdeep file with a real ``hashdeep -a -k`` audit over the evidence and extracted members."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from inventory_fixture import CASE, InventoryCase

from vigil.cases.inventory import InventoryFilter, export_inventory
from vigil.cases.inventory_csv import COLUMNS, write_csv
from vigil.cases.inventory_dfxml import DFXML_NS, fileobject
from vigil.cases.inventory_model import ByteRun, InventoryHeader, InventoryItem

NS = {"d": DFXML_NS, "dc": "http://purl.org/dc/elements/1.1/"}

# The order the DFXML schema's fileobject sequence requires (the elements Vigil writes).
FILEOBJECT_ORDER = [
    "filename", "id", "name_type", "filesize", "unalloc", "alloc", "inode", "mtime",
    "link_target", "byte_runs", "hashdigest",
]  # fmt: skip


def _export(case: InventoryCase, fmt: str, tmp_path: Path) -> str:
    target = tmp_path / f"items.{fmt}"
    export_inventory(case.store, CASE, fmt, target, InventoryFilter())
    return target.read_text(encoding="utf-8")


def test_csv_parses_with_a_row_per_item(inventory_case: InventoryCase, tmp_path: Path) -> None:
    text = _export(inventory_case, "csv", tmp_path)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == list(COLUMNS)
    by_name = {r["name"]: r for r in rows}
    assert by_name["empty.dat"]["size_bytes"] == "0" and by_name["empty.dat"]["status"] == "ok"
    assert by_name["notes.txt"]["sha256"] and by_name["notes.txt"]["family"] == "unknown"
    assert by_name["broken.jpg"]["status"] == "error" and by_name["broken.jpg"]["reason"]
    assert by_name["empty-folder"]["kind"] == "dir" and by_name["empty-folder"]["md5"] == ""
    assert by_name["notes.txt"]["modified_utc"].endswith("Z")


def test_csv_never_lets_a_name_run_as_a_formula() -> None:
    header = InventoryHeader("C", datetime.now(UTC), "me", "host", "0", [], {})
    evil = _item(name='=HYPERLINK("http://x")', path="@SUM(1)", reason="+1")
    out = io.StringIO(newline="")
    write_csv(header, [evil], out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert row["name"] == '\'=HYPERLINK("http://x")'
    assert row["path"] == "'@SUM(1)" and row["reason"] == "'+1"


def test_jsonl_is_one_object_per_line(inventory_case: InventoryCase, tmp_path: Path) -> None:
    lines = _export(inventory_case, "jsonl", tmp_path).splitlines()
    items = [json.loads(line) for line in lines]
    assert len(items) == len({i["item_id"] for i in items}) >= 9
    by_name = {i["name"]: i for i in items}
    assert by_name["empty.dat"]["size"] == 0 and by_name["empty.dat"]["on_host"] is True
    assert by_name["broken.jpg"]["status"] == "error"
    member = by_name["readme.txt"]
    assert member["on_host"] is False and member["path"] == member["locator"]
    assert datetime.fromisoformat(member["mtime"]).tzinfo is not None


def test_dfxml_follows_the_schema(inventory_case: InventoryCase, tmp_path: Path) -> None:
    text = _export(inventory_case, "dfxml", tmp_path)
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(text, parser=parser)
    assert root.tag == f"{{{DFXML_NS}}}dfxml" and root.get("version")
    assert [child.tag.split("}")[1] for child in root][:3] == ["metadata", "creator", "source"]
    assert root.find("d:metadata/dc:type", NS) is not None
    assert root.findtext("d:creator/d:program", namespaces=NS) == "Vigil"
    assert root.findtext("d:source/d:image_filename", namespaces=NS) == str(inventory_case.evidence)
    objects = root.findall("d:fileobject", NS)
    assert len(objects) >= 9
    by_name: dict[str, ET.Element] = {}
    for element in objects:
        names = [c.tag.split("}")[1] for c in element if isinstance(c.tag, str)]
        assert names == sorted(names, key=FILEOBJECT_ORDER.index), names
        by_name[os.path.basename(element.findtext("d:filename", namespaces=NS) or "")] = element
    empty = by_name["empty.dat"]
    assert empty.findtext("d:filesize", namespaces=NS) == "0"
    assert empty.findtext("d:name_type", namespaces=NS) == "r"
    digests = {h.get("type"): h.text for h in empty.findall("d:hashdigest", NS)}
    assert digests["md5"] == "d41d8cd98f00b204e9800998ecf8427e" and set(digests) == {
        "md5",
        "sha1",
        "sha256",
    }
    mtime = empty.findtext("d:mtime", namespaces=NS) or ""
    assert datetime.fromisoformat(mtime).tzinfo is not None
    assert by_name["empty-folder"].findtext("d:name_type", namespaces=NS) == "d"
    comments = [c.text or "" for c in by_name["broken.jpg"] if not isinstance(c.tag, str)]
    assert comments and "status error" in comments[0] and "decoded" in comments[0]


def test_dfxml_writes_byte_runs_where_known() -> None:
    carved = _item(name="000000004096.jpg", location="carved", runs=[ByteRun(0, 4096, 1234)])
    element = fileobject(carved)
    [run] = element.findall("byte_runs/byte_run")
    assert run.attrib == {"file_offset": "0", "img_offset": "4096", "len": "1234"}
    assert element.findtext("unalloc") == "1"
    names = [c.tag for c in element if isinstance(c.tag, str)]
    assert names.index("byte_runs") < names.index("hashdigest")


@pytest.mark.skipif(shutil.which("hashdeep") is None, reason="Debian 'hashdeep' not installed")
def test_hashdeep_audit_passes(inventory_case: InventoryCase, tmp_path: Path) -> None:
    known = tmp_path / "known.txt"
    export_inventory(inventory_case.store, CASE, "hashdeep", known)
    text = known.read_text(encoding="utf-8")
    assert text.startswith("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## ")
    assert "## not hashed (dir, ok): " in text and "## error: image could not be decoded" in text
    # Members of the ZIP have no host path: extract copies under their locator as relative path.
    copies = tmp_path / "extracted"
    member_lines = [line for line in text.splitlines() if ",os:" in line]
    assert len(member_lines) == 2
    for name, data in inventory_case.member_bytes().items():
        relative = f"os:{inventory_case.bundle} → zip:{name}"
        assert any(line.endswith("," + relative) for line in member_lines)
        target = copies / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    audit = subprocess.run(
        ["hashdeep", "-l", "-a", "-k", str(known), "-r", str(inventory_case.evidence), "os:"],
        cwd=copies,
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "Audit passed" in audit.stdout + audit.stderr
    # And it can fail: a changed file is found out.
    (copies / f"os:{inventory_case.bundle} → zip:docs/readme.txt").write_bytes(b"changed\n")
    again = subprocess.run(
        ["hashdeep", "-l", "-a", "-k", str(known), "-r", str(inventory_case.evidence), "os:"],
        cwd=copies,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode != 0 and "Audit failed" in again.stdout + again.stderr


def _item(
    name: str,
    path: str | None = None,
    reason: str | None = None,
    location: str = "live",
    runs: list[ByteRun] | None = None,
) -> InventoryItem:
    return InventoryItem(
        id=1,
        exhibit="Exhibit 1",
        run_id=1,
        locator=f"os:/ev/{name}",
        locator_key="[]",
        path=path or f"/ev/{name}",
        on_host=True,
        name=name,
        kind="file",
        status="ok",
        reason=reason,
        size=1234,
        mtime=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        file_type="jpeg",
        family="image",
        location=location,
        depth=0,
        md5="0" * 32,
        sha1="0" * 40,
        sha256="0" * 64,
        review="none",
        byte_runs=runs or [],
    )

"""Cellebrite UFDR: a zip with ``report.xml`` that maps stored files to their device paths.

``report.xml`` (namespace ``http://pa.cellebrite.com/report/2.0``) lists, under
``taggedFiles``, one ``file`` element per extracted file: its device ``path``,
``size``, ``deleted`` state, times (``accessInfo/timestamp``) and a metadata
section ``File`` whose items give the ``Local Path`` inside the zip and the
hashes Cellebrite computed (``MD5``, ``SHA256``). Project metadata gives the
device and the extraction date.

The zip reader hands a zip holding a Cellebrite ``report.xml`` to
:func:`ufdr_members`: each zip member listed in the report becomes a member
named by its device path (``deleted`` kept in the locator, with the stated
hashes, which the scan checks against the bytes it reads); members the report
does not list keep their zip path; a first note names the device and the
extraction. The report is read as a stream; a DOCTYPE is refused (entity
expansion), so a hostile report cannot blow up memory.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, cast

from vigil.inert import inert_size
from vigil.sources.archives.base import Member, Scan
from vigil.sources.archives.streams import describe, read_up_to

LAYER = "ufdr"
REPORT = "report.xml"
NAMESPACE = "http://pa.cellebrite.com/report/2.0"
_NS = "{" + NAMESPACE + "}"
HEAD_BYTES = 4096
FEED_BYTES = 1 << 16
"""Bytes fed to the parser at a time: its events for one feed are held at once (~30× the bytes)."""
MAX_FILES = 5_000_000
_DEVICE_KEYS = (
    "DeviceInfoSelectedManufacturer",
    "DeviceInfoSelectedDeviceName",
    "DeviceInfoDetectedModel",
    "DeviceInfoExtractionStartDateTime",
    "DeviceInfoUnitIdentifier",
    "DeviceInfoSerial",
    "IMEI",
)


@dataclass(slots=True)
class ReportedFile:
    """What report.xml says about one file."""

    path: str
    size: int | None = None
    deleted: bool = False
    mtime: float | None = None
    md5: str | None = None
    sha256: str | None = None


@dataclass(slots=True)
class Report:
    """Files by their path in the zip, and the extraction's own metadata."""

    files: dict[str, ReportedFile] = field(default_factory=dict)
    project: dict[str, str] = field(default_factory=dict)


def is_ufdr(archive: zipfile.ZipFile) -> bool:
    """True when the zip holds a Cellebrite ``report.xml`` at its root."""
    try:
        info = archive.getinfo(REPORT)
    except KeyError:
        return False
    try:
        with archive.open(info) as raw:
            head = read_up_to(raw, HEAD_BYTES)
    except Exception:
        return False  # an unreadable report: plain zip members, read as such
    return NAMESPACE.encode() in head


def read_report(stream: BinaryIO) -> Report:
    """Parse a report.xml stream; raises ValueError in words on a hostile or broken one."""
    report = Report()
    try:
        _parse(stream, report)
    except LookupError as exc:
        # The XML declaration names the encoding: a damaged name ("uuf-8") or a codec
        # that is no text encoding ("rot13") is a broken report like any other.
        raise ValueError(f"report.xml names an encoding that cannot be read ({exc})") from exc
    return report


def _parse(stream: BinaryIO, report: Report) -> None:
    head = stream.read(HEAD_BYTES)
    if b"<!DOCTYPE" in head.upper():
        raise ValueError("report.xml declares a DOCTYPE: refused (entity expansion)")
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    parser.feed(head)
    walk = _Walk(report)
    tail = head[-8:]  # a DOCTYPE cut in two by a read is still seen
    while True:
        _drain(parser, walk)
        block = stream.read(FEED_BYTES)
        if not block:
            break
        if b"<!DOCTYPE" in (tail + block).upper():
            raise ValueError("report.xml declares a DOCTYPE: refused (entity expansion)")
        tail = block[-8:]
        parser.feed(block)
    parser.close()
    _drain(parser, walk)


def _drain(parser: ET.XMLPullParser[ET.Element], walk: _Walk) -> None:
    for found in parser.read_events():
        # Only start/end were asked for: every item is (event, element).
        event, elem = cast(tuple[str, ET.Element], found)
        if event == "start":
            walk.start(elem)
        else:
            walk.end(elem)


class _Walk:
    """Where the parse is in report.xml, in time and memory that do not grow with depth.

    Open elements are a stack; how many ``file`` and ``taggedFiles`` elements are
    open is counted (asking the stack would cost its depth per element: nested
    ``item`` elements made a 500 KiB report take 18 s). An element that has
    ended is dropped from its parent unless a ``file`` still open needs it, so
    the tree never holds more than the open path and the current file.
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        self.open: list[tuple[str, ET.Element]] = []
        self.files_open = 0
        self.tagged_open = 0

    def start(self, elem: ET.Element) -> None:
        tag = elem.tag.removeprefix(_NS)
        self.open.append((tag, elem))
        if tag == "file":
            self.files_open += 1
        elif tag == "taggedFiles":
            self.tagged_open += 1
        elif tag == "project":
            for key in ("name", "extractionType", "reportVersion"):
                if elem.get(key):
                    self.report.project[key] = elem.get(key, "")[:200]

    def end(self, elem: ET.Element) -> None:
        tag, _ = self.open.pop()
        parent = self.open[-1] if self.open else None
        if tag == "file":
            self.files_open -= 1
            if self.tagged_open:
                self._file(elem)
        elif tag == "taggedFiles":
            self.tagged_open -= 1
        elif tag == "item" and not self.files_open and parent and parent[0] == "metadata":
            name = elem.get("name", "")
            if name in _DEVICE_KEYS and elem.text:
                self.report.project[name] = elem.text.strip()[:200]
        elif tag == "extractionInfo":
            for key in ("deviceName", "fullName", "type"):
                if elem.get(key):
                    self.report.project.setdefault(f"extraction_{key}", elem.get(key, "")[:200])
        if parent is not None and not self.files_open:
            parent[1].remove(elem)  # its parent's only child by now: nothing to search

    def _file(self, elem: ET.Element) -> None:
        found = _file(elem)
        if found is not None and len(self.report.files) < MAX_FILES:
            local, reported = found
            self.report.files[local] = reported
        elem.clear()


def _file(elem: ET.Element) -> tuple[str, ReportedFile] | None:
    items: dict[str, str] = {}
    times: dict[str, str] = {}
    for child in elem.iter():
        tag = child.tag.removeprefix(_NS)
        if tag == "item" and child.text:
            items[child.get("name", "")] = child.text.strip()
        elif tag == "timestamp" and child.text:
            times[child.get("name", "")] = child.text.strip()
    local = items.get("Local Path")
    if not local:
        return None
    size = elem.get("size", "")
    reported = ReportedFile(
        path=elem.get("path", "") or local,
        size=inert_size(int(size))
        if size.isascii() and size.isdigit() and len(size) < 20
        else None,
        deleted=elem.get("deleted", "Intact").lower() == "deleted",
        mtime=_time(times.get("ModifyTime")),
        md5=_hex(items.get("MD5"), 32),
        sha256=_hex(items.get("SHA256"), 64),
    )
    return local.replace("\\", "/").lstrip("/"), reported


def _hex(value: str | None, length: int) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    return text if len(text) == length and all(c in "0123456789abcdef" for c in text) else None


def _time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def ufdr_members(
    archive: zipfile.ZipFile,
    scan: Scan,
    member_of: Callable[[zipfile.ZipInfo, str, dict[str, Any]], Member],
) -> Iterator[Member]:
    """Members of a UFDR zip; ``member_of(info, name, attrs)`` builds each like the zip reader."""
    scan.layer = LAYER
    try:
        with archive.open(REPORT) as raw:
            report = read_report(raw)  # type: ignore[arg-type]
        yield scan.note("skipped", _summary(report))
    except (ValueError, ET.ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
        report = Report()  # every member is still listed, by its path in the zip
        yield scan.note("error", f"report.xml unreadable ({describe(exc)}); files keep zip paths")
    for info in archive.infolist():
        reported = report.files.get(info.filename)
        if reported is None:
            yield member_of(info, info.filename, {"zip_path": None})
            continue
        attrs: dict[str, Any] = {
            "zip_path": info.filename,
            "deleted": reported.deleted or None,
            "stated_md5": reported.md5,
            "stated_sha256": reported.sha256,
        }
        yield member_of(info, reported.path, attrs)


def _summary(report: Report) -> str:
    p = report.project
    device = (
        " ".join(
            v
            for v in (
                p.get("DeviceInfoSelectedManufacturer"),
                p.get("DeviceInfoSelectedDeviceName"),
            )
            if v
        )
        or p.get("extraction_deviceName")
        or "device not stated"
    )
    parts = [f"Cellebrite UFDR: {device}"]
    if p.get("extractionType") or p.get("extraction_type"):
        parts.append(f"extraction {p.get('extractionType') or p.get('extraction_type')}")
    if p.get("DeviceInfoExtractionStartDateTime"):
        parts.append(f"started {p['DeviceInfoExtractionStartDateTime']}")
    parts.append(f"{len(report.files)} files listed in report.xml")
    return "; ".join(parts)


def stated_hash_problem(
    attrs: dict[str, Any], md5: bytes | None, sha256: bytes | None
) -> str | None:
    """Why the bytes read differ from the hashes the extraction states (None: they agree)."""
    problems = []
    if attrs.get("stated_md5") and md5 is not None and md5.hex() != attrs["stated_md5"]:
        problems.append(f"MD5 {md5.hex()} read, {attrs['stated_md5']} stated")
    stated = attrs.get("stated_sha256")
    if stated and sha256 is not None and sha256.hex() != stated:
        problems.append(f"SHA-256 {sha256.hex()[:16]}… read, {stated[:16]}… stated")
    if not problems:
        return None
    return "differs from the hash the extraction's report.xml states: " + "; ".join(problems)

"""The report of a case as plain dataclasses: what every output format renders.

``build_report`` (``gather.py``) fills these from the store; the HTML, PDF,
JSON, CSV and VICS writers only read them, and the web app reuses them for its
case pages. Nothing here holds image content: hashes, names and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigil.cases.counting import CaseSummary
from vigil.cases.grades import GradeRecord

REPORT_FORMAT = "vigil-report/1"
"""Name and version of the JSON layout (see ``schema/report.schema.json``)."""

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
"""Government Security Classification printed at the top of every page (``--marking``)."""


@dataclass(slots=True)
class Exhibit:
    """One exhibit with the counts of its counted scan (its latest finished run).

    ``id`` is that scan's evidence row; ``label`` is the exhibit's reference
    (``JS/1``, or ``Exhibit 1`` when none was given), unique within the case.
    ``superseded_runs`` are earlier runs of the exhibit that a re-scan replaced:
    listed for the record, never counted.
    """

    id: int
    run_id: int
    ordinal: int
    label: str
    path: str
    kind: str
    sha256: str | None
    size: int | None
    info: dict[str, Any] | None
    summary: CaseSummary
    description: str | None = None
    seized_at: str | None = None
    seized_when: str | None = None
    superseded_runs: list[int] = field(default_factory=list)


@dataclass(slots=True)
class MatchRow:
    """One match of an item against a graded set."""

    hashset: str
    set_category: str  # label in the set's scheme, as it was when matched
    algorithm: str  # md5, sha1, sha256, pdq, vpdq
    distance: int  # bits for PDQ (vPDQ: median over matched frames), 0 for exact
    variant: int | None  # PDQ rotation/flip that matched
    set_version: str | None = None  # the set's version (file) when matched
    set_revision: int | None = None  # the set's revision counter when matched
    frame_s: float | None = None  # a video's hit: time of the frame it was found at
    segments: list[list[float]] | None = None  # a video's hit: matched [start, end] seconds


@dataclass(slots=True)
class ItemRow:
    """An item of interest: a hit, an item awaiting grading or graded in review, or an error."""

    id: int
    exhibit: str
    locator: str  # the display form of the chained locator
    locator_key: str  # the serialised locator, to reopen the item
    name: str
    family: str | None
    file_type: str | None
    location: str
    size: int | None
    mtime: datetime | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    pdq_quality: int | None
    category: str | None = None  # the label it counts under (hits only)
    basis: str | None = None  # exact, perceptual or graded (hits only)
    matches: list[MatchRow] = field(default_factory=list)
    status: str = "ok"
    reason: str | None = None
    grade: GradeRecord | None = None  # its grade in review: who, when, single/agreed/resolved
    exif: ExifRow | None = None  # what the picture's EXIF said, read at scan time
    new_material: bool = False  # in no set and no earlier case (vigil.crosscase.first_seen)


@dataclass(slots=True)
class ExifRow:
    """A picture's EXIF as the scan read it. GPS coordinates are not carried in reports:
    ``gps_present`` says they exist; the app shows them on request (audited)."""

    taken: str | None  # camera time, ISO 8601, no zone unless the camera recorded one
    camera_make: str | None
    camera_model: str | None
    software: str | None
    gps_present: bool


@dataclass(slots=True)
class FindingRow:
    """An indicator finding (concealment, downloading, storage, sharing)."""

    rule_id: str
    family: str
    severity: str
    description: str
    exhibit: str | None
    locators: list[str]
    detail: dict[str, Any] | None


@dataclass(slots=True)
class HashSetUsed:
    """A hash set the shown results were matched against, as recorded when matching.

    ``run_id`` is None for a set whose hits were stored before set versions
    were recorded (grades made in review then); only its name is known.
    ``set_revision`` counts changes to the set's entries (imports, grades).
    """

    run_id: int | None
    name: str
    known_good: bool
    scheme: str
    version: str | None
    source_date: str | None
    source_sha256: str | None
    entry_count: int | None
    imported_at: str | None
    set_revision: int | None = None


@dataclass(slots=True)
class RevisionShown:
    """Which revision of the case's results a report shows, and how it came about.

    Revision 1 is what the scans matched; each ``vigil case rematch`` adds one.
    """

    number: int
    latest: int
    kind: str | None  # scan, rematch (None: nothing scanned yet)
    created_at: datetime | None
    created_by: str | None


@dataclass(slots=True)
class RunProvenance:
    """Who scanned what, where, when, with which tool and settings."""

    id: int
    status: str
    examiner: str
    host: str
    started_at: datetime
    finished_at: datetime | None
    elapsed_s: float
    resumed_count: int
    versions: dict[str, str]
    thresholds: dict[str, Any]


@dataclass(slots=True)
class AuditState:
    """The case's audit chain at the time of the report: its head and whether it is intact."""

    seq: int
    head: str
    intact: bool
    problems: list[str]
    global_seq: int
    global_head: str


@dataclass(slots=True)
class TimelineBin:
    """Media items whose file date falls in one period (a month or a year)."""

    period: str
    hits: int
    unknown: int
    other: int


@dataclass(slots=True)
class Report:
    """Everything a case report says, ready to render."""

    case: str
    scheme: str
    scheme_title: str
    category_order: list[str]  # labels in the scheme's order, for the SFR table
    created_at: datetime
    created_by: str
    generated_at: datetime
    generated_by: str
    host: str
    vigil_version: str
    summary: CaseSummary
    exhibits: list[Exhibit]
    hits: list[ItemRow]
    unknown: list[ItemRow]
    errors: list[ItemRow]
    findings: list[FindingRow]
    hashsets: list[HashSetUsed]
    runs: list[RunProvenance]
    timeline: list[TimelineBin]
    audit: AuditState
    revision: RevisionShown
    notes: list[str] = field(default_factory=list)
    marking: str = DEFAULT_MARKING
    graded: list[ItemRow] = field(default_factory=list)  # every item graded in review
    taken_timeline: list[TimelineBin] = field(default_factory=list)  # by EXIF taken date
    new_material: int = 0  # unknown items in no set and no earlier case, when made

"""VICS 2.0 export of a case: a ``#Cases`` document whose Media are the case's media.

One Media per distinct MD5 among the hits, the unknown images and videos and
the media graded *uncategorised* in review,
with a MediaFiles entry for every instance (where it was found, its file date,
deleted or carved). Hits carry the category they count under in the case's
scheme; unknown and uncategorised media go out uncategorised for grading. Vigil's own importer
(``read_hashset``) reads the export back to the same entries.
"""

from __future__ import annotations

from typing import Any, BinaryIO, TextIO

from vigil import __version__
from vigil.hashsets.formats.vics_fields import iso_utc
from vigil.hashsets.formats.vics_writer import write_vics
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import CategoryLookupError, Scheme, load_scheme
from vigil.reports.model import ItemRow, Report


def case_media(report: Report, scheme: Scheme) -> list[HashEntry]:
    """The case's Media entries (see the module doc), in the order the report lists items."""
    by_md5: dict[str, HashEntry] = {}
    hit_ids = {row.id for row in report.hits}
    # Graded uncategorised: no longer awaiting in this case, but still not decided.
    undecided = [row for row in report.graded if row.id not in hit_ids]
    for row in [*report.hits, *report.unknown, *undecided]:
        if row.md5 is None:
            continue  # VICS keys Media by MD5; an item without one cannot be carried
        entry = by_md5.get(row.md5)
        if entry is None:
            entry = by_md5[row.md5] = _entry(row, scheme, len(by_md5) + 1)
        entry.extra["MediaFiles"].append(_media_file(row))
    return list(by_md5.values())


def write_vics_case(report: Report, out: BinaryIO | TextIO) -> int:
    """Write the case as a VICS 2.0 ``#Cases`` document; returns the number of Media."""
    scheme = load_scheme(report.scheme)
    media = case_media(report, scheme)
    return write_vics(media, out, scheme, shape="Cases", case_info=case_info(report, media))


def case_info(report: Report, media: list[HashEntry]) -> dict[str, Any]:
    """The Case object's own fields."""
    return {
        "CaseNumber": report.case,
        "ContactName": report.generated_by,
        "SourceApplicationName": "Vigil",
        "SourceApplicationVersion": __version__,
        "TotalMediaFiles": sum(len(m.extra["MediaFiles"]) for m in media),
    }


def _entry(row: ItemRow, scheme: Scheme, media_id: int) -> HashEntry:
    # Precategorised: the category came from a hash set, not from this force's review.
    prior = row.basis in ("exact", "perceptual")
    extra: dict[str, Any] = {"IsPrecategorized": prior, "MediaFiles": []}
    category = _category_key(row, scheme, extra)
    return HashEntry(
        md5=bytes.fromhex(row.md5 or ""),
        sha1=bytes.fromhex(row.sha1) if row.sha1 else None,
        sha256=bytes.fromhex(row.sha256) if row.sha256 else None,
        pdq=bytes.fromhex(row.pdq) if row.pdq else None,
        pdq_quality=row.pdq_quality if row.pdq else None,
        category=category,
        name=row.name,  # the first instance's name, which MediaFiles also says
        size=row.size,
        media_id=str(media_id),
        extra=extra,
    )


def _category_key(row: ItemRow, scheme: Scheme, extra: dict[str, Any]) -> str | None:
    """The case scheme's key for what a hit counts as; unknown media stay uncategorised."""
    if row.category is None:
        return scheme.null_means
    try:
        return scheme.resolve(row.category)
    except CategoryLookupError:
        # A conflict between sets, or a label the case's scheme lacks: leave it to the grader.
        extra["Comments"] = f"Vigil: counted as {row.category!r}; needs grading in {scheme.name}"
        extra["IsPrecategorized"] = False
        return scheme.null_means


def _media_file(row: ItemRow) -> dict[str, Any]:
    media_file: dict[str, Any] = {
        "FileName": row.name,
        "FilePath": row.locator,
        "Deleted": row.location == "deleted",
        "Unallocated": row.location == "carved",
        "SourceID": row.exhibit,
    }
    if row.mtime is not None:
        media_file["Written"] = iso_utc(row.mtime.isoformat())
    return media_file

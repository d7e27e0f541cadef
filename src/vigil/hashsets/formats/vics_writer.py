"""Writers: VICS 2.0 JSON for Griffeye, CAID and other VICS tools, and a plain CSV list.

Both stream: each record is written as it is pulled from ``entries``, so an
export of millions of entries needs the memory of one. ``write_vics`` writes
back everything ``read_vics`` keeps, so read → write → read is lossless.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, TextIO, cast

from vigil.csv_safety import FORMULA_START
from vigil.errors import ExportError
from vigil.hashsets.formats.csvlist import COLUMNS
from vigil.hashsets.formats.vics_fields import CORE_FIELDS, first_file_name
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import Category, CategoryLookupError, Scheme

VICS_CONTEXT = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#{shape}"
)
"""The VICS 2.0 ``@odata.context``; the region names the category scheme."""

REGIONS = {"uk": "UK", "us": "US"}
"""Scheme name → VICS region; any other scheme is written as CUSTOM."""

SHAPES = ("Media", "Cases")


def write_vics(
    entries: Iterable[HashEntry],
    out: BinaryIO | TextIO,
    scheme: Scheme,
    shape: str = "Media",
    case_info: dict[str, Any] | None = None,
) -> int:
    """Write entries as a VICS 2.0 Media set, or as one case with ``case_info``; returns the count.

    Categories are written as the scheme's numeric codes. ExportError names the
    first entry that VICS cannot carry (no MD5, a category without a code).
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, not {shape!r}")
    if case_info is not None and (shape != "Cases" or "Media" in case_info):
        raise ValueError("case_info goes with shape='Cases' and may not hold 'Media'")
    region = REGIONS.get(scheme.name, "CUSTOM")
    context = VICS_CONTEXT.format(region=region, shape=shape)
    count = 0
    with _text_stream(out) as stream:
        stream.write(f'{{"@odata.context":{json.dumps(context)},"value":[')
        if shape == "Cases":
            stream.write("\n" + _case_head(case_info or {}))
        for count, entry in enumerate(entries, 1):
            separator = "," if count > 1 else ""
            stream.write(f"{separator}\n{_dumps(media_object(entry, scheme), count)}")
        stream.write("\n]}\n]}\n" if shape == "Cases" else "\n]}\n")
    return count


def media_object(entry: HashEntry, scheme: Scheme) -> dict[str, Any]:
    """The VICS 2.0 Media object of one entry; ExportError if VICS cannot carry it."""
    if entry.md5 is None:
        raise ExportError(f"{_label(entry)} has no MD5, which every VICS Media needs")
    media: dict[str, Any] = {}
    if entry.media_id is not None:
        media["MediaID"] = _media_id(entry.media_id)
    if entry.category is not None:
        media["Category"] = _code(entry, scheme)
    media["MD5"] = entry.md5.hex().upper()
    if entry.sha1 is not None:
        media["SHA1"] = entry.sha1.hex().upper()
    if entry.size is not None:
        media["MediaSize"] = entry.size
    if entry.name != first_file_name(entry.extra):
        # Only when MediaFiles does not already say it, so a re-read gives the same name.
        media["FileName"] = entry.name
    media.update((k, v) for k, v in entry.extra.items() if k not in CORE_FIELDS)
    alternatives = _alternative_hashes(entry)
    if alternatives:
        media["AlternativeHashes"] = alternatives
    return media


def write_csv(
    entries: Iterable[HashEntry], out: BinaryIO | TextIO, scheme: Scheme | None = None
) -> int:
    """Write entries as CSV (md5,sha1,sha256,pdq,pdq_quality,category,name,size); returns the count.

    Categories are written as scheme keys, which ``read_csv`` reads back; with a
    ``scheme`` each is checked against it. Names that a spreadsheet would run as
    a formula get a leading apostrophe, which ``read_csv`` removes again.
    """
    count = 0
    with _text_stream(out) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in entries:
            count += 1
            if scheme is not None and entry.category is not None:
                _check_category(entry, scheme)
            writer.writerow(_csv_row(entry))
    return count


def _case_head(case_info: dict[str, Any]) -> str:
    """The case object up to its Media list: its own fields first, as VICS tools write them."""
    try:
        fields = json.dumps(case_info, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ExportError(f"case_info cannot be written as JSON: {exc}") from None
    return fields[:-1] + ("," if case_info else "") + '"Media":['


def _dumps(media: dict[str, Any], number: int) -> str:
    try:
        return json.dumps(media, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ExportError(f"entry #{number} (MD5 {media['MD5']}): not JSON-able: {exc}") from None


def _media_id(media_id: str) -> int | str:
    # VICS MediaIDs are numbers; keep a string only where a number would change it ("007").
    if media_id.isascii() and media_id.isdigit() and str(int(media_id)) == media_id:
        return int(media_id)
    return media_id


def _code(entry: HashEntry, scheme: Scheme) -> int | None:
    category = _check_category(entry, scheme)
    if category.code is None and category.key != scheme.null_means:
        raise ExportError(
            f"{_label(entry)}: category {category.key!r} has no numeric code in scheme "
            f"{scheme.name!r}, so VICS cannot carry it"
        )
    return category.code


def _check_category(entry: HashEntry, scheme: Scheme) -> Category:
    if entry.category is None:
        raise RuntimeError("an ungraded entry reached the category check")
    try:
        return scheme.by_key(entry.category)
    except CategoryLookupError as exc:
        raise ExportError(f"{_label(entry)}: {exc}") from None


def _alternative_hashes(entry: HashEntry) -> list[Any]:
    alternatives: list[Any] = []
    if entry.sha256 is not None:
        alternatives.append({"HashName": "SHA256", "HashValue": entry.sha256.hex().upper()})
    if entry.pdq is not None:
        pdq: dict[str, Any] = {"HashName": "PDQ", "HashValue": entry.pdq.hex()}
        if entry.pdq_quality is not None:
            pdq["Quality"] = entry.pdq_quality
        alternatives.append(pdq)
    kept = entry.extra.get("AlternativeHashes", [])
    if not isinstance(kept, list):
        raise ExportError(f"{_label(entry)}: extra AlternativeHashes must be a list")
    return alternatives + kept


def _csv_row(entry: HashEntry) -> list[str]:
    def hex_of(value: bytes | None) -> str:
        """Lower-case hex, or an empty cell."""
        return "" if value is None else value.hex()

    name = entry.name or ""
    if name.lstrip("'").startswith(FORMULA_START):
        # Names come from seized media: never let one run as a spreadsheet formula.
        # Also quote names already quoted so, as read_csv takes one apostrophe off.
        name = "'" + name
    return [
        hex_of(entry.md5),
        hex_of(entry.sha1),
        hex_of(entry.sha256),
        hex_of(entry.pdq),
        "" if entry.pdq_quality is None else str(entry.pdq_quality),
        entry.category or "",
        name,
        "" if entry.size is None else str(entry.size),
    ]


def _label(entry: HashEntry) -> str:
    for kind in ("md5", "sha1", "sha256", "pdq"):
        value = getattr(entry, kind)
        if value is not None:
            return f"entry {kind.upper()} {value.hex()}"
    return "an entry without a hash"


@contextmanager
def _text_stream(out: BinaryIO | TextIO) -> Iterator[TextIO]:
    """Write text to ``out`` whether it is a text or a binary stream, never closing it."""
    if isinstance(out, io.TextIOBase):
        yield cast(TextIO, out)
        return
    stream = io.TextIOWrapper(cast(BinaryIO, out), encoding="utf-8", newline="\n")
    try:
        yield stream
        stream.flush()
    finally:
        # detach: the caller owns ``out``; closing the wrapper would close it too.
        stream.detach()

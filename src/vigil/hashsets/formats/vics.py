"""Streaming reader for VICS 1.x and 2.0 hash sets and case exports (Project VIC / CAID).

National sets run to hundreds of MB, so the document is never loaded whole:
a first pass reads the root up to the first record (the version key may come
anywhere in the root, a real file's first bytes may be a UTF-8 BOM), then a
second pass streams the Media records one by one through ijson's C parser.
Field meanings live in ``vics_fields``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from vigil.errors import ImportFormatError, UnknownCategoryError
from vigil.hashsets.formats._common import require_content
from vigil.hashsets.formats.json_depth import NestingGuard, NestingTooDeep
from vigil.hashsets.formats.vics_fields import FieldError, is_annotation, media_entry
from vigil.hashsets.model import HashEntry, ParsedSet
from vigil.hashsets.schemes import CategoryLookupError, Scheme

CONTEXT_KEYS = {"odata.metadata": "1.x", "@odata.context": "2.0"}
"""Root key naming the data model → the VICS version it marks."""

BOM = b"\xef\xbb\xbf"
_REGION = re.compile(r"\.xml/([^/#$]+)/")
_MODEL = re.compile(r"DataModels/(\d+(?:\.\d+)*)\.xml")
_SCALARS = frozenset({"string", "number", "boolean", "null"})


@dataclass(slots=True)
class _Header:
    """What the root says before the records: the model URL and the shape of the records."""

    key: str | None = None
    context: str | None = None
    shape: str | None = None
    value_seen: bool = False
    done: bool = False


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a Media record sits: its case (case exports only) and its number there."""

    case: int | None
    index: int

    def name(self, record: object = None) -> str:
        """How an error names the record: "Case #2, Media #17 (MediaID 55)"."""
        where = f"Media #{self.index}"
        if isinstance(record, dict) and isinstance(record.get("MediaID"), int | str):
            where += f" (MediaID {record['MediaID']})"
        return where if self.case is None else f"Case #{self.case}, {where}"


class _Reader:
    """A binary reader for ijson that skips a UTF-8 BOM (yajl rejects one) and knows its block."""

    def __init__(self, handle: BinaryIO, source: str) -> None:
        self._handle = handle
        self._source = source
        self._nesting = NestingGuard()
        if handle.read(len(BOM)) != BOM:
            handle.seek(0)
        self.block = (handle.tell(), handle.tell())

    def read(self, size: int = -1) -> bytes:
        """Read like a file, remembering the byte range handed to the parser last.

        Raises ImportFormatError before the parser sees a block that nests too deep.
        """
        start = self._handle.tell()
        data = self._handle.read(size)
        if data:
            self.block = (start, start + len(data))
            try:
                self._nesting.feed(data)
            except NestingTooDeep as exc:
                raise ImportFormatError(
                    self._source, f"bytes {start}–{start + len(data)}", str(exc)
                ) from None
        return data


def read_vics(path: Path, scheme: Scheme, known_good: bool = False) -> ParsedSet:
    """Read a VICS 1.x/2.0 file (Media set or Cases export), streaming its Media records.

    Raises ImportFormatError naming the record or byte range at fault.
    """
    source = str(path)
    require_content(path)
    header = _scan_header(path, source)
    info = _header_info(header)
    entries = _entries(path, source, header.shape or "Media", scheme, known_good, info)
    return ParsedSet(format="vics", entries=entries, info=info)


def has_vics_root(path: Path) -> bool:
    """True if the JSON file's root names a VICS data model; ImportFormatError if it is bad JSON."""
    with path.open("rb") as handle:
        reader = _Reader(handle, str(path))
        try:
            for prefix, event, value in ijson.parse(reader):
                if prefix == "" and event == "map_key" and value in CONTEXT_KEYS:
                    return True
                if prefix == "" and event in ("end_map", "start_array"):
                    return False
        except ijson.JSONError as exc:
            raise _json_error(str(path), "JSON root", reader, exc) from None
    return False


def _scan_header(path: Path, source: str) -> _Header:
    header = _Header()
    with path.open("rb") as handle:
        reader = _Reader(handle, source)
        try:
            for prefix, event, value in ijson.parse(reader, use_float=True):
                _note(header, prefix, event, value, source)
                if header.done:
                    break
        except ijson.JSONError as exc:
            raise _json_error(source, "JSON root", reader, exc) from None
    if header.key is None:
        raise ImportFormatError(
            source, "JSON root", "no odata.metadata or @odata.context key: not a VICS file"
        )
    if not header.value_seen:
        raise ImportFormatError(source, "JSON root", "no 'value' list of records")
    return header


def _note(header: _Header, prefix: str, event: str, value: Any, source: str) -> None:
    """Take one root-level parser event into the header; mark it done once enough is known."""
    if prefix == "" and event not in ("start_map", "map_key", "end_map"):
        raise ImportFormatError(source, "JSON root", "the root must be an object")
    if prefix in CONTEXT_KEYS and event in _SCALARS:
        if not isinstance(value, str):
            raise ImportFormatError(source, prefix, f"must be a URL string, got {value!r}")
        header.key, header.context = prefix, value
        header.shape = header.shape or _shape_of(value)
    elif prefix == "value" and not header.value_seen:
        if event != "start_array":
            raise ImportFormatError(source, "value", "must be a list of records")
        header.value_seen = True
    elif prefix == "value.item.Media" and event == "start_array" and header.shape is None:
        header.shape = "Cases"
    elif (prefix, event) in (("value.item", "end_map"), ("value", "end_array")):
        header.shape = header.shape or "Media"
    header.done = (header.key is not None and header.value_seen and header.shape is not None) or (
        prefix == "" and event == "end_map"
    )


def _shape_of(context: str) -> str | None:
    fragment = context.rpartition("#")[2].strip().casefold()
    if fragment.startswith("case"):
        return "Cases"
    if fragment.startswith("media"):
        return "Media"
    return None


def _header_info(header: _Header) -> dict[str, str]:
    if header.key is None or header.context is None:
        raise RuntimeError("VICS header read without its context key")
    info = {"version": CONTEXT_KEYS[header.key], "shape": header.shape or "Media"}
    info["context"] = header.context
    model = _MODEL.search(header.context)
    if model:
        info["model_version"] = model[1]
    region = _REGION.search(header.context)
    if region:
        info["scheme_hint"] = region[1].casefold()
    return info


def _entries(
    path: Path, source: str, shape: str, scheme: Scheme, known_good: bool, info: dict[str, str]
) -> Iterator[HashEntry]:
    count = 0
    with path.open("rb") as handle:
        reader = _Reader(handle, source)
        records = _Records(reader, shape, info)
        try:
            for place, record in records:
                yield _entry(record, place, scheme, known_good, source)
                count += 1
        except ijson.JSONError as exc:
            raise _json_error(source, records.position(), reader, exc) from None
    info["entries"] = str(count)
    if shape == "Cases":
        info["cases"] = str(records.cases)


def _entry(
    record: object, place: _Place, scheme: Scheme, known_good: bool, source: str
) -> HashEntry:
    try:
        return media_entry(record, scheme, known_good)
    except CategoryLookupError as exc:
        raise UnknownCategoryError(source, place.name(record), str(exc)) from None
    except FieldError as exc:
        raise ImportFormatError(source, place.name(record), str(exc)) from None


class _Records:
    """Media records in file order, each with its place; case-level fields go to ``info``."""

    def __init__(self, reader: _Reader, shape: str, info: dict[str, str]) -> None:
        self._reader = reader
        self._shape = shape
        self._info = info
        self.cases = 0
        self._index = 0  # Media records started (in this case, for a case export)
        self._done = 0  # of those, the ones handed out
        self._last: object = None
        self._case_prefix: str | None = None

    def __iter__(self) -> Iterator[tuple[_Place, Any]]:
        if self._shape == "Media":
            # ijson's C parser builds each record itself: the fast path for big national sets.
            for record in ijson.items(self._reader, "value.item", use_float=True):
                self._index += 1
                self._last = record
                yield _Place(None, self._index), record
            return
        events = self._tap(ijson.parse(self._reader, use_float=True))
        for record in ijson.items(events, "value.item.Media.item"):
            self._last, self._done = record, self._index
            yield _Place(self.cases, self._index), record

    def position(self) -> str:
        """Where the parser is, for a JSON error: the record being read or the last one read."""
        if self._shape == "Media":
            last = _Place(None, self._index).name(self._last)
            return f"after {last}" if self._index else "before the first Media record"
        if self._index > self._done:
            return _Place(self.cases, self._index).name()  # started, not finished
        if self._index:
            return f"after {_Place(self.cases, self._index).name(self._last)}"
        return f"Case #{self.cases}, before its first Media record"

    def _tap(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
        """Pass parser events through, counting cases and Media and keeping case fields."""
        for prefix, event, value in events:
            if prefix == "value.item":
                self._case_event(event, value)
            elif prefix == "value.item.Media.item" and event == "start_map":
                self._index += 1
            elif prefix == self._case_prefix:
                self._case_field(prefix, event, value)
            yield prefix, event, value

    def _case_event(self, event: str, value: Any) -> None:
        if event == "start_map":
            self.cases += 1
            self._index = self._done = 0
            self._last = None
        elif event == "map_key":
            self._case_prefix = f"value.item.{value}"

    def _case_field(self, prefix: str, event: str, value: Any) -> None:
        # Only the first case's scalar fields: info is one flat record of the file.
        key = prefix.removeprefix("value.item.")
        wanted = key != "Media" and not is_annotation(key)
        if self.cases == 1 and event in _SCALARS and wanted:
            self._info[f"case.{key}"] = _info_text(value)


def _info_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _json_error(source: str, where: str, reader: _Reader, exc: Exception) -> ImportFormatError:
    """Turn a yajl message into one line: what broke, the text near it and the bytes it is in."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = f"invalid JSON: {lines[0] if lines else exc}"
    if "premature EOF" in reason:
        reason += " (the file ends mid-document: is it truncated?)"
    elif len(lines) > 1 and "right here" not in lines[1]:
        reason += f", near {lines[1][:60]!r}"
    start, end = reader.block
    return ImportFormatError(source, f"{where}, bytes {start}–{end}", reason)

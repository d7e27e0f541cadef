"""Browser download histories: Chromium-family ``History`` and Firefox ``places.sqlite``.

Chromium (Chrome, Edge, Brave, Opera, Vivaldi) keeps one ``downloads`` row per
download (target path, sizes, state, WebKit-epoch microsecond times) and the
redirect chain of URLs in ``downloads_url_chains``. Firefox (since version 26)
keeps downloads as annotations on ``moz_places`` rows: ``downloads/destinationFileURI``
(a file: URI) and ``downloads/metaData`` (JSON with state, end time, size).
Both are read from a private copy, through real tables only and within a
budget (see :mod:`.sqlite_copy`).
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlparse

from vigil.indicators.sqlite_copy import rows, table_columns

_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_CHROMIUM_STATES = {0: "in progress", 1: "complete", 2: "cancelled", 3: "interrupted"}
_FIREFOX_STATES = {0: "in progress", 1: "complete", 2: "failed", 3: "cancelled", 4: "paused"}
_CHROMIUM_COLUMNS = (
    "target_path",
    "current_path",
    "start_time",
    "end_time",
    "received_bytes",
    "total_bytes",
    "state",
    "danger_type",
    "opened",
    "referrer",
    "tab_url",
    "mime_type",
    "full_path",  # before Chrome 26
    "url",  # before Chrome 26
)


def _cell(value: Any) -> Any:
    """A value read from the database, made JSON-able: the suspect chose its SQLite type.

    A path or URL stored as a BLOB is still a path (decoded, damage replaced);
    infinities (SQLite stores no NaN) have no JSON form and mean nothing here.
    """
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    return {name: _cell(value) for name, value in zip(names, row, strict=False)}


def webkit_time(value: Any) -> str | None:
    """ISO-8601 UTC of a WebKit time (microseconds since 1601-01-01); None for 0."""
    if not isinstance(value, int) or value <= 0:
        return None
    try:
        return (_WEBKIT_EPOCH + timedelta(microseconds=value)).isoformat()
    except OverflowError:
        return None


_LEGACY_BELOW = 10**11
"""Chromium's History before schema version 24 kept download times as Unix seconds
(``time_t``); later ones as WebKit microseconds. Any WebKit value below this is
within two days of 1601, any Unix time in seconds far below it: the size tells
which base a value has, whatever version the file claims."""


def chromium_download_time(value: Any) -> str | None:
    """ISO-8601 UTC of a Chromium download time in either base (see _LEGACY_BELOW)."""
    if isinstance(value, int) and 0 < value < _LEGACY_BELOW:
        try:
            return datetime.fromtimestamp(value, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    return webkit_time(value)


def prtime(value: Any) -> str | None:
    """ISO-8601 UTC of a Mozilla PRTime (microseconds since 1970); None for 0."""
    if not isinstance(value, int) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1_000_000, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def file_uri_path(uri: str) -> str:
    """A local path from a ``file:`` URI (``file:///C:/x%20y.jpg`` → ``C:\\x y.jpg``)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    path = unquote(parsed.path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":
        return path[1:].replace("/", "\\")  # a Windows drive letter
    return path


def chromium_downloads(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every row of a Chromium ``downloads`` table with its URL chain (empty if none)."""
    have = table_columns(conn, "downloads")
    if not have:
        return []
    wanted = [c for c in _CHROMIUM_COLUMNS if c in have]
    chains: dict[int, list[str]] = {}
    if table_columns(conn, "downloads_url_chains"):
        query = "SELECT id, url FROM downloads_url_chains ORDER BY id, chain_index"
        for row_id, url in rows(conn, query):
            chains.setdefault(int(row_id), []).append(str(_cell(url)))
    records = []
    for row in rows(conn, f"SELECT id, {', '.join(wanted)} FROM downloads ORDER BY id"):
        values = _row(["id", *wanted], row)
        chain = chains.get(int(values["id"]), [])
        url = chain[-1] if chain else values.get("url")
        records.append(
            {
                "id": values["id"],
                "url": url,
                "url_chain": chain,
                "target_path": values.get("target_path") or values.get("full_path"),
                "current_path": values.get("current_path"),
                "start_time": chromium_download_time(values.get("start_time")),
                "end_time": chromium_download_time(values.get("end_time")),
                "received_bytes": values.get("received_bytes"),
                "total_bytes": values.get("total_bytes"),
                "state": _CHROMIUM_STATES.get(values.get("state", -1), values.get("state")),
                "danger_type": values.get("danger_type"),
                "opened": values.get("opened"),
                "referrer": values.get("referrer"),
                "tab_url": values.get("tab_url"),
                "mime_type": values.get("mime_type"),
            }
        )
    return records


def firefox_downloads(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Downloads recorded as ``moz_annos`` on ``moz_places`` (Firefox 26 and later)."""
    needed = ("moz_annos", "moz_anno_attributes", "moz_places")
    if not all([table_columns(conn, name) for name in needed]):  # each checked to be a table
        return []
    query = (
        "SELECT p.id, p.url, n.name, a.content, a.dateAdded, a.lastModified "
        "FROM moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id "
        "JOIN moz_places p ON p.id = a.place_id "
        "WHERE n.name IN ('downloads/destinationFileURI', 'downloads/metaData', "
        "'downloads/destinationFileName') ORDER BY p.id"
    )
    by_place: dict[int, dict[str, Any]] = {}
    for row in rows(conn, query):
        place_id, url, name, content, added, modified = _row(
            ["place_id", "url", "name", "content", "added", "modified"], row
        ).values()
        record = by_place.setdefault(
            int(place_id), {"place_id": int(place_id), "url": url, "target_path": None}
        )
        if name == "downloads/destinationFileURI":
            record["target_path"] = file_uri_path(str(content))
            record["start_time"] = prtime(added)
        elif name == "downloads/destinationFileName" and not record["target_path"]:
            record["target_path"] = str(content)
        elif name == "downloads/metaData":
            record.update(_firefox_meta(content))
            record.setdefault("meta_modified", prtime(modified))
    return list(by_place.values())


def firefox_legacy_downloads(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Rows of ``moz_downloads`` in a ``downloads.sqlite`` (Firefox 3 to 25)."""
    have = table_columns(conn, "moz_downloads")
    if not {"source", "target"} <= have:
        return []
    wanted = [c for c in ("startTime", "endTime", "state", "referrer", "maxBytes", "mimeType")
              if c in have]  # fmt: skip
    query = (
        f"SELECT id, source, target, {', '.join(wanted) or 'NULL'} FROM moz_downloads ORDER BY id"
    )
    records = []
    for row in rows(conn, query):
        values = _row(["id", "source", "target", *wanted], row)
        records.append(
            {
                "id": values["id"],
                "url": values["source"],
                "target_path": file_uri_path(str(values["target"])),
                "start_time": prtime(values.get("startTime")),
                "end_time": prtime(values.get("endTime")),
                "state": _FIREFOX_STATES.get(values.get("state", -1), values.get("state")),
                "referrer": values.get("referrer"),
                "total_bytes": values.get("maxBytes"),
                "mime_type": values.get("mimeType"),
            }
        )
    return records


def _firefox_meta(content: Any) -> dict[str, Any]:
    try:
        meta = json.loads(str(content))
    except ValueError:
        return {"metadata_error": "downloads/metaData is not JSON"}
    if not isinstance(meta, dict):
        return {}
    end = meta.get("endTime")
    return {
        "state": _FIREFOX_STATES.get(meta.get("state", -1), meta.get("state")),
        "end_time": prtime(end * 1000) if isinstance(end, int) else None,  # milliseconds
        "total_bytes": meta.get("fileSize"),
        "deleted": meta.get("deleted"),
    }

"""Per-item facts computed in the scan worker, where the bytes are (stored in ``attrs["facts"]``).

Only cheap work, and only for items that can need it: entropy for unidentified
files of 1 MiB or more, encrypted-volume headers for unidentified files, the
end of JPEG/PNG data, encryption markers of OLE2/PDF documents, and records
of the browser and P2P artefacts recognised by name. Every step is guarded:
a malformed artefact gives ``facts["errors"]`` and never fails the item. A
step stopped by a safety limit (an artefact database built as a bomb) also
names the limit in ``facts["limits"]``, which the scan turns into the item's
``limit`` status; the item's own time budget running out ends the item.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Callable
from typing import Any, BinaryIO

from vigil.errors import SourceError
from vigil.indicators import content
from vigil.indicators.browsers import (
    chromium_downloads,
    firefox_downloads,
    firefox_legacy_downloads,
)
from vigil.indicators.emule import parse_known_met
from vigil.indicators.entropy import histogram, stats_of, stream_stats
from vigil.indicators.sqlite_copy import private_sqlite, trigger_names
from vigil.indicators.torrents import (
    parse_qbittorrent_fastresume,
    parse_torrent,
    parse_utorrent_resume,
)
from vigil.sources.folder import open_readonly
from vigil.sources.identify import FileType
from vigil.sources.limits import ItemTimeout, LimitExceeded
from vigil.sources.locator import Locator

ENTROPY_MIN_BYTES = 1 << 20
"""Unidentified files from this size up get entropy and chi-square (containers are larger)."""

ARTEFACT_MAX_BYTES = 512 << 20
"""Larger files with an artefact's name are not parsed (said in ``facts["errors"]``)."""

MAX_RECORDS = 5000
"""Records kept per artefact; the total is kept too."""

_SQLITE_KINDS: dict[str, Callable[[sqlite3.Connection], list[dict[str, Any]]]] = {
    "chromium_history": chromium_downloads,
    "firefox_places": firefox_downloads,
    "firefox_downloads": firefox_legacy_downloads,
}

_DOCUMENT_CHECKS: dict[str, Callable[[bytes], dict[str, Any] | None]] = {
    "ole2": content.ole2_encryption,
    "pdf": content.pdf_encryption,
}


def artefact_kind(name: str, file_type: str | None) -> str | None:
    """Which artefact parser a file's name (and true type) calls for, if any."""
    lower = name.lower()
    sqlite = file_type == "sqlite"
    if lower == "history" and sqlite:
        return "chromium_history"
    if lower == "places.sqlite" and sqlite:
        return "firefox_places"
    if lower == "downloads.sqlite" and sqlite:
        return "firefox_downloads"
    if lower == "known.met":
        return "emule_known_met"
    if lower in ("resume.dat", "resume.dat.old"):
        return "utorrent_resume"
    if lower.endswith(".fastresume"):
        return "qbittorrent_fastresume"
    if lower.endswith(".torrent"):
        return "torrent"
    return None


def item_facts(
    locator: Locator, ftype: FileType, stream: BinaryIO, size: int, tmp_dir: str | None
) -> dict[str, Any]:
    """The facts of one identified file (an empty dict for most files)."""
    name = locator.name
    file_type = ftype.name
    facts: dict[str, Any] = {}
    errors: list[str] = []
    steps: list[tuple[str, Callable[[], Any]]] = []
    if file_type == "unknown" and size >= ENTROPY_MIN_BYTES:
        steps.append(("entropy", lambda: _entropy(stream, size)))
    if ftype.family in ("unknown", "disk") and size >= 1024:
        steps.append(("volume", lambda: content.encrypted_volume(stream, size)))
    if file_type in ("jpeg", "png"):
        steps.append(("appended", lambda: content.appended_data(file_type, _bytes(stream))))
    if file_type in _DOCUMENT_CHECKS:
        steps.append(("encrypted_document", lambda: _DOCUMENT_CHECKS[file_type](_bytes(stream))))
    kind = artefact_kind(name, file_type)
    if kind is not None:
        steps.append(("artefact", lambda: _artefact(kind, locator, stream, size, tmp_dir)))
    for key, step in steps:
        try:
            value = step()
        except ItemTimeout:
            raise  # the whole item is out of time, not just this step
        except LimitExceeded as exc:
            reason = f"{key} not read: {exc.reason}"[:300]
            errors.append(reason)
            facts.setdefault("limits", []).append(reason)
            continue
        except Exception as exc:  # one malformed file must never fail the item or the scan
            errors.append(f"{key}: {exc}"[:300])
            continue
        if value is not None:
            facts[key] = value
    if errors:
        facts["errors"] = errors
    return facts


def _bytes(stream: BinaryIO) -> bytes:
    if isinstance(stream, io.BytesIO):
        return stream.getvalue()  # shares the buffer the scan read: no copy
    stream.seek(0)
    return stream.read()


def _entropy(stream: BinaryIO, size: int) -> dict[str, Any]:
    if isinstance(stream, io.BytesIO):
        return stats_of(histogram(stream.getbuffer())).to_json()
    return stream_stats(stream, size).to_json()


def _artefact(
    kind: str, locator: Locator, stream: BinaryIO, size: int, tmp_dir: str | None
) -> dict[str, Any]:
    if size > ARTEFACT_MAX_BYTES:
        raise ValueError(f"{size} bytes: larger than {ARTEFACT_MAX_BYTES} bytes, not parsed")
    data = _bytes(stream)
    wal = sibling_wal(locator) if kind in _SQLITE_KINDS else None
    triggers: list[str] = []
    if kind in _SQLITE_KINDS:
        with private_sqlite(data, tmp_dir, wal) as conn:
            records = _SQLITE_KINDS[kind](conn)
            triggers = trigger_names(conn)
    else:
        records = parse_artefact(kind, data, tmp_dir, wal)
    out: dict[str, Any] = {"kind": kind, "total": len(records), "records": records[:MAX_RECORDS]}
    if triggers:
        out["triggers_not_run"] = triggers[:100]  # a forged database, or an unusual one
    if wal is not None:
        out["wal_bytes"] = len(wal)
    if len(records) > MAX_RECORDS:
        out["truncated"] = True
    return out


def sibling_wal(locator: Locator) -> bytes | None:
    """The ``-wal`` file beside a database on the examiner's file system, read-only, if any.

    Only plain files have a readable sibling; inside archives and images a WAL
    is a member of its own, which the scan meets separately.
    """
    if locator.depth != 0 or locator.leaf.type != "os":
        return None
    path = os.fsencode(locator.leaf.path) + b"-wal"
    if not os.path.isfile(path):
        return None
    try:
        with open_readonly(path) as handle:
            data = handle.read(ARTEFACT_MAX_BYTES + 1)
    except SourceError:
        return None
    return data if 0 < len(data) <= ARTEFACT_MAX_BYTES else None


def parse_artefact(
    kind: str, data: bytes, tmp_dir: str | None, wal: bytes | None = None
) -> list[dict[str, Any]]:
    """Records of an artefact of ``kind``; ValueError (or sqlite3.Error) when malformed."""
    if kind in _SQLITE_KINDS:
        with private_sqlite(data, tmp_dir, wal) as conn:
            return _SQLITE_KINDS[kind](conn)
    parsers: dict[str, Callable[[bytes], list[dict[str, Any]]]] = {
        "emule_known_met": parse_known_met,
        "utorrent_resume": parse_utorrent_resume,
        "qbittorrent_fastresume": parse_qbittorrent_fastresume,
        "torrent": parse_torrent,
    }
    return parsers[kind](data)

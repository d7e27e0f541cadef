"""Per-item facts computed in the scan worker, where the bytes are (stored in ``attrs["facts"]``).

Only cheap work, and only for items that can need it: entropy for unidentified
files of 1 MiB or more, encrypted-volume headers for unidentified files, the
end of JPEG/PNG data, encryption markers of OLE2/PDF documents, and records
of the browser and P2P artefacts recognised by name. Every step is guarded:
a malformed artefact gives ``facts["errors"]`` and never fails the item.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, BinaryIO

from vigil.indicators import content
from vigil.indicators.browsers import (
    chromium_downloads,
    firefox_downloads,
    firefox_legacy_downloads,
)
from vigil.indicators.emule import parse_known_met
from vigil.indicators.entropy import histogram, stats_of, stream_stats
from vigil.indicators.sqlite_copy import private_sqlite
from vigil.indicators.torrents import (
    parse_qbittorrent_fastresume,
    parse_torrent,
    parse_utorrent_resume,
)
from vigil.sources.identify import FileType

ENTROPY_MIN_BYTES = 1 << 20
"""Unidentified files from this size up get entropy and chi-square (containers are larger)."""

ARTEFACT_MAX_BYTES = 512 << 20
"""Larger files with an artefact's name are not parsed (said in ``facts["errors"]``)."""

MAX_RECORDS = 5000
"""Records kept per artefact; the total is kept too."""

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
    name: str, ftype: FileType, stream: BinaryIO, size: int, tmp_dir: str | None
) -> dict[str, Any]:
    """The facts of one identified file (an empty dict for most files)."""
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
        steps.append(("artefact", lambda: _artefact(kind, stream, size, tmp_dir)))
    for key, step in steps:
        try:
            value = step()
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


def _artefact(kind: str, stream: BinaryIO, size: int, tmp_dir: str | None) -> dict[str, Any]:
    if size > ARTEFACT_MAX_BYTES:
        raise ValueError(f"{size} bytes: larger than {ARTEFACT_MAX_BYTES} bytes, not parsed")
    data = _bytes(stream)
    records = parse_artefact(kind, data, tmp_dir)
    out: dict[str, Any] = {"kind": kind, "total": len(records), "records": records[:MAX_RECORDS]}
    if len(records) > MAX_RECORDS:
        out["truncated"] = True
    return out


def parse_artefact(kind: str, data: bytes, tmp_dir: str | None) -> list[dict[str, Any]]:
    """Records of an artefact of ``kind``; ValueError (or sqlite3.Error) when malformed."""
    if kind == "chromium_history":
        with private_sqlite(data, tmp_dir) as conn:
            return chromium_downloads(conn)
    if kind == "firefox_places":
        with private_sqlite(data, tmp_dir) as conn:
            return firefox_downloads(conn)
    if kind == "firefox_downloads":
        with private_sqlite(data, tmp_dir) as conn:
            return firefox_legacy_downloads(conn)
    parsers: dict[str, Callable[[bytes], list[dict[str, Any]]]] = {
        "emule_known_met": parse_known_met,
        "utorrent_resume": parse_utorrent_resume,
        "qbittorrent_fastresume": parse_qbittorrent_fastresume,
        "torrent": parse_torrent,
    }
    return parsers[kind](data)

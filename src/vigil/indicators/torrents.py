"""BitTorrent artefacts: µTorrent ``resume.dat``, qBittorrent ``*.fastresume``, ``*.torrent``.

Each parser turns a bencoded file into records of what the client held: the
torrent's name, save path, info-hash, times, transfer totals and (where the
file says) the names and sizes of its files, which the engine matches back to
scanned items.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from vigil.indicators.bencode import BencodeError, decode, decode_with_spans


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def unix_time(value: Any) -> str | None:
    """ISO-8601 UTC of a Unix time in seconds (None for 0, absent or absurd values)."""
    seconds = _int(value)
    if not seconds or seconds < 0 or seconds > 32503680000:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat()


MAX_TREE_FILES = 100_000


def _files_of(info: Any) -> list[dict[str, Any]]:
    """Names and sizes of the files of a torrent ``info`` dictionary.

    A v2 or hybrid torrent (BEP 52) lists them in its ``file tree``; the v1
    ``files`` list of a hybrid also holds padding files, which are not files.
    """
    if not isinstance(info, dict):
        return []
    name = _text(info.get(b"name.utf-8")) or _text(info.get(b"name")) or ""
    if isinstance(info.get(b"file tree"), dict):
        return _tree_files(info[b"file tree"], name)
    if isinstance(info.get(b"files"), list):
        files = []
        for entry in info[b"files"]:
            if not isinstance(entry, dict) or b"p" in _attr(entry):
                continue
            parts = entry.get(b"path.utf-8") or entry.get(b"path")
            names = [_text(p) or "" for p in _list(parts) if isinstance(p, bytes)]
            files.append({"path": "/".join([name, *names]), "size": _int(entry.get(b"length"))})
        return files
    return [{"path": name, "size": _int(info.get(b"length"))}]


def _attr(entry: dict[bytes, Any]) -> bytes:
    value = entry.get(b"attr")
    return value if isinstance(value, bytes) else b""


def _tree_files(tree: dict[bytes, Any], name: str) -> list[dict[str, Any]]:
    """Files of a BEP 52 ``file tree``: a file is a dict whose ``""`` key holds its length.

    A tree holding one file at its root is a single-file torrent (the file is
    the torrent's name); otherwise the paths lie under the torrent's name.
    """
    found: list[tuple[list[str], int | None]] = []
    pending: list[tuple[list[str], dict[bytes, Any]]] = [([], tree)]
    while pending and len(found) < MAX_TREE_FILES:
        parts, node = pending.pop()
        for key in sorted(node, reverse=True):
            child = node[key]
            if not isinstance(child, dict) or key == b"":
                continue
            path = [*parts, _text(key) or ""]
            leaf = child.get(b"")
            if isinstance(leaf, dict):
                found.append((path, _int(leaf.get(b"length"))))
            else:
                pending.append((path, child))
    found.sort(key=lambda item: item[0])
    if len(found) == 1 and len(found[0][0]) == 1 and len(tree) == 1:
        return [{"path": found[0][0][0], "size": found[0][1]}]
    return [{"path": "/".join([name, *path]), "size": size} for path, size in found]


def _versions(info: dict[bytes, Any]) -> tuple[bool, bool]:
    """(has v1 metadata, has v2 metadata) of an ``info`` dictionary (BEP 3, BEP 52)."""
    v2 = info.get(b"meta version") == 2 and isinstance(info.get(b"file tree"), dict)
    v1 = b"pieces" in info or (not v2 and (b"files" in info or b"length" in info))
    return v1, v2


def parse_torrent(data: bytes) -> list[dict[str, Any]]:
    """One record for a ``.torrent`` file: name, info-hashes, files, creator, dates, trackers.

    ``info_hash`` is the v1 id (SHA-1 of the info dictionary as stored), absent
    from a v2-only torrent; ``info_hash_v2`` the v2 id (its SHA-256), for v2
    and hybrid torrents. Whitespace after the value (a trailing newline) is
    accepted.
    """
    data = data.rstrip(b" \t\r\n")
    try:
        value, spans = decode_with_spans(data)
    except BencodeError as exc:
        raise ValueError(f"not a valid .torrent: {exc}") from None
    if not isinstance(value, dict) or b"info" not in spans:
        raise ValueError("not a .torrent: no info dictionary")
    start, end = spans[b"info"]
    info = value[b"info"]
    if not isinstance(info, dict):
        raise ValueError("not a valid .torrent: its info is not a dictionary")
    v1, v2 = _versions(info)
    stored = data[start:end]
    return [
        {
            "name": _text(info.get(b"name.utf-8")) or _text(info.get(b"name")),
            "info_hash": hashlib.sha1(stored, usedforsecurity=False).hexdigest() if v1 else None,
            "info_hash_v2": hashlib.sha256(stored).hexdigest() if v2 else None,
            "version": "hybrid" if v1 and v2 else "v2" if v2 else "v1",
            "files": _files_of(info),
            "announce": _text(value.get(b"announce")),
            "created_by": _text(value.get(b"created by")),
            "creation_date": unix_time(value.get(b"creation date")),
            "comment": _text(value.get(b"comment")),
        }
    ]


def parse_utorrent_resume(data: bytes) -> list[dict[str, Any]]:
    """µTorrent/BitTorrent ``resume.dat``: one record per torrent the client held."""
    try:
        value = decode(data)
    except BencodeError as exc:
        raise ValueError(f"not a valid resume.dat: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError("not a resume.dat: the top level is not a dictionary")
    records: list[dict[str, Any]] = []
    for key, entry in value.items():
        # ".fileguard" (a checksum) and "rec" (recovery data) are not torrents.
        if not isinstance(entry, dict) or key in (b".fileguard", b"rec"):
            continue
        info_hash = entry.get(b"info")
        records.append(
            {
                "torrent": _text(key),
                "name": _text(entry.get(b"caption")),
                "save_path": _text(entry.get(b"path")),
                "info_hash": info_hash.hex() if isinstance(info_hash, bytes) else None,
                "added_on": unix_time(entry.get(b"added_on")),
                "completed_on": unix_time(entry.get(b"completed_on")),
                "last_seen_complete": unix_time(entry.get(b"last seen complete")),
                "downloaded": _int(entry.get(b"downloaded")),
                "uploaded": _int(entry.get(b"uploaded")),
                "url": _text(entry.get(b"url")),
                "files": [],
            }
        )
    return records


def parse_qbittorrent_fastresume(data: bytes) -> list[dict[str, Any]]:
    """qBittorrent (libtorrent) ``*.fastresume``: the one torrent it describes."""
    try:
        value = decode(data)
    except BencodeError as exc:
        raise ValueError(f"not a valid fastresume file: {exc}") from None
    if not isinstance(value, dict) or value.get(b"file-format") not in (
        b"libtorrent resume file",
        None,
    ):
        raise ValueError("not a libtorrent fastresume file")
    info = value.get(b"info")
    raw_hash = value.get(b"info-hash")
    raw_hash2 = value.get(b"info-hash2")  # libtorrent 2: a v2 or hybrid torrent's SHA-256
    name = _text(value.get(b"qBt-name")) or _text(value.get(b"name"))
    if not name and isinstance(info, dict):
        name = _text(info.get(b"name"))
    save_path = _text(value.get(b"qBt-savePath")) or _text(value.get(b"save_path"))
    mapped = [_text(m) for m in _list(value.get(b"mapped_files")) if isinstance(m, bytes)]
    return [
        {
            "name": name,
            "save_path": save_path,
            "info_hash": raw_hash.hex() if isinstance(raw_hash, bytes) else None,
            "info_hash_v2": raw_hash2.hex() if isinstance(raw_hash2, bytes) else None,
            "added_on": unix_time(value.get(b"added_time")),
            "completed_on": unix_time(value.get(b"completed_time")),
            "downloaded": _int(value.get(b"total_downloaded")),
            "uploaded": _int(value.get(b"total_uploaded")),
            "category": _text(value.get(b"qBt-category")),
            "mapped_files": [m for m in mapped if m],
            "files": _files_of(info),
        }
    ]

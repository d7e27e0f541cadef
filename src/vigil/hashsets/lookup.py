"""``vigil lookup``: which sets hold a hash (exact), or a PDQ hash near it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Row, select

from vigil.errors import SourceError, UsageError
from vigil.hashing.crypto import hash_stream
from vigil.hashing.vpdq import FrameFeature, VideoDecodeError, hash_video
from vigil.hashsets.model import KIND_BY_HEX_LENGTH, parse_hex
from vigil.hashsets.schemes import load_scheme
from vigil.matching.library_pdq import PdqSearcher, pdq_searcher
from vigil.matching.video import DEFAULT_SHARE
from vigil.scan.matcher import Matcher
from vigil.sources.folder import open_readonly
from vigil.store.engine import Store
from vigil.store.schema import hash_entry, hashset

PDQ_THRESHOLD = 31
EXACT_KINDS = ("md5", "sha1", "sha256")


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry that answers a query."""

    set_name: str
    known_good: bool
    algorithm: str
    distance: int
    category: str | None
    category_label: str
    name: str | None
    entry_id: int
    frame_s: float | None = None
    """For a video queried: the time of the frame the hit was found at."""


@dataclass(slots=True)
class LookupResult:
    """The answer for one queried hash."""

    query: str
    kinds: tuple[str, ...]
    hits: list[Hit] = field(default_factory=list)


def parse_query(text: str) -> tuple[str, tuple[str, ...], bytes]:
    """Split ``[kind:]hex`` into (hex, kinds to try, digest); 64 digits try SHA-256 and PDQ."""
    raw = text.strip()
    kind, sep, value = raw.partition(":")
    if not sep:
        value, kind = raw, ""
    value = value.lower()
    if kind:
        if kind not in (*EXACT_KINDS, "pdq"):
            raise UsageError(f"unknown hash kind {kind!r}: use md5, sha1, sha256 or pdq")
        kinds: tuple[str, ...] = (kind,)
    else:
        guessed = KIND_BY_HEX_LENGTH.get(len(value))
        if guessed is None:
            raise UsageError(f"{raw!r} is no MD5 (32 hex digits), SHA-1 (40) or SHA-256/PDQ (64)")
        kinds = (guessed, "pdq") if guessed == "sha256" else (guessed,)
    try:
        digest = parse_hex(value, kinds[0])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return value, kinds, digest


IN_CHUNK = 500
"""Values per ``IN (…)`` clause: well under SQLite's bound-parameter limit."""


def lookup(store: Store, queries: list[str], threshold: int = PDQ_THRESHOLD) -> list[LookupResult]:
    """Answer the queries as one batch: exact hits for crypto hashes, PDQ within ``threshold``.

    All PDQ queries go to the index in one search and every kind of exact hash in one
    ``IN`` query per chunk, so a thousand hashes cost about what a handful do.
    """
    parsed = [parse_query(q) for q in queries]
    results = [LookupResult(value, kinds) for value, kinds, _ in parsed]
    with store.connect() as conn:
        sets = {row.id: row for row in conn.execute(select(hashset))}
        schemes = {sid: load_scheme(row.scheme) for sid, row in sets.items()}
        found: list[list[tuple[str, Row[Any], int]]] = [[] for _ in parsed]
        for kind in EXACT_KINDS:
            wanted = [(n, d) for n, (_, kinds, d) in enumerate(parsed) if kind in kinds]
            for n, row in _exact_hits(conn, kind, wanted):
                found[n].append((kind, row, 0))
        pdq_wanted = [(n, d) for n, (_, kinds, d) in enumerate(parsed) if "pdq" in kinds]
        if pdq_wanted:
            for n, row, distance in _pdq_hits(conn, pdq_searcher(conn), pdq_wanted, threshold):
                found[n].append(("pdq", row, distance))
        for result, hits in zip(results, found, strict=True):
            for kind, row, distance in hits:
                owner = sets[row.hashset_id]
                result.hits.append(
                    Hit(
                        set_name=owner.name,
                        known_good=bool(owner.known_good),
                        algorithm=kind,
                        distance=distance,
                        category=row.category,
                        category_label=schemes[row.hashset_id].label(row.category),
                        name=row.name,
                        entry_id=int(row.id),
                    )
                )
            result.hits.sort(key=lambda h: (h.distance, h.set_name, h.entry_id))
    return results


def _exact_hits(
    conn: Connection, kind: str, wanted: list[tuple[int, bytes]]
) -> list[tuple[int, Row[Any]]]:
    """(query number, entry row) for every entry whose ``kind`` digest is one asked for."""
    asked: dict[bytes, list[int]] = {}
    for n, digest in wanted:
        asked.setdefault(digest, []).append(n)
    column = hash_entry.c[kind]
    digests = list(asked)
    out: list[tuple[int, Row[Any]]] = []
    for first in range(0, len(digests), IN_CHUNK):
        chunk = digests[first : first + IN_CHUNK]
        for row in conn.execute(select(hash_entry).where(column.in_(chunk))):
            out.extend((n, row) for n in asked[bytes(row._mapping[kind])])
    return out


def _pdq_hits(
    conn: Connection, bank: PdqSearcher, wanted: list[tuple[int, bytes]], threshold: int
) -> list[tuple[int, Row[Any], int]]:
    """(query number, entry row, distance) for every PDQ entry near a query, in one search."""
    queries = np.frombuffer(b"".join(d for _, d in wanted), dtype=np.uint8).reshape(-1, 32)
    matches = bank.search(queries, threshold)
    if len(matches) == 0:
        return []
    ids = sorted({int(i) for i in matches["id"]})
    rows: dict[int, Row[Any]] = {}
    for first in range(0, len(ids), IN_CHUNK):
        chunk = ids[first : first + IN_CHUNK]
        for entry in conn.execute(select(hash_entry).where(hash_entry.c.id.in_(chunk))):
            rows[int(entry.id)] = entry
    out: list[tuple[int, Row[Any], int]] = []
    for q, i, d in zip(matches["query"], matches["id"], matches["distance"], strict=True):
        row = rows.get(int(i))
        if row is not None:  # an entry removed since the index was read
            out.append((wanted[int(q)][0], row, int(d)))
    return out


@dataclass(frozen=True, slots=True)
class _VideoQuery:
    """A video file as matching reads it: its file hashes and its kept frames."""

    md5: bytes | None
    sha1: bytes | None
    sha256: bytes | None
    frames: list[FrameFeature]
    pdq_quality: int | None = None
    pdq_variants: bytes | None = None


def lookup_video(
    store: Store,
    path: Path,
    threshold: int = PDQ_THRESHOLD,
    share: float = DEFAULT_SHARE,
) -> LookupResult:
    """Which sets hold a video file: its bytes exactly, a listed still in one of its
    frames (PDQ within ``threshold``), or a listed video by the vPDQ rule (``share`` %).

    The file is read as evidence is (read-only, no links followed) and hashed
    as a scan hashes it; a file that is no readable video is a UsageError.
    """
    try:
        with open_readonly(path) as handle:
            digests = hash_stream(handle)
        video = hash_video(path)
    except (SourceError, VideoDecodeError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    if video.status != "ok":
        raise UsageError(f"{path}: {video.reason}")
    query = _VideoQuery(digests.md5, digests.sha1, digests.sha256, video.features)
    result = LookupResult(str(path), ("video",))
    with store.connect() as conn:
        matcher = Matcher(conn, threshold, video_share=share)
        (hits,) = matcher.match(conn, [query])
        names = _entry_names(conn, [h.entry_id for h in hits])
    for h in hits:
        result.hits.append(
            Hit(
                set_name=h.set_name,
                known_good=h.known_good,
                algorithm=h.algorithm,
                distance=h.distance,
                category=h.category,
                category_label=h.category_label,
                name=names.get(h.entry_id),
                entry_id=h.entry_id,
                frame_s=h.frame_s,
            )
        )
    result.hits.sort(key=lambda h: (h.distance, h.set_name, h.entry_id))
    return result


def _entry_names(conn: Connection, ids: list[int]) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for first in range(0, len(ids), IN_CHUNK):
        chunk = ids[first : first + IN_CHUNK]
        query = select(hash_entry.c.id, hash_entry.c.name).where(hash_entry.c.id.in_(chunk))
        out.update({int(r.id): r.name for r in conn.execute(query)})
    return out

"""``vigil lookup``: which sets hold a hash (exact), or a PDQ hash near it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Row, select

from vigil.errors import UsageError
from vigil.hashsets.model import KIND_BY_HEX_LENGTH, parse_hex
from vigil.hashsets.schemes import load_scheme
from vigil.matching.library_pdq import PdqSearcher, pdq_searcher
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


def lookup(store: Store, queries: list[str], threshold: int = PDQ_THRESHOLD) -> list[LookupResult]:
    """Answer each query: exact hits for crypto hashes, PDQ hits within ``threshold`` bits."""
    parsed = [parse_query(q) for q in queries]
    results = [LookupResult(value, kinds) for value, kinds, _ in parsed]
    with store.connect() as conn:
        sets = {row.id: row for row in conn.execute(select(hashset))}
        schemes = {sid: load_scheme(row.scheme) for sid, row in sets.items()}
        needs_pdq = any("pdq" in kinds for _, kinds, _ in parsed)
        bank = pdq_searcher(conn) if needs_pdq else None
        for result, (_, kinds, digest) in zip(results, parsed, strict=True):
            for kind in kinds:
                if kind == "pdq":
                    if bank is None:  # needs_pdq is true whenever a PDQ kind is asked
                        raise RuntimeError("PDQ lookup without a PDQ searcher")
                    found = _pdq_hits(conn, bank, digest, threshold)
                else:
                    found = _exact_hits(conn, kind, digest)
                for row, distance in found:
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


def _exact_hits(conn: Connection, kind: str, digest: bytes) -> list[tuple[Row[Any], int]]:
    column = hash_entry.c[kind]
    rows = conn.execute(select(hash_entry).where(column == digest)).all()
    return [(row, 0) for row in rows]


def _pdq_hits(
    conn: Connection, bank: PdqSearcher, digest: bytes, threshold: int
) -> list[tuple[Row[Any], int]]:
    query = np.frombuffer(digest, dtype=np.uint8).reshape(1, 32)
    by_id = {int(m["id"]): int(m["distance"]) for m in bank.search(query, threshold)}
    if not by_id:
        return []
    rows = conn.execute(select(hash_entry).where(hash_entry.c.id.in_(list(by_id)))).all()
    return [(row, by_id[int(row.id)]) for row in rows]

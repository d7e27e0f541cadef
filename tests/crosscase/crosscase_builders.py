"""Multi-case stores with known overlaps, written row by row (no evidence to scan).

Each case is one finished scan run of one exhibit; each media item has the MD5
and PDQ given, is a hit of a national set when it has a category, else unknown.
The summaries are then refreshed as a finished scan refreshes them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert

from vigil.cases import revisions
from vigil.crosscase.refresh import refresh_case
from vigil.store.engine import Store, inserted_id
from vigil.store.schema import case, evidence, exhibit, finding, item, match, scan_run

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Media:
    """One item of a case."""

    md5: bytes
    pdq: bytes | None = None
    category: str | None = None  # in the national set under this label
    family: str = "image"
    location: str = "live"


@dataclass
class CaseSpec:
    """A case to write."""

    name: str
    media: list[Media]
    when: datetime = T0
    seized: str | None = None
    indicators: list[str] = field(default_factory=list)


def md5_of(n: int) -> bytes:
    """A distinct fake MD5."""
    return n.to_bytes(16, "big")


def random_pdq(seed: int) -> bytes:
    """A random 256-bit PDQ hash (two of them lie ~128 bits apart)."""
    return random.Random(seed).randbytes(32)


def flip(pdq: bytes, bits: int) -> bytes:
    """``pdq`` with its first ``bits`` bits flipped (that many bits away)."""
    value = int.from_bytes(pdq, "big") ^ (((1 << bits) - 1) << (256 - bits))
    return value.to_bytes(32, "big")


def add_case(store: Store, spec: CaseSpec, refresh: bool = True) -> int:
    """Write the case, its run, exhibit, items and hits; refresh its summaries."""
    with store.begin() as conn:
        case_id = inserted_id(
            conn.execute(
                insert(case).values(
                    name=spec.name, scheme="uk", created_at=spec.when, created_by="DC Owner"
                )
            )
        )
        run_id = inserted_id(
            conn.execute(
                insert(scan_run).values(
                    case_id=case_id,
                    examiner="DC Owner",
                    host="test",
                    status="complete",
                    started_at=spec.when,
                    finished_at=spec.when,
                    resumed_count=0,
                    elapsed_s=1.0,
                    params={},
                    versions={"vigil": "test"},
                    hashsets=[],
                )
            )
        )
        result_id = revisions.start_result(conn, case_id, run_id, "scan", "DC Owner", [])
        path = f"/evidence/{spec.name}"
        exhibit_id = inserted_id(
            conn.execute(
                insert(exhibit).values(
                    case_id=case_id,
                    reference=f"{spec.name}/1",
                    seized_when=spec.seized,
                    path=path,
                    path_bytes=path.encode(),
                    kind="folder",
                    created_at=spec.when,
                    created_by="DC Owner",
                )
            )
        )
        evidence_id = inserted_id(
            conn.execute(
                insert(evidence).values(
                    run_id=run_id,
                    ordinal=1,
                    path=path,
                    path_bytes=path.encode(),
                    kind="folder",
                    exhibit_id=exhibit_id,
                )
            )
        )
        for n, m in enumerate(spec.media):
            item_id = inserted_id(
                conn.execute(
                    insert(item).values(
                        run_id=run_id,
                        evidence_id=evidence_id,
                        locator=json.dumps({"n": n}),
                        display=f"{path}/{n}.jpg",
                        name=f"{n}.jpg",
                        depth=0,
                        kind="file",
                        status="ok",
                        size=100,
                        family=m.family,
                        ext_mismatch=False,
                        location=m.location,
                        md5=m.md5,
                        pdq=m.pdq,
                        pdq_quality=90 if m.pdq else None,
                        review="hit" if m.category else "unknown",
                    )
                )
            )
            if m.category:
                conn.execute(
                    insert(match).values(
                        item_id=item_id,
                        result_id=result_id,
                        hashset_id=1,
                        hashset_name="national",
                        entry_id=n,
                        algorithm="md5",
                        distance=0,
                        category=m.category,
                        category_label=m.category,
                        known_good=False,
                        best=True,
                    )
                )
        for family in spec.indicators:
            conn.execute(
                insert(finding).values(
                    run_id=run_id,
                    rule_id=f"test.{family}",
                    family=family,
                    severity="low",
                    description=family,
                    locators=[],
                )
            )
        if refresh:
            refresh_case(conn, case_id)
    return case_id

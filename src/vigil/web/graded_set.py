"""The force's local graded set: where review grades become hash-set entries.

A grade that names a category (everything but *uncategorised*, which means "not
decided" and must come back to an officer) puts the picture's MD5, SHA-1,
SHA-256 and PDQ into the set named by ``WebSettings.graded_set`` (one entry per
MD5). From then on the scan matcher finds the picture, and its near copies, in
every later case, so it is never graded twice. The graded items of the case get
a match row to their entry too, so the case's counts include them at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from vigil.cases.revisions import current_result_id, replace_set
from vigil.errors import ConfigError
from vigil.hashsets.library import bump_revision
from vigil.hashsets.schemes import load_scheme
from vigil.store.engine import inserted_id
from vigil.store.schema import grade, hash_entry, hashset, hashset_version, item, match

UNDECIDED = "uncategorised"
"""The grade that enters no set: the picture stays in every later queue."""

SOURCE = "vigil review app"


def ensure_set(conn: Connection, name: str, scheme: str) -> int:
    """The id of the graded set ``name``, created (with a live version row) if missing."""
    row = conn.execute(select(hashset).where(hashset.c.name == name)).first()
    if row is not None:
        if row.scheme != scheme:
            raise ConfigError(
                f"the graded set {name!r} uses the {row.scheme!r} scheme but this case "
                f"uses {scheme!r}: serve with a graded set of that scheme"
            )
        if row.known_good:
            raise ConfigError(f"{name!r} is a known-good set: it cannot hold grades")
        return int(row.id)
    now = datetime.now(UTC)
    set_id = inserted_id(
        conn.execute(
            insert(hashset).values(name=name, scheme=scheme, known_good=False, created_at=now)
        )
    )
    version_id = inserted_id(
        conn.execute(
            insert(hashset_version).values(
                hashset_id=set_id,
                version="live",
                source_date=None,
                source_path=SOURCE,
                source_sha256="0" * 64,
                format="graded",
                entry_count=0,
                imported_at=now,
                imported_by=SOURCE,
                info={"note": "grades made in the Vigil review app"},
            )
        )
    )
    conn.execute(
        update(hashset).where(hashset.c.id == set_id).values(current_version_id=version_id)
    )
    return set_id


def apply(
    conn: Connection, set_id: int, set_name: str, items: list[Row[Any]], category: str | None
) -> None:
    """Make the set and the items' matches say ``category`` (None or undecided: nothing).

    ``items`` are ``item`` rows. Entries no other grade still needs are removed.
    Only the newest result revision of each item's run changes (earlier
    revisions are frozen); it records the graded set's version as of this grade.
    """
    ids = [int(r.id) for r in items]
    results = {int(r.run_id): current_result_id(conn, int(r.run_id)) for r in items}
    conn.execute(
        delete(match).where(
            match.c.item_id.in_(ids),
            match.c.hashset_id == set_id,
            match.c.result_id.in_(list(results.values())),
        )
    )
    if category is None or category == UNDECIDED:
        conn.execute(update(item).where(item.c.id.in_(ids)).values(review="unknown"))
        _drop_unused(conn, set_id, {r.md5 for r in items}, ids)
        _recount(conn, set_id)
        return
    entries = {int(row.id): _upsert_entry(conn, set_id, row, category) for row in items}
    _recount(conn, set_id)
    owner = conn.execute(select(hashset).where(hashset.c.id == set_id)).one()
    label = load_scheme(owner.scheme).label(category)
    for row in items:
        conn.execute(
            insert(match).values(
                item_id=row.id,
                result_id=results[int(row.run_id)],
                hashset_id=set_id,
                hashset_name=set_name,
                set_revision=int(owner.revision),
                entry_id=entries[int(row.id)],
                algorithm="sha256" if row.sha256 is not None else "md5",
                distance=0,
                variant=None,
                category=category,
                category_label=label,
                known_good=False,
                best=True,
            )
        )
    conn.execute(update(item).where(item.c.id.in_(ids)).values(review="hit"))
    described = _describe(conn, owner)
    for result_id in set(results.values()):
        replace_set(conn, result_id, described)


def _describe(conn: Connection, owner: Row[Any]) -> dict[str, Any]:
    """The graded set as a result records it (the shape of ``Matcher.describe()``)."""
    version = conn.execute(
        select(hashset_version).where(hashset_version.c.id == owner.current_version_id)
    ).one()
    return {
        "id": int(owner.id),
        "name": owner.name,
        "known_good": False,
        "scheme": owner.scheme,
        "revision": int(owner.revision),
        "version_id": int(version.id),
        "version": version.version,
        "source_date": version.source_date,
        "source_sha256": version.source_sha256,
        "format": version.format,
        "entry_count": int(version.entry_count),
        "imported_at": version.imported_at,
    }


def _upsert_entry(conn: Connection, set_id: int, row: Row[Any], category: str) -> int:
    existing = conn.execute(
        select(hash_entry.c.id).where(
            hash_entry.c.hashset_id == set_id, hash_entry.c.md5 == row.md5
        )
    ).first()
    if existing is not None:
        conn.execute(
            update(hash_entry).where(hash_entry.c.id == existing.id).values(category=category)
        )
        return int(existing.id)
    return inserted_id(
        conn.execute(
            insert(hash_entry).values(
                hashset_id=set_id,
                md5=row.md5,
                sha1=row.sha1,
                sha256=row.sha256,
                pdq=row.pdq,
                pdq_quality=row.pdq_quality,
                category=category,
                name=row.name,
                size=row.size,
                media_id=None,
                extra=None,
            )
        )
    )


def _drop_unused(conn: Connection, set_id: int, md5s: set[bytes], leaving: list[int]) -> None:
    for md5 in md5s:
        still = conn.execute(
            select(func.count())
            .select_from(grade)
            .where(
                grade.c.md5 == md5,
                grade.c.item_id.not_in(leaving),
                func.coalesce(grade.c.final_category, grade.c.category) != UNDECIDED,
            )
        ).scalar_one()
        if not still:
            conn.execute(
                delete(hash_entry).where(hash_entry.c.hashset_id == set_id, hash_entry.c.md5 == md5)
            )


def _recount(conn: Connection, set_id: int) -> None:
    count = conn.execute(
        select(func.count()).select_from(hash_entry).where(hash_entry.c.hashset_id == set_id)
    ).scalar_one()
    version_id = conn.execute(
        select(hashset.c.current_version_id).where(hashset.c.id == set_id)
    ).scalar_one()
    conn.execute(
        update(hashset_version)
        .where(hashset_version.c.id == version_id)
        .values(entry_count=int(count), imported_at=datetime.now(UTC))
    )
    bump_revision(conn, set_id)

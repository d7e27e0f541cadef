"""Writing finished tasks to the store: items, matches and the task marker, atomically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from vigil.cases.exhibits import record_container_hash
from vigil.cases.revisions import current_result_id
from vigil.hashing.vpdq import FrameFeature
from vigil.inert import inert, inert_size, inert_time, inert_value
from vigil.scan.exif import Exif
from vigil.scan.matcher import Hit, Matcher, best_hit, review_state
from vigil.scan.records import ItemRecord, Task
from vigil.store.schema import evidence, item, match, scan_task, video_frame


def done_task_keys(conn: Connection, run_id: int, keys: Sequence[str]) -> set[str]:
    """Which of these task keys a run has already committed."""
    done: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        done.update(
            conn.execute(
                select(scan_task.c.task_key).where(
                    scan_task.c.run_id == run_id, scan_task.c.task_key.in_(chunk)
                )
            ).scalars()
        )
    return done


def committed_task_count(conn: Connection, run_id: int) -> int:
    """How many top-level entries of a run are safely in the store."""
    count = select(func.count()).select_from(scan_task).where(scan_task.c.run_id == run_id)
    return int(conn.execute(count).scalar_one())


def write_tasks(
    conn: Connection,
    run_id: int,
    evidence_ids: dict[int, int],
    finished: Sequence[tuple[Task, list[ItemRecord]]],
    matcher: Matcher,
) -> None:
    """Insert the items of finished tasks with their matches and task markers.

    Call inside one transaction: a task is either wholly in the store or not at
    all, which is what makes ``--resume`` exact.
    """
    records: list[ItemRecord] = []
    owners: list[int] = []
    for task, task_records in finished:
        records.extend(task_records)
        owners.extend([evidence_ids[task.evidence_ordinal]] * len(task_records))
    hits = matcher.match(conn, records)
    rows = [
        _item_row(run_id, owner, record, record_hits)
        for owner, record, record_hits in zip(owners, records, hits, strict=True)
    ]
    ids: list[int] = []
    if rows:
        result = conn.execute(insert(item).returning(item.c.id, sort_by_parameter_order=True), rows)
        ids = [int(r[0]) for r in result]
    result_id = current_result_id(conn, run_id)
    match_rows = [
        match_row(result_id, item_id, hit, hit is best_hit(record_hits))
        for item_id, record_hits in zip(ids, hits, strict=True)
        for hit in record_hits
    ]
    if match_rows:
        conn.execute(insert(match), match_rows)
    frame_rows = [
        frame_row(item_id, frame)
        for item_id, record in zip(ids, records, strict=True)
        for frame in record.frames or ()
    ]
    if frame_rows:
        conn.execute(insert(video_frame), frame_rows)
    conn.execute(
        insert(scan_task),
        [{"run_id": run_id, "task_key": t.key, "item_count": len(r)} for t, r in finished],
    )
    for task, task_records in finished:
        if task.evidence_root and task_records and task_records[0].sha256 is not None:
            _record_container_hash(conn, evidence_ids[task.evidence_ordinal], task, task_records[0])


def _record_container_hash(conn: Connection, evidence_id: int, task: Task, top: ItemRecord) -> None:
    # A file given as evidence (an archive, later a disk image) is a container:
    # its SHA-256 goes with the exhibit. Folders have no single hash.
    if top.sha256 is None:
        raise RuntimeError("a container was recorded before it was hashed")
    values: dict[str, Any] = {"sha256": top.sha256.hex(), "size": top.size}
    if "verification" in top.attrs:
        # An E01's media checked against its stored hashes (--verify): kept with the exhibit.
        info = conn.execute(select(evidence.c.info).where(evidence.c.id == evidence_id)).scalar()
        values["info"] = {**(info or {}), "verification": inert_value(top.attrs["verification"])}
    conn.execute(update(evidence).where(evidence.c.id == evidence_id).values(**values))
    record_container_hash(conn, evidence_id, values["sha256"], top.size)


def _item_row(run_id: int, evidence_id: int, record: ItemRecord, hits: list[Hit]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "evidence_id": evidence_id,
        "locator": record.locator.key(),
        # Text from evidence is stored inert (escaped and bounded); the locator
        # key is ASCII JSON and keeps the exact bytes.
        "display": inert(record.locator.display()),
        "name": inert(record.locator.name),
        "depth": record.locator.depth,
        "kind": record.kind,
        "status": record.status,
        "reason": None if record.reason is None else inert(record.reason),
        "size": inert_size(record.size),
        "mtime": inert_time(record.mtime),
        "file_type": record.file_type,
        "family": record.family,
        "ext_mismatch": record.ext_mismatch,
        "location": record.location,
        "md5": record.md5,
        "sha1": record.sha1,
        "sha256": record.sha256,
        "pdq": record.pdq,
        "pdq_quality": record.pdq_quality,
        "pdq_variants": record.pdq_variants,
        "orientation": record.orientation,
        "width": record.width,
        "height": record.height,
        "review": review_state(record, hits),
        "attrs": inert_value(record.attrs) if record.attrs else None,
        **exif_columns(record.exif),
    }


def exif_columns(exif: Exif | None) -> dict[str, Any]:
    """The item columns of a picture's EXIF (rev 0009); texts from evidence stored inert."""
    if exif is None:
        return {c: None for c in EXIF_COLUMNS}
    return {
        "exif_taken": exif.taken,
        "camera_make": None if exif.make is None else inert(exif.make),
        "camera_model": None if exif.model is None else inert(exif.model),
        "exif_software": None if exif.software is None else inert(exif.software),
        "gps_present": exif.gps_present,
        "gps_lat": exif.latitude,
        "gps_lon": exif.longitude,
    }


EXIF_COLUMNS = (
    "exif_taken", "camera_make", "camera_model", "exif_software", "gps_present", "gps_lat",
    "gps_lon",
)  # fmt: skip


def frame_row(item_id: int, frame: FrameFeature) -> dict[str, Any]:
    """The ``video_frame`` row of one kept frame of a scanned video."""
    return {
        "item_id": item_id,
        "frame_number": frame.frame_number,
        "timestamp_s": frame.timestamp_s,
        "pdq": frame.pdq,
        "quality": frame.quality,
    }


def match_row(result_id: int, item_id: int, hit: Hit, best: bool) -> dict[str, Any]:
    """The ``match`` row of one hit of an item, in result revision ``result_id``."""
    return {
        "item_id": item_id,
        "result_id": result_id,
        "hashset_id": hit.set_id,
        "hashset_name": hit.set_name,
        "set_revision": hit.set_revision,
        "category_label": hit.category_label,
        "entry_id": hit.entry_id,
        "algorithm": hit.algorithm,
        "distance": hit.distance,
        "variant": hit.variant,
        "category": hit.category,
        "known_good": hit.known_good,
        "best": best,
        "frame_s": hit.frame_s,
        "detail": hit.detail,
    }

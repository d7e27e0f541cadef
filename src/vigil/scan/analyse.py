"""Worker side of a scan: read one top-level entry once, hash, identify, expand.

Each call returns the records of the entry and of everything nested in it.
One bad item never stops the rest: its record carries status and reason.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from vigil.errors import SourceError
from vigil.hashing.crypto import CryptoHasher, Digests, hash_bytes, hash_stream
from vigil.hashing.pdq import LOW_QUALITY, ImageDecodeError, hash_image
from vigil.indicators.facts import item_facts
from vigil.scan.records import ItemRecord, Task
from vigil.sources.archives.base import Member
from vigil.sources.archives.nested import iter_nested
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import describe
from vigil.sources.disk.info import DISK_TYPES, image_attrs
from vigil.sources.disk.layers import in_file_system
from vigil.sources.disk.parts import disk_share
from vigil.sources.disk.segments import later_segment
from vigil.sources.folder import open_readonly, os_reason
from vigil.sources.identify import SNIFF_BYTES, extension_mismatch, sniff
from vigil.sources.limits import Budget, LimitExceeded, Limits
from vigil.sources.locator import Locator

IN_MEMORY_BYTES = 64 << 20
"""Items up to this size are read into memory once and hashed and decoded from there."""

READ_BYTES = 1 << 20


@dataclass(slots=True)
class Settings:
    """What every worker needs to know; picklable."""

    limits: Limits = field(default_factory=Limits)
    fast_decode: bool = True
    tmp_dir: str | None = None
    verify: bool = False
    """Hash the media of E01 images and compare with their stored MD5/SHA-1."""


def analyse_task(task: Task, settings: Settings) -> list[ItemRecord]:
    """All records for one top-level walk entry (a file may hold many nested items)."""
    if task.kind != "file" or task.status != "ok":
        return [_walk_record(task)]
    try:
        return _analyse_os_file(task, settings)
    except OSError as exc:
        record = _walk_record(task)
        record.status, record.reason = "error", f"cannot read: {os_reason(exc)}"
        return [record]


def analyse_chunk(tasks: list[Task], settings: Settings) -> list[list[ItemRecord]]:
    """:func:`analyse_task` for several small tasks in one round trip to a worker."""
    return [analyse_task(task, settings) for task in tasks]


def _walk_record(task: Task) -> ItemRecord:
    attrs = {"link_target": task.link_target} if task.link_target is not None else {}
    return ItemRecord(
        locator=task.locator,
        kind=task.kind,
        status=task.status,
        reason=task.reason,
        size=task.size,
        mtime=task.mtime,
        attrs=attrs,
    )


def _analyse_os_file(task: Task, settings: Settings) -> list[ItemRecord]:
    if task.part is not None and task.part[0] > 0:
        return _image_part(task, settings)
    with open_readonly(task.path) as handle:
        size = os.fstat(handle.fileno()).st_size
        stream: BinaryIO
        if size <= IN_MEMORY_BYTES:
            data = handle.read()
            digests, stream = hash_bytes(data), io.BytesIO(data)
        else:
            digests, stream = hash_stream(handle), handle
        top = _file_record(task.locator, stream, digests, task.mtime, settings)
        records = [top]
        stream.seek(0)
        segment = later_segment(task.path, top.file_type, stream.read(16))
        if segment is not None:
            top.attrs.update(segment)  # read as part of its image, from the first segment
        elif top.file_type in DISK_TYPES:
            top.attrs.update(image_attrs(task.path, top.file_type, settings.verify))
        if segment is None and top.file_type is not None and top.file_type in CONTAINER_TYPES:
            stream.seek(0)
            budget = Budget(settings.limits, size)
            spool_dir = Path(settings.tmp_dir) if settings.tmp_dir else None
            members = iter_nested(
                stream, top.file_type, task.locator, settings.limits, budget, spool_dir=spool_dir
            )
            with disk_share(task.part):
                records.extend(_member_record(m, settings) for m in members)
    return records


def _image_part(task: Task, settings: Settings) -> list[ItemRecord]:
    """The members of part 1+ of a large disk image (part 0 also records the image file)."""
    with open_readonly(task.path) as handle:
        type_name = sniff(handle.read(SNIFF_BYTES)).name
        if type_name not in CONTAINER_TYPES:
            return []  # part 0 records what the file is now
        handle.seek(0)
        budget = Budget(settings.limits, os.fstat(handle.fileno()).st_size)
        spool_dir = Path(settings.tmp_dir) if settings.tmp_dir else None
        members = iter_nested(
            handle, type_name, task.locator, settings.limits, budget, spool_dir=spool_dir
        )
        with disk_share(task.part):
            return [_member_record(m, settings) for m in members]


def _file_record(
    locator: Locator, stream: BinaryIO, digests: Digests, mtime: float | None, settings: Settings
) -> ItemRecord:
    """Identify the content and, for a picture, compute its PDQ hash."""
    stream.seek(0)
    ftype = sniff(stream.read(SNIFF_BYTES))
    record = ItemRecord(
        locator=locator,
        kind="file",
        size=digests.size,
        mtime=mtime,
        file_type=ftype.name,
        family=ftype.family,
        ext_mismatch=extension_mismatch(locator.name, ftype),
        location=_location(locator),
        md5=digests.md5,
        sha1=digests.sha1,
        sha256=digests.sha256,
    )
    # Indicator facts (entropy, appended data, artefact records) need the bytes held here.
    facts = item_facts(locator, ftype, stream, digests.size, settings.tmp_dir)
    if facts:
        record.attrs["facts"] = facts
    if ftype.family == "image":
        stream.seek(0)
        _hash_picture(record, stream, settings)
    return record


def _hash_picture(record: ItemRecord, stream: BinaryIO, settings: Settings) -> None:
    try:
        result = hash_image(stream, fast=settings.fast_decode)
    except ImageDecodeError as exc:
        record.status, record.reason = "error", f"image could not be decoded: {exc}"
        return
    record.pdq = result.hash
    record.pdq_quality = result.quality
    record.pdq_variants = b"".join(result.dihedral)
    record.orientation = result.orientation
    record.width, record.height = result.width, result.height
    if result.quality < LOW_QUALITY:
        record.attrs["low_quality"] = True


def _member_record(member: Member, settings: Settings) -> ItemRecord:
    """The record of one archive member: hashed and identified when it has data."""
    if member.status != "ok" or member.kind != "file":
        record = ItemRecord(
            locator=member.locator,
            kind="marker" if member.kind == "container" else member.kind,
            status=member.status,
            reason=member.reason or None,
            size=member.size,
            mtime=member.mtime,
            location=_location(member.locator),
        )
        if member.status == "encrypted":
            record.attrs["encrypted"] = True
        if member.link_target is not None:
            record.attrs["link_target"] = member.link_target
        return record
    try:
        with member.open() as source:
            data, digests = _read_member(source, settings)
    except SourceError as exc:
        status = "limit" if isinstance(exc, LimitExceeded) else "error"
        return ItemRecord(
            locator=member.locator,
            kind="file",
            status=status,
            reason=describe(exc),
            size=member.size,
            mtime=member.mtime,
            location=_location(member.locator),
        )
    with data:
        return _file_record(member.locator, data, digests, member.mtime, settings)


def _read_member(source: BinaryIO, settings: Settings) -> tuple[BinaryIO, Digests]:
    """Read a member once, hashing as it flows; keep it (memory, then a private spool)."""
    # Not a with-block: the spool is handed to the caller, which closes it.
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=IN_MEMORY_BYTES, dir=settings.tmp_dir
    )
    hasher = CryptoHasher()
    try:
        while block := source.read(READ_BYTES):
            hasher.update(block)
            spool.write(block)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return cast(BinaryIO, spool), hasher.digests()


def _location(locator: Locator) -> str:
    if locator.flag("carved"):
        return "carved"
    if locator.flag("deleted"):
        return "deleted"
    # Files in a disk image's file system are live; only archives make "archive".
    return "archive" if locator.depth > 0 and not in_file_system(locator) else "live"


def private_tmp_dir(base: Path | None = None) -> str:
    """A fresh folder only this user can read, for spooled archive members."""
    return tempfile.mkdtemp(prefix="vigil-", dir=base)


def remove_tmp_dir(path: str) -> None:
    """Remove a private spool folder and anything a crash left in it."""
    shutil.rmtree(path, ignore_errors=True)

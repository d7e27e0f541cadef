"""Worker side of a scan: read one top-level entry once, hash, identify, expand.

Each call returns the records of the entry and of everything nested in it.
One bad item never stops the rest: its record carries status and reason.

Every item (the entry itself, and each member nested in it) is read within a
wall-clock budget (:func:`item_budget`, ``vigil scan --item-timeout``): past
it the item is recorded with status ``limit`` and the scan goes on. Time that
a container spends reaching its next member counts against that member.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from vigil.errors import SourceError
from vigil.hashing.crypto import CryptoHasher, Digests, hash_bytes, hash_stream
from vigil.hashing.pdq import LOW_QUALITY, ImageDecodeError, hash_image
from vigil.hashing.vpdq import TIME_BUDGET_S, VideoDecodeError, VideoSettings, hash_video
from vigil.indicators.facts import item_facts
from vigil.scan.exif import read_exif
from vigil.scan.records import ItemRecord, Task
from vigil.scan.watchdog import watched
from vigil.sources.archives.base import Member
from vigil.sources.archives.nested import iter_nested
from vigil.sources.archives.registry import CONTAINER_TYPES
from vigil.sources.archives.streams import describe
from vigil.sources.disk.info import DISK_TYPES, image_attrs
from vigil.sources.disk.layers import in_file_system
from vigil.sources.disk.parts import disk_share
from vigil.sources.disk.segments import later_segment
from vigil.sources.folder import open_readonly, os_reason
from vigil.sources.identify import SNIFF_BYTES, by_name, extension_mismatch, sniff
from vigil.sources.keys import KeyRing, keys_scope
from vigil.sources.limits import (
    ITEM_TIMEOUT_S,
    Budget,
    Deadline,
    ItemTimeout,
    LimitExceeded,
    Limits,
    check_deadline,
    current_deadline,
    deadline_scope,
)
from vigil.sources.locator import Locator
from vigil.sources.opaque import OPAQUE, TRAILER_ONLY, opaque_trailer
from vigil.sources.phones.ufdr import LAYER as UFDR_LAYER
from vigil.sources.phones.ufdr import stated_hash_problem

IN_MEMORY_BYTES = 64 << 20
"""Items up to this size are read into memory once and hashed and decoded from there."""

READ_BYTES = 1 << 20

VIDEO_MARGIN_S = 1.0
"""Seconds of an item's budget left over when its video hashing is stopped: the
video's own bound stops it first, so the frames hashed so far are kept."""
_TRAILER_CANDIDATES = frozenset({"unknown", "disk-image", "fs-image"})


@dataclass(slots=True)
class Settings:
    """What every worker needs to know; picklable."""

    limits: Limits = field(default_factory=Limits)
    fast_decode: bool = True
    tmp_dir: str | None = None
    verify: bool = False
    """Hash the media of E01 images and compare with their stored MD5/SHA-1."""
    item_timeout: float = ITEM_TIMEOUT_S
    """Wall-clock seconds one item may take (plus an allowance for its size)."""
    keys: dict[int, KeyRing] = field(default_factory=dict)
    """Keys given for encrypted exhibits, by evidence ordinal (never stored)."""
    video_timeout: float = TIME_BUDGET_S
    """Wall-clock seconds one video's frames may take to hash (``vigil scan --video-timeout``)."""
    seconds_per_hash: float = 1.0
    """Seconds between a video's sampled frames (scene cuts are hashed besides)."""


@contextlib.contextmanager
def item_budget(settings: Settings, size_bytes: int | None = None) -> Iterator[Deadline]:
    """Read one item within its time budget: cooperative checks and the watchdog.

    The block raises :class:`ItemTimeout` once the budget has run out; callers
    catch it *around* this block, since the watchdog may deliver it up to the
    moment the block is left.
    """
    deadline = Deadline(settings.item_timeout, size_bytes)
    with deadline_scope(deadline), watched(deadline):
        yield deadline


def analyse_task(task: Task, settings: Settings) -> list[ItemRecord]:
    """All records for one top-level walk entry (a file may hold many nested items)."""
    if task.kind != "file" or task.status != "ok":
        return [_walk_record(task)]
    try:
        with keys_scope(settings.keys.get(task.evidence_ordinal, KeyRing())):
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
        stream: BinaryIO = handle
        segment: dict[str, Any] | None = None
        partial = _Partial()
        try:
            with item_budget(settings, size):
                if size <= IN_MEMORY_BYTES:
                    data = handle.read()
                    digests, stream = hash_bytes(data), io.BytesIO(data)
                else:
                    digests = hash_stream(cast(BinaryIO, _DeadlineReader(handle)))
                top = _file_record(task.locator, stream, digests, task.mtime, settings, partial)
                stream.seek(0)
                segment = later_segment(task.path, top.file_type, stream.read(16))
                if segment is not None:
                    top.attrs.update(segment)  # read as part of its image, from the first segment
                elif top.file_type in DISK_TYPES and not settings.verify:
                    top.attrs.update(image_attrs(task.path, top.file_type, verify_media=False))
        except ItemTimeout as exc:
            record = partial.record or _walk_record(task)
            record.size, record.status, record.reason = size, "limit", exc.reason
            return [record]
        if segment is None and top.file_type in DISK_TYPES and settings.verify:
            # Asked for: the whole media is hashed, which may take longer than the
            # file's own budget (compressed E01, split raw), so it runs without one.
            top.attrs.update(image_attrs(task.path, top.file_type, verify_media=True))
        records = [top]
        if segment is None and top.file_type is not None and top.file_type in CONTAINER_TYPES:
            stream.seek(0)
            budget = Budget(settings.limits, size)
            spool_dir = Path(settings.tmp_dir) if settings.tmp_dir else None
            members = iter_nested(
                stream, top.file_type, task.locator, settings.limits, budget, spool_dir=spool_dir
            )
            with disk_share(task.part):
                records.extend(_budgeted_members(members, settings, task, top.file_type))
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
            return list(_budgeted_members(members, settings, task, type_name))


def _budgeted_members(
    members: Iterator[Member], settings: Settings, task: Task, type_name: str
) -> Iterator[ItemRecord]:
    """The record of each member, each read within its own time budget."""
    while True:
        member: Member | None = None
        record: ItemRecord | None = None
        partial = _Partial()
        try:
            with item_budget(settings) as deadline:
                member = next(members, None)
                if member is not None:
                    deadline.allow(member.size)
                    record = _member_record(member, settings, partial)
        except ItemTimeout as exc:
            if member is None:
                # The container itself stalled before its next member: its reader is
                # gone, so the rest of it is unread. Say so in a note of its own.
                yield _stopped_note(task, type_name, exc.reason)
                return
            if record is None:
                record = partial.record or _limit_record(member, exc.reason)
                record.status, record.reason = "limit", exc.reason
        if record is None:
            return  # no member left
        yield record


@dataclass(slots=True)
class _Partial:
    """An item's record as soon as it is hashed, kept should its time run out later."""

    record: ItemRecord | None = None


def _file_record(
    locator: Locator,
    stream: BinaryIO,
    digests: Digests,
    mtime: float | None,
    settings: Settings,
    partial: _Partial | None = None,
) -> ItemRecord:
    """Identify the content and, for a picture, compute its PDQ hash."""
    stream.seek(0)
    ftype = sniff(stream.read(SNIFF_BYTES))
    if ftype.name in _TRAILER_CANDIDATES and digests.size >= 512:
        # A DMG names itself at its end; one of raw chunks starts with the disk's own
        # MBR or volume, but its data fork is no raw image (zero runs are left out).
        stream.seek(digests.size - 512)
        ftype = by_name(opaque_trailer(stream.read(512)) or ftype.name)
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
    if partial is not None:
        partial.record = record  # hashed: a hash-set match must survive a stuck parser
    # Indicator facts (entropy, appended data, artefact records) need the bytes held here.
    facts = item_facts(locator, ftype, stream, digests.size, settings.tmp_dir)
    limits = facts.pop("limits", None)
    if limits:
        # Hashed and identified, but part of it could not be read safely: say why.
        record.status, record.reason = "limit", "; ".join(limits)
    if facts:
        record.attrs["facts"] = facts
    _opaque_status(record, ftype.name)
    if ftype.family == "image":
        stream.seek(0)
        _hash_picture(record, stream, settings)
        record.exif = read_exif(stream)  # header only: once, here, while the bytes are held
    elif ftype.family == "video":
        stream.seek(0)
        _hash_video(record, stream, settings)
    if locator.leaf.type == UFDR_LAYER:
        _check_stated_hashes(record, digests)
    return record


def _check_stated_hashes(record: ItemRecord, digests: Digests) -> None:
    """A phone extraction's own hash of the item, checked against the bytes read."""
    attrs = dict(record.locator.leaf.attrs)
    problem = stated_hash_problem(attrs, digests.md5, digests.sha256)
    if problem is not None:
        record.reason = f"{record.reason}; {problem}" if record.reason else problem
        record.attrs["stated_hash_mismatch"] = True


def _opaque_status(record: ItemRecord, type_name: str) -> None:
    """A recognised container with no reader is never ``ok``: its files went unread."""
    found = OPAQUE.get(type_name)
    if found is None:
        return
    if type_name in CONTAINER_TYPES and (
        type_name not in TRAILER_ONLY or record.locator.depth == 0
    ):
        return  # opened: its reader says what could not be read
    reason = found.reason if record.status == "ok" else f"{found.reason}; {record.reason}"
    record.status, record.reason = found.status, reason


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


def video_settings(settings: Settings) -> VideoSettings:
    """How this scan hashes a video: its sampling and its time budget, within the item's."""
    budget = settings.video_timeout
    deadline = current_deadline()
    if deadline is not None:
        budget = min(budget, max(0.0, deadline.remaining() - VIDEO_MARGIN_S))
    return VideoSettings(seconds_per_hash=settings.seconds_per_hash, time_budget_s=budget)


def _hash_video(record: ItemRecord, stream: BinaryIO, settings: Settings) -> None:
    """vPDQ features of a video; a failure or a bound met is the item's status, with why.

    Frames hashed before a stop are kept (and matched): a video cut short by a
    damaged tail or by its budget still shows the stills it held.
    """
    chosen = video_settings(settings)
    try:
        result = hash_video(stream, chosen)
    except VideoDecodeError as exc:
        _flag(record, "error", f"video could not be decoded: {exc.reason}")
        return
    record.frames = result.features
    record.width, record.height = result.width or None, result.height or None
    record.attrs["video"] = {
        "codec": result.codec,
        "fps": round(result.fps, 3),
        "duration_s": round(result.duration_s, 3),
        "frames_decoded": result.frames_decoded,
        "frames_kept": len(result.features),
        **chosen.describe(),
    }
    if result.status == "ok":
        return
    reason = result.reason or "video hashing stopped"
    if result.status == "error":
        _flag(record, "error", f"video could not be fully decoded: {reason}")
    else:
        _flag(record, "limit", f"video hashing stopped: {reason}")


def _flag(record: ItemRecord, status: str, reason: str) -> None:
    """Give an item a problem status with its reason; one it already has is kept, reasons joined."""
    if record.status == "ok":
        record.status, record.reason = status, reason
    else:
        record.reason = f"{record.reason}; {reason}" if record.reason else reason


def _member_record(
    member: Member, settings: Settings, partial: _Partial | None = None
) -> ItemRecord:
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
    except ItemTimeout:
        raise  # recorded by the caller, which may meet it outside this call too
    except SourceError as exc:
        if isinstance(exc, LimitExceeded):
            return _limit_record(member, describe(exc))
        record = _limit_record(member, describe(exc))
        record.status = "error"
        return record
    with data:
        return _file_record(member.locator, data, digests, member.mtime, settings, partial)


def _limit_record(member: Member, reason: str) -> ItemRecord:
    """A member that a limit stopped: where it is and why, nothing read."""
    return ItemRecord(
        locator=member.locator,
        kind="file",
        status="limit",
        reason=reason,
        size=member.size,
        mtime=member.mtime,
        location=_location(member.locator),
    )


def _stopped_note(task: Task, type_name: str, reason: str) -> ItemRecord:
    """A note that reading a container stopped between two members."""
    attrs: dict[str, Any] = {"stopped": "item-timeout"}
    if task.part is not None:
        attrs["part"] = task.part[0]
    locator = task.locator.child(CONTAINER_TYPES[type_name].layer, "", **attrs)
    return ItemRecord(
        locator=locator,
        kind="marker",
        status="limit",
        reason=f"the rest of this container was not read: {reason}",
        location=_location(locator),
    )


class _DeadlineReader:
    """A read-only stream that checks the item's deadline before each read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readinto(self, buffer: Any) -> int:
        check_deadline()
        n: int = self._stream.readinto(buffer)  # type: ignore[attr-defined]
        return n

    def read(self, size: int = -1) -> bytes:
        check_deadline()
        return self._stream.read(size)


def _read_member(source: BinaryIO, settings: Settings) -> tuple[BinaryIO, Digests]:
    """Read a member once, hashing as it flows; keep it (memory, then a private spool)."""
    # Not a with-block: the spool is handed to the caller, which closes it.
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=IN_MEMORY_BYTES, dir=settings.tmp_dir
    )
    hasher = CryptoHasher()
    try:
        while block := source.read(READ_BYTES):
            check_deadline()
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

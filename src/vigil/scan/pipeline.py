"""Running a scan: walk the evidence, farm tasks out to workers, commit, resume.

The walk is deterministic, and every top-level entry (a *task*) is committed
with all of its items in one transaction. Resuming re-walks the evidence and
skips the tasks already committed, so a scan killed at any moment finishes
with exactly the result of an uninterrupted one. An item that ran out of its
time budget is committed as a ``limit`` item like any other, so a resumed
scan never reads it again.

Finished tasks are committed at least every ``COMMIT_SECONDS``, even while the
workers are busy, so a crash loses only the last seconds of work; on Ctrl-C
the tasks already finished are committed before the scan stops.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import update

from vigil import __version__
from vigil.audit import append, case_scope
from vigil.cases import case as case_rows
from vigil.cases import exhibits, revisions, runs
from vigil.cases.exhibits import ExhibitRequest
from vigil.config import current_user
from vigil.crosscase.refresh import refresh_case
from vigil.errors import ScanError, SourceError
from vigil.hashing.pdq import decoder_versions
from vigil.hashing.vpdq import TIME_BUDGET_S
from vigil.indicators.engine import evaluate_run
from vigil.indicators.loader import RuleSet, load_ruleset
from vigil.matching.video import DEFAULT_SHARE
from vigil.scan.analyse import (
    Settings,
    analyse_chunk,
    analyse_task,
    private_tmp_dir,
    remove_tmp_dir,
)
from vigil.scan.matcher import Matcher
from vigil.scan.records import ItemRecord, Task
from vigil.scan.writer import done_task_keys, write_tasks
from vigil.sources.disk.parts import part_count
from vigil.sources.folder import FsEntry, walk
from vigil.sources.keys import ExhibitKey, KeyRing, audit_entries, keys_for
from vigil.sources.limits import ITEM_TIMEOUT_S, Limits
from vigil.sources.phones.ios_backup import without_stored_files
from vigil.store.engine import Store
from vigil.store.schema import scan_run

WALK_BATCH = 256
"""Walk entries checked against the store for resumption in one query."""

CHUNK_TASKS = 32
CHUNK_BYTES = 8 << 20
"""Small tasks travel to a worker together (up to this many, or this many bytes):
one round trip per file would cap a tree of tiny files at the IPC rate."""

COMMIT_TASKS = 200
COMMIT_SECONDS = 2.0
"""A batch of finished tasks is committed at this size or age, whichever comes first."""


class ProgressSink(Protocol):
    """Where a scan reports progress (the CLI draws a bar from it)."""

    def total(self, items: int, size_bytes: int) -> None:
        """The evidence holds this many top-level entries and bytes (known after a count)."""

    def advance(self, items: int, size_bytes: int) -> None:
        """This many more top-level entries and bytes are done."""


@dataclass(slots=True)
class ScanOptions:
    """How to scan: who, how many workers, which limits and thresholds."""

    case: str
    examiner: str | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    resume: bool = False
    limits: Limits = field(default_factory=Limits)
    fast_decode: bool = True
    pdq_threshold: int = 31
    scheme: str = "uk"
    verify: bool = False
    """Check E01 images against their stored MD5/SHA-1 (reads each image's media once more)."""
    item_timeout: float = ITEM_TIMEOUT_S
    """Wall-clock seconds one item may take before it is recorded as ``limit``."""
    video_timeout: float = TIME_BUDGET_S
    """Wall-clock seconds one video's frames may take to hash (within its item's budget)."""
    video_share: float = DEFAULT_SHARE
    """Percent of a video's frames, and of a listed video's, that must match (vPDQ rule)."""
    exhibits: ExhibitRequest = field(default_factory=ExhibitRequest)
    """References and seizure details of the exhibits scanned, and whether a re-scan is meant."""
    keys: list[ExhibitKey] = field(default_factory=list)
    """Passwords of encrypted exhibits (never stored; give them again on resume)."""


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What a finished scan reports back."""

    case: str
    run_id: int
    resumed: bool
    tasks_done: int
    tasks_skipped: int
    elapsed_s: float


@dataclass(slots=True)
class OpenedRun:
    """A scan run ready to be worked on: new, or the case's unfinished one being resumed."""

    case_id: int
    run_id: int
    sources: list[runs.EvidenceSource]
    evidence_ids: dict[int, int]
    settings: Settings
    base_elapsed: float
    matcher: Matcher
    examiner: str
    ruleset: RuleSet


def run_scan(
    store: Store,
    paths: list[os.PathLike[str] | str],
    options: ScanOptions,
    progress: ProgressSink | None = None,
) -> ScanOutcome:
    """Scan PATHs into the named case (or resume its unfinished scan)."""
    opened = open_run(store, paths, options)
    if progress is not None:
        progress.total(*_count(opened.sources))
    runner = Runner(
        store,
        opened.run_id,
        opened.evidence_ids,
        opened.matcher,
        opened.settings,
        options.workers,
        progress,
    )
    started = time.monotonic()
    done, skipped = runner.run(source_tasks(opened.sources), opened.base_elapsed, started)
    examiner, run_id, case_id = opened.examiner, opened.run_id, opened.case_id
    with store.begin() as conn:
        # Rewrites the run's findings: a resumed scan ends with the same rows.
        evaluate_run(conn, run_id, opened.ruleset, examiner)
    elapsed = opened.base_elapsed + (time.monotonic() - started)
    with store.begin() as conn:
        runs.finish_run(conn, run_id, elapsed)
        # Links, first-seen and trends read summaries: bring the case's up to date.
        refresh_case(conn, case_id)
        append(
            conn,
            case_scope(case_id),
            examiner,
            "scan.finish",
            detail={"run": run_id, "tasks_done": done, "tasks_skipped": skipped},
        )
    return ScanOutcome(options.case, run_id, options.resume, done, skipped, elapsed)


def open_run(
    store: Store,
    paths: list[os.PathLike[str] | str],
    options: ScanOptions,
    *,
    action: str = "scan.start",
    extra: dict[str, Any] | None = None,
) -> OpenedRun:
    """Create the run of a new scan (audited as ``action``, ``extra`` kept in its params
    and audit entry), or reopen the case's unfinished one with ``options.resume``."""
    if options.workers < 1:
        raise ScanError("--workers must be at least 1")
    ruleset = load_ruleset()  # a bad rule file stops the scan before anything is read
    examiner = options.examiner or current_user()
    with store.begin() as conn:
        matcher = Matcher(conn, options.pdq_threshold, video_share=options.video_share)
        case_id = case_rows.get_or_create_case(conn, options.case, options.scheme, examiner)
        pending = runs.unfinished_run(conn, case_id)
        if options.resume:
            if pending is None:
                raise ScanError(f"case {options.case!r} has no unfinished scan to resume")
            run_id = int(pending.id)
            sources, evidence_ids = runs.run_sources(conn, run_id)
            base_elapsed = float(pending.elapsed_s)
            conn.execute(
                update(scan_run)
                .where(scan_run.c.id == run_id)
                .values(resumed_count=scan_run.c.resumed_count + 1)
            )
            settings = _settings_from(pending.params)
            # The run's own vPDQ share, not today's option: a resumed scan matches alike.
            matcher.video_share = float(pending.params.get("video_share", matcher.video_share))
            # Sets new since the run began are recorded too; those it had keep their version,
            # and any of them changed since is named in the audit entry.
            moved = revisions.record_sets(
                conn, revisions.current_result_id(conn, run_id), matcher.describe()
            )
            detail: dict[str, object] = {"run": run_id}
            if moved:
                detail["sets_changed_since_start"] = moved
            if options.keys:  # that keys were given, and their SHA-256: never the secrets
                detail["keys"] = audit_entries(options.keys)
            append(conn, case_scope(case_id), examiner, "scan.resume", detail=detail)
        else:
            if pending is not None:
                raise ScanError(
                    f"case {options.case!r} has an unfinished scan (run {pending.id}); "
                    "finish it with `vigil scan --resume --case NAME`"
                )
            sources = runs.resolve_sources([Path(p) for p in paths])
            # Refuses evidence that already is an exhibit of the case unless a re-scan.
            plan = exhibits.plan_exhibits(conn, case_id, sources, options.exhibits)
            exhibit_ids = exhibits.record_exhibits(
                conn, case_id, sources, plan, options.exhibits, examiner
            )
            settings = Settings(
                limits=options.limits,
                fast_decode=options.fast_decode,
                verify=options.verify,
                item_timeout=options.item_timeout,
                video_timeout=options.video_timeout,
            )
            params = {**_params(options, settings, sources), **(extra or {})}
            run_id, evidence_ids = runs.create_run(
                conn,
                case_id,
                sources,
                examiner,
                params,
                _versions(),
                matcher.describe(),
                exhibit_ids,
            )
            base_elapsed = 0.0
            append(
                conn,
                case_scope(case_id),
                examiner,
                action,
                detail={
                    "run": run_id,
                    "params": params,
                    "exhibits": [step.reference for step in plan],
                }
                # That keys were given, and their SHA-256: never the secrets.
                | ({"keys": audit_entries(options.keys)} if options.keys else {}),
            )
            exhibits.audit_rescans(conn, case_id, run_id, plan, examiner)
    settings.keys = _key_rings(options, sources)
    return OpenedRun(
        case_id, run_id, sources, evidence_ids, settings, base_elapsed, matcher, examiner, ruleset
    )


def _key_rings(options: ScanOptions, sources: list[runs.EvidenceSource]) -> dict[int, KeyRing]:
    """The keys of each evidence source (keys naming its reference or its PATH), by ordinal."""
    references = options.exhibits.references
    found: dict[int, KeyRing] = {}
    for index, source in enumerate(sources):
        names = {source.display, os.path.basename(source.display.rstrip("/"))}
        label = source.display
        if index < len(references):
            names.add(references[index])
            label = references[index]
        found[source.ordinal] = KeyRing(label, keys_for(options.keys, names))
    return found


def _settings_from(params: dict[str, Any]) -> Settings:
    limits = Limits(**params.get("limits", {}))
    return Settings(
        limits=limits,
        fast_decode=bool(params.get("fast_decode", True)),
        verify=bool(params.get("verify", False)),
        item_timeout=float(params.get("item_timeout", ITEM_TIMEOUT_S)),
        video_timeout=float(params.get("video_timeout", TIME_BUDGET_S)),
    )


def _params(
    options: ScanOptions, settings: Settings, sources: list[runs.EvidenceSource]
) -> dict[str, Any]:
    return {
        "sources": [s.display for s in sources],
        "workers": options.workers,
        "limits": asdict(settings.limits),
        "fast_decode": settings.fast_decode,
        "verify": settings.verify,
        "item_timeout": settings.item_timeout,
        "video_timeout": settings.video_timeout,
        "video_share": options.video_share,
        "pdq_threshold": options.pdq_threshold,
        "scheme": options.scheme,
    }


def _versions() -> dict[str, str]:
    import sqlite3

    versions = {"vigil": __version__, "python": platform.python_version()}
    versions["sqlite"] = sqlite3.sqlite_version
    versions.update(decoder_versions())
    return versions


def source_tasks(
    sources: list[runs.EvidenceSource],
    walker: Callable[[runs.EvidenceSource], Iterable[FsEntry]] | None = None,
) -> Iterator[Task]:
    """The tasks of every source, in the walk's order (``walker``: another order of the
    same entries, e.g. ``vigil check``'s likely places first; task keys do not depend on it)."""
    for source in sources:
        # No readability probe: the worker opens every file anyway and records failures.
        entries = walker(source) if walker is not None else walk(source.path, probe_files=False)
        for entry in without_stored_files(iter(entries)):
            yield from _split(entry_task(source, entry))


def entry_task(source: runs.EvidenceSource, entry: FsEntry) -> Task:
    """The task of one walk entry of ``source``."""
    return Task(
        key=entry.locator.key(),
        evidence_ordinal=source.ordinal,
        locator=entry.locator,
        path=entry.path,
        kind=entry.kind,
        size=entry.size,
        mtime=entry.mtime,
        status=entry.status,
        reason=entry.reason,
        link_target=entry.link_target,
        evidence_root=source.kind == "file",
    )


def _split(task: Task) -> Iterator[Task]:
    """A large disk image becomes several tasks, so that it can use several cores."""
    count = 1
    if task.kind == "file" and task.status == "ok" and task.size:
        try:
            count = part_count(task.path, task.size)
        except SourceError:
            count = 1  # the worker reports why it cannot be read
    if count == 1:
        yield task
        return
    size = task.size or 0
    for index in range(count):
        yield replace(
            task,
            key=f"{task.key}#part{index}",
            size=size // count + (size % count if index == 0 else 0),
            evidence_root=task.evidence_root and index == 0,
            part=(index, count),
        )


def _count(sources: list[runs.EvidenceSource]) -> tuple[int, int]:
    items = size = 0
    for source in sources:
        for entry in without_stored_files(walk(source.path, read_links=False, probe_files=False)):
            items += 1
            size += (entry.size or 0) if entry.kind == "file" else 0
    return items, size


def _batches(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    batch: list[Task] = []
    for task in tasks:
        batch.append(task)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(slots=True)
class TimeBox:
    """When a time-boxed run (``vigil check``) stops: no task is started after ``stop_at``
    and those in flight are abandoned, uncommitted, so a resumed scan does them in full."""

    stop_at: float
    clock: Callable[[], float] = time.monotonic
    poll_s: float = 0.25
    """Longest the runner waits for workers between two looks at the clock (real seconds)."""
    reserve: Callable[[], float] | None = None
    """Time to keep before ``stop_at`` for what comes after, as it grows with the work done."""

    def up(self) -> bool:
        """True once the time is spent."""
        kept = self.reserve() if self.reserve is not None else 0.0
        return self.clock() >= self.stop_at - kept


class Runner:
    """Feeds tasks to workers with a bounded window and commits what comes back.

    With a :class:`TimeBox` it stops at the time given, whatever it is in the
    middle of: the workers are stopped (a big file half hashed, an archive half
    walked) and their tasks, with those never started, are left in
    ``abandoned``, never committed.
    """

    def __init__(
        self,
        store: Store,
        run_id: int,
        evidence_ids: dict[int, int],
        matcher: Matcher,
        settings: Settings,
        workers: int,
        progress: ProgressSink | None,
        timebox: TimeBox | None = None,
        executor: Callable[[int], Executor] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.evidence_ids = evidence_ids
        self.matcher = matcher
        self.settings = settings
        self.workers = workers
        self.progress = progress
        self.window = workers * 2
        self.finished: list[tuple[Task, list[ItemRecord]]] = []
        self.in_flight: dict[Future[list[list[ItemRecord]]], list[Task]] = {}
        self.pool: Executor | None = None
        self.timebox = timebox
        self.executor = executor
        """Makes the worker pool (always one, even of one worker, when given)."""
        self.stopped = False
        self.abandoned: list[Task] = []
        self.last_commit = time.monotonic()
        self.done = 0
        self.base_elapsed = 0.0
        self.started = 0.0

    def run(self, tasks: Iterable[Task], base_elapsed: float, started: float) -> tuple[int, int]:
        self.base_elapsed, self.started = base_elapsed, started
        tmp = private_tmp_dir()
        self.settings.tmp_dir = tmp
        try:
            self.pool = self._pool()
            skipped = self._feed(tasks)
            if self.pool is not None:
                self.pool.shutdown()
                self.pool = None
            self._commit()
        except KeyboardInterrupt:
            # Ctrl-C: keep what is finished, so that --resume redoes as little as possible.
            self._salvage()
            self._commit(recheck=True)
            raise
        finally:
            if self.pool is not None:
                _stop_pool(self.pool)
            remove_tmp_dir(tmp)
        return self.done, skipped

    def _feed(self, tasks: Iterable[Task]) -> int:
        """Hand every task not yet committed to the workers; how many were skipped."""
        skipped = 0
        chunk: list[Task] = []
        chunk_bytes = 0
        for batch in _batches(tasks, WALK_BATCH):
            if self._time_up():
                self.abandoned.extend(batch)
                break
            with self.store.connect() as conn:
                done = done_task_keys(conn, self.run_id, [t.key for t in batch])
            for index, task in enumerate(batch):
                if self._time_up():
                    self.abandoned.extend(chunk)
                    self.abandoned.extend(t for t in batch[index:] if t.key not in done)
                    chunk = []
                    break
                if task.key in done:
                    skipped += 1
                    self._advance(task)
                elif self.pool is None or task.kind != "file" or task.status != "ok":
                    # Folders, links and walk errors need no worker.
                    self._finish(task, analyse_task(task, self.settings))
                else:
                    chunk.append(task)
                    chunk_bytes += task.size or 0
                    if len(chunk) >= CHUNK_TASKS or chunk_bytes >= CHUNK_BYTES:
                        self._submit(chunk)
                        chunk, chunk_bytes = [], 0
            if self.stopped:
                break
        if chunk:
            self._submit(chunk)
        while self.in_flight:
            self._drain()
        return skipped

    def _time_up(self) -> bool:
        """True once a time box is spent; the first time, the work in flight is dropped."""
        if self.stopped or self.timebox is None or not self.timebox.up():
            return self.stopped
        self.stopped = True
        in_flight, self.in_flight = self.in_flight, {}
        for future, chunk in in_flight.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                for task, records in zip(chunk, future.result(), strict=True):
                    self._finish(task, records)  # finished in time, only not collected yet
            else:
                self.abandoned.extend(chunk)
        if self.pool is not None:
            _stop_pool(self.pool)
            self.pool = None
        return True

    def _pool(self) -> Executor | None:
        if self.executor is not None:
            return self.executor(self.workers)
        if self.workers == 1:
            return None
        # spawn: no inherited locks or database connections from this process.
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=ignore_ctrl_c
        )

    def _submit(self, chunk: list[Task]) -> None:
        while len(self.in_flight) >= self.window:
            self._drain()
        if self._time_up():
            self.abandoned.extend(chunk)
            return
        self.in_flight[self._live_pool().submit(analyse_chunk, chunk, self.settings)] = chunk

    def _live_pool(self) -> Executor:
        # Tasks are chunked only when there is a pool (more than one worker).
        if self.pool is None:
            raise RuntimeError("tasks were handed to workers without a worker pool")
        return self.pool

    def _drain(self) -> None:
        """Take in the chunks that finish within COMMIT_SECONDS; commit when one is due."""
        timeout = (
            COMMIT_SECONDS if self.timebox is None else min(COMMIT_SECONDS, self.timebox.poll_s)
        )
        completed, _ = wait(list(self.in_flight), timeout, return_when=FIRST_COMPLETED)
        broken: list[Task] = []
        for future in completed:
            chunk = self.in_flight.pop(future)
            try:
                results = future.result()
            except BrokenProcessPool:
                broken.extend(chunk)
                continue
            for task, records in zip(chunk, results, strict=True):
                self._finish(task, records)
        self._time_up()
        self._commit_if_due()
        if broken and self.stopped:
            self.abandoned.extend(broken)  # the time box stopped the pool as well
            return
        if not broken:
            return
        # A worker died (a decoder crashed on some item). Every chunk in flight
        # failed with it; rerun their tasks one by one so only the culprit is blamed.
        for chunk in self.in_flight.values():
            broken.extend(chunk)
        self.in_flight.clear()
        self._live_pool().shutdown(cancel_futures=True)
        self.pool = None
        for index, task in enumerate(broken):
            if self._time_up():
                self.abandoned.extend(broken[index:])  # a time box ran out meanwhile
                return
            self._isolated(task)
        self.pool = self._pool()

    def _salvage(self) -> None:
        """Take in the chunks the workers had already finished when the scan was stopped."""
        for future, chunk in list(self.in_flight.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                self.finished.extend(zip(chunk, future.result(), strict=True))
                self.done += len(chunk)
        self.in_flight.clear()

    def _isolated(self, task: Task) -> None:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=ignore_ctrl_c) as solo:
            try:
                records = solo.submit(analyse_task, task, self.settings).result()
            except BrokenProcessPool:
                records = [
                    ItemRecord(
                        locator=task.locator,
                        kind=task.kind,
                        status="error",
                        reason="the worker process crashed while reading this item",
                        size=task.size,
                        mtime=task.mtime,
                    )
                ]
        self._finish(task, records)

    def _finish(self, task: Task, records: list[ItemRecord]) -> None:
        self.finished.append((task, records))
        self.done += 1
        self._advance(task)
        self._commit_if_due()

    def _commit_if_due(self) -> None:
        if (
            len(self.finished) >= COMMIT_TASKS
            or time.monotonic() - self.last_commit >= COMMIT_SECONDS
        ):
            self._commit()

    def _advance(self, task: Task) -> None:
        if self.progress is not None:
            self.progress.advance(1, (task.size or 0) if task.kind == "file" else 0)

    def _commit(self, recheck: bool = False) -> None:
        """Write the finished tasks in one transaction (``recheck``: leave out any committed)."""
        if self.finished:
            elapsed = self.base_elapsed + (time.monotonic() - self.started)
            with self.store.begin() as conn:
                batch = self.finished
                if recheck:
                    # A Ctrl-C that landed just after a commit must not write its tasks twice.
                    done = done_task_keys(conn, self.run_id, [task.key for task, _ in batch])
                    batch = [(task, records) for task, records in batch if task.key not in done]
                if batch:
                    write_tasks(conn, self.run_id, self.evidence_ids, batch, self.matcher)
                conn.execute(
                    update(scan_run).where(scan_run.c.id == self.run_id).values(elapsed_s=elapsed)
                )
            self.finished = []
        self.last_commit = time.monotonic()


def ignore_ctrl_c() -> None:
    """Workers leave Ctrl-C to the scan process, which commits what they finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_pool(pool: Executor) -> None:
    """Shut the workers down now: after Ctrl-C, a half-read container is not waited for."""
    # The executor forgets its processes on shutdown: take them first (threads have none).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)

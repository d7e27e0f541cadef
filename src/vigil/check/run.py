"""``vigil check``: a time-boxed, read-only device check, run as the first part of a scan.

A check is a scan run of its case like any other (:func:`vigil.scan.pipeline.open_run`,
the same workers, matcher and commits), with two differences:

* the evidence is walked best-first (:mod:`vigil.check.places`: camera rolls and
  messaging media before system folders), not in directory order;
* it stops when its time is spent (:class:`~vigil.scan.pipeline.TimeBox`): the
  workers always run in their own processes, so a big file half hashed or an
  archive half walked is abandoned by stopping them, never waited for, and the
  tasks they held are not committed.

The run is left unfinished on purpose: ``vigil scan --resume --case C`` walks the
evidence in the scan's own order, skips every task the check committed (task keys
do not depend on the order) and finishes the rest, so nothing is read twice and
nothing is lost.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import func, select

from vigil.audit import append, case_scope
from vigil.cases.runs import EvidenceSource
from vigil.check.outcome import FAMILY_WORDS, CheckResult, NotReached, summarise_check
from vigil.check.places import Places, shipped_places
from vigil.errors import UsageError
from vigil.indicators.engine import evaluate, evaluate_run
from vigil.indicators.loader import RuleSet
from vigil.scan.pipeline import (
    Runner,
    ScanOptions,
    TimeBox,
    ignore_ctrl_c,
    open_run,
    source_tasks,
)
from vigil.scan.records import Task
from vigil.sources.folder import FsEntry, RankedWalk, walk
from vigil.sources.keys import ExhibitKey
from vigil.sources.phones.ios_backup import without_stored_files
from vigil.store.engine import Store
from vigil.store.schema import scan_task

WRAP_UP_SHARE = 0.03
WRAP_UP_MIN_S = 1.0
"""Time kept at the end for stopping the workers, committing and the indicators: 3 % of
the budget, at least a second (at most half a very short budget), so that the check as
a whole ends within the time given."""

MAX_MINUTES = 24 * 60


@dataclass(slots=True)
class CheckOptions:
    """How to check: the case, the time, who checks."""

    case: str
    minutes: float
    officer: str | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    keys: list[ExhibitKey] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic
    """Seconds, as ``time.monotonic`` (tests give a clock of their own)."""
    poll_s: float | None = None
    """Real seconds between two looks at the clock while workers are busy
    (default: 1 % of the budget, between 0.05 and 1)."""
    executor: Callable[[int], Executor] | None = None
    """Makes the worker pool (default: separate processes that can be stopped)."""
    places: Places | None = None

    @property
    def budget_s(self) -> float:
        """The time given, in seconds."""
        return self.minutes * 60.0


def run_check(
    store: Store, paths: list[os.PathLike[str] | str], options: CheckOptions
) -> CheckResult:
    """Check PATHs into a new run of CASE within ``options.minutes``; what was found and
    exactly what was and was not checked."""
    if not 0 < options.minutes <= MAX_MINUTES:
        raise UsageError(f"--minutes must be more than 0 and at most {MAX_MINUTES}")
    clock = options.clock
    started = clock()
    started_at = datetime.now(UTC)
    places = options.places or shipped_places()
    check_params = {"minutes": options.minutes, "officer": options.officer}
    scan_options = ScanOptions(
        case=options.case, examiner=options.officer, workers=options.workers, keys=options.keys
    )
    factory = options.executor or _process_pool
    warm = [_started_pool(factory, options.workers)]  # workers load while the run is opened
    try:
        opened = open_run(
            store, paths, scan_options, action="check.start", extra={"check": check_params}
        )
    except BaseException:
        warm[0].shutdown(wait=False, cancel_futures=True)
        raise

    def executor(workers: int) -> Executor:
        # The started pool first; a fresh one if a crashed worker made the runner start again.
        return warm.pop() if warm else factory(workers)

    counter = _FileCounter(opened.sources)
    counter.start()
    walks: dict[int, RankedWalk] = {}

    def ranked(source: EvidenceSource) -> Iterable[FsEntry]:
        walks[source.ordinal] = RankedWalk(
            source.path, places.ranker(source.path), places.file_rank, probe_files=False
        )
        return walks[source.ordinal]

    budget = options.budget_s
    poll_s = options.poll_s if options.poll_s is not None else min(1.0, max(0.05, budget / 100))
    reserve = min(max(budget * WRAP_UP_SHARE, WRAP_UP_MIN_S), budget / 2)
    timebox = TimeBox(started + budget - reserve, clock, poll_s)
    # Only the families a check reports: the full scan evaluates every rule again.
    reported = replace(
        opened.ruleset, rules=[r for r in opened.ruleset.rules if r.family in FAMILY_WORDS]
    )
    runner = Runner(
        store,
        opened.run_id,
        opened.evidence_ids,
        opened.matcher,
        opened.settings,
        options.workers,
        None,
        timebox=timebox,
        executor=executor,
    )
    timebox.reserve = _WrapUp(store, opened.run_id, reported, runner, clock)
    try:
        runner.run(source_tasks(opened.sources, ranked), 0.0, time.monotonic())
    finally:
        counter.stop()
    with store.begin() as conn:
        evaluate_run(conn, opened.run_id, reported, opened.examiner)
    not_reached = _not_reached(opened.sources, walks, runner.abandoned)
    with store.begin() as conn:
        result = summarise_check(
            conn,
            opened.run_id,
            case=options.case,
            officer=opened.examiner,
            paths=[s.display for s in opened.sources],
            minutes=options.minutes,
            started_at=started_at,
            elapsed_s=clock() - started,
            stopped_by_time=runner.stopped,
            files_total=counter.files,
            total_counted=counter.finished,
            not_reached=not_reached,
        )
        append(
            conn,
            case_scope(opened.case_id),
            opened.examiner,
            "check.finish",
            detail=result.audit_detail(),
        )
    return result


CALIBRATE_AFTER_TASKS = 1000
DEFAULT_S_PER_TASK = 0.0005
"""The indicators' time per committed task until measured (a loaded two-core machine's)."""


class _WrapUp:
    """How long the end of a check will take: a floor, plus the indicators' time for the
    work done so far, measured once on the first tasks (it varies tenfold between machines)."""

    def __init__(
        self, store: Store, run_id: int, rules: RuleSet, runner: Runner, clock: Callable[[], float]
    ) -> None:
        self.store, self.run_id, self.rules, self.runner, self.clock = (
            store,
            run_id,
            rules,
            runner,
            clock,
        )
        self.per_task: float | None = None

    def __call__(self) -> float:
        done = self.runner.done
        if self.per_task is None and done >= CALIBRATE_AFTER_TASKS:
            self.per_task = self._measure()
        per_task = DEFAULT_S_PER_TASK if self.per_task is None else self.per_task
        return 1.5 * per_task * done  # with a margin: the last items are often the larger

    def _measure(self) -> float:
        with self.store.connect() as conn:
            tasks = conn.execute(
                select(func.count()).select_from(scan_task).where(scan_task.c.run_id == self.run_id)
            ).scalar_one()
            started = self.clock()
            evaluate(conn, self.run_id, self.rules)  # read-only: nothing is written
            return (self.clock() - started) / max(int(tasks), 1)


def _started_pool(factory: Callable[[int], Executor], workers: int) -> Executor:
    """A pool whose workers are starting already (a process pool starts them on demand)."""
    pool = factory(workers)
    for _ in range(workers):
        pool.submit(os.getpid)
    return pool


def _process_pool(workers: int) -> Executor:
    # spawn: no inherited locks or database connections; processes can be stopped at once.
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=ignore_ctrl_c)


def _not_reached(
    sources: list[EvidenceSource], walks: dict[int, RankedWalk], abandoned: list[Task]
) -> NotReached:
    """What the check did not get to: files started or met but not committed, folders
    never listed, and evidence never opened."""
    gap = NotReached()
    for task in abandoned:
        if task.kind == "dir" or task.evidence_root:
            gap.add_folder(task.path)  # an evidence file (an image, an archive) is named itself
        else:
            gap.add_file(task.path)
    for source in sources:
        walker = walks.get(source.ordinal)
        if walker is None:
            gap.add_folder(source.path) if source.kind == "folder" else gap.add_file(source.path)
            continue
        for entry in without_stored_files(iter(walker.pending_files)):
            gap.add_file(entry.path)
        for folder in walker.pending_dirs:
            gap.add_folder(folder)
    return gap


class _FileCounter:
    """Counts the files of the evidence beside the check (the walk the scan's progress
    bar uses); stopped with the check, when the count is only a lower bound."""

    def __init__(self, sources: list[EvidenceSource]) -> None:
        self.sources = sources
        self.files = 0
        self.finished = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._count, name="vigil-check-count", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _count(self) -> None:
        for source in self.sources:
            entries = walk(source.path, read_links=False, probe_files=False)
            for entry in without_stored_files(entries):
                if self._stop.is_set():
                    return
                if entry.kind != "dir":
                    self.files += 1
        self.finished = True

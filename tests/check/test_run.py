"""The device check: likely places first, the budget kept, a case that a scan continues."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.audit.log import case_scope, entries
from vigil.check import CheckOptions, run_check
from vigil.hashsets import library
from vigil.scan import pipeline
from vigil.scan.analyse import Settings, analyse_task
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.scan.records import ItemRecord, Task
from vigil.store.engine import Store
from vigil.store.schema import case, item, scan_run, scan_task

from .trees import FakeClock, Phone, build_phone

SECONDS_PER_FILE = 1.0


def costly(
    clock: FakeClock,
    hang: Callable[[Task], bool] = lambda t: False,
    stopped: Callable[[], bool] = lambda: False,
    hung: list[bytes] | None = None,
) -> object:
    """analyse_chunk where each file costs a fake second; a file ``hang`` names never ends
    by itself: time runs (a quarter second each time the check looks at the clock) until
    its pool is stopped, when the worker ends as a stopped process would."""

    def analyse_chunk(tasks: list[Task], settings: Settings) -> list[list[ItemRecord]]:
        out = []
        for task in tasks:
            if stopped():
                raise RuntimeError("stopped")  # a stopped process does no more work
            if hang(task):
                if hung is not None:
                    hung.append(task.path)
                clock.reading = 0.25
                while not stopped():
                    time.sleep(0.001)
                clock.reading = 0.0
                raise RuntimeError("stopped")
            clock.advance(SECONDS_PER_FILE)
            out.append(analyse_task(task, settings))
        return out

    return analyse_chunk


def committed_paths(store: Store, case_name: str) -> set[str]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(item.c.display)
            .join(scan_run, scan_run.c.id == item.c.run_id)
            .join(case, case.c.id == scan_run.c.case_id)
            .where(case.c.name == case_name)
        )
        return {str(r.display) for r in rows}


def test_a_likely_picture_is_found_before_a_deep_unlikely_one(
    listed_store: Store, phone: Phone, monkeypatch: pytest.MonkeyPatch, thread_pools: object
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(pipeline, "analyse_chunk", costly(clock))
    options = CheckOptions(
        case="visit-1",
        minutes=40 / 60,  # 40 fake seconds: about a third of the 123 files
        officer="PC Able",
        workers=1,
        clock=clock,
        poll_s=0.001,
        executor=thread_pools,  # type: ignore[arg-type]
    )
    result = run_check(listed_store, [phone.root], options)
    assert result.verdict == "known"
    assert result.known_items == 1  # the DCIM picture; the deep one was not reached
    seen = committed_paths(listed_store, "visit-1")
    assert any(p.endswith("DCIM/Camera/IMG_0001.jpg") for p in seen)
    assert not any(p.endswith("deep/blob.jpg") for p in seen)
    assert result.stopped_by_time and not result.complete
    assert result.files_total == 122 and result.total_counted
    assert result.files_checked + result.files_not_checked == result.files_total
    assert any(
        f.endswith("aaa/cache/x/y/z/deep") or "aaa/cache" in f for f in result.folders_not_reached
    )


def test_a_plain_walk_would_have_met_the_deep_picture_first(phone: Phone) -> None:
    """The tree is built so that directory order is the wrong order (the test above can fail)."""
    from vigil.sources.folder import walk

    order = [e.path for e in walk(phone.root) if e.kind == "file"]
    assert order.index(os.fsencode(phone.deep)) < order.index(os.fsencode(phone.likely))


class StoppablePools:
    """Thread pools whose workers learn that the check stopped them (threads cannot be killed)."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.made: list[ThreadPoolExecutor] = []

    def __call__(self, workers: int) -> Executor:
        events = self.stopped

        class Pool(ThreadPoolExecutor):
            def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
                events.set()
                super().shutdown(wait=wait, cancel_futures=cancel_futures)

        pool = Pool(max_workers=workers)
        self.made.append(pool)
        return pool


def test_the_budget_is_kept_while_a_big_file_is_being_read(
    listed_store: Store, phone: Phone, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = phone.likely.parent / "VID_0002.mp4"
    big.write_bytes(b"\0" * 4096)  # reading it "takes" longer than the whole budget
    clock = FakeClock()
    pools = StoppablePools()
    hung: list[bytes] = []
    slow = costly(clock, lambda t: t.path.endswith(b".mp4"), pools.stopped.is_set, hung)
    monkeypatch.setattr(pipeline, "analyse_chunk", slow)
    budget_s = 60.0
    options = CheckOptions(
        case="visit-2",
        minutes=budget_s / 60,
        workers=1,
        clock=clock,
        poll_s=0.001,
        executor=pools,
    )
    try:
        result = run_check(listed_store, [phone.root], options)
    finally:
        pools.stopped.set()
        for pool in pools.made:
            pool.shutdown(wait=True)
    assert hung == [os.fsencode(big)]  # the check was in the middle of it when time ran out
    assert result.stopped_by_time
    assert result.elapsed_s <= budget_s * 1.05  # the contract: within 5 % of the budget
    seen = committed_paths(listed_store, "visit-2")
    assert not any(p.endswith("VID_0002.mp4") for p in seen)  # abandoned, never recorded
    assert any(f.endswith("DCIM/Camera") for f in result.folders_not_reached)
    assert result.files_checked + result.files_not_checked == result.files_total == 123


def snapshot(store: Store, case_name: str) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(item.c.locator, item.c.status, item.c.md5, item.c.review)
            .join(scan_run, scan_run.c.id == item.c.run_id)
            .join(case, case.c.id == scan_run.c.case_id)
            .where(case.c.name == case_name)
            .order_by(item.c.locator)
        ).all()
    return [tuple(r) for r in rows]


def test_a_check_continues_into_a_full_scan_reading_nothing_twice(
    listed_store: Store, phone: Phone, monkeypatch: pytest.MonkeyPatch, thread_pools: object
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(pipeline, "analyse_chunk", costly(clock))
    options = CheckOptions(
        case="visit-3",
        minutes=45 / 60,  # the first chunk of 32 files ends in time, the second cannot
        workers=1,
        clock=clock,
        poll_s=0.001,
        executor=thread_pools,  # type: ignore[arg-type]
    )
    result = run_check(listed_store, [phone.root], options)
    assert 0 < result.files_checked < result.files_total
    with listed_store.connect() as conn:
        checked = {str(k) for k in conn.execute(sa.select(scan_task.c.task_key))}
    read_again: list[str] = []

    def counting(task: Task, settings: Settings) -> list[ItemRecord]:
        read_again.append(task.key)
        return analyse_task(task, settings)

    monkeypatch.setattr(pipeline, "analyse_task", counting)
    resumed = run_scan(listed_store, [], ScanOptions(case="visit-3", resume=True, workers=1))
    assert resumed.tasks_skipped == len(checked)
    assert not checked & set(read_again)  # no file hashed twice
    monkeypatch.setattr(pipeline, "analyse_task", analyse_task)
    run_scan(listed_store, [phone.root], ScanOptions(case="plain", workers=1))
    assert snapshot(listed_store, "visit-3") == snapshot(listed_store, "plain")  # nothing lost


def test_the_audit_log_says_who_checked_what_and_when(
    listed_store: Store, phone: Phone, thread_pools: object
) -> None:
    options = CheckOptions(
        case="visit-4",
        minutes=5,
        officer="PC Baker",
        workers=1,
        executor=thread_pools,  # type: ignore[arg-type]
    )
    result = run_check(listed_store, [phone.root], options)
    with listed_store.connect() as conn:
        case_id = conn.execute(sa.select(case.c.id).where(case.c.name == "visit-4")).scalar_one()
        log = list(entries(conn, case_scope(int(case_id))))
    start = next(e for e in log if e.action == "check.start")
    finish = next(e for e in log if e.action == "check.finish")
    assert start.actor == finish.actor == "PC Baker"
    assert start.detail is not None and start.detail["params"]["check"]["minutes"] == 5
    assert finish.detail is not None
    assert finish.detail["officer"] == "PC Baker"
    assert finish.detail["paths"] == [str(phone.root)]
    assert finish.detail["minutes"] == 5
    assert finish.detail["outcome"] == "known" == result.verdict
    assert finish.detail["files_checked"] == result.files_checked == 122
    assert finish.detail["total"] == "counted"
    assert finish.at is not None


def fingerprint(root: Path) -> dict[str, tuple[int, int, int, int]]:
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files, "."]:
            st = os.lstat(os.path.join(folder, name))
            out[os.path.join(folder, name)] = (
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_mode,
            )
    return out


def test_a_check_leaves_the_evidence_as_it_was(
    store: Store, tmp_path: Path, thread_pools: object
) -> None:
    phone = build_phone(tmp_path / "untouched", filler=12)
    library.import_file(store, phone.hashset, "force-set")
    before = fingerprint(phone.root)
    contents = {p: Path(p).read_bytes() for p in before if Path(p).is_file()}
    run_check(
        store,
        [phone.root],
        CheckOptions(case="visit-5", minutes=5, workers=1, executor=thread_pools),  # type: ignore[arg-type]
    )
    assert fingerprint(phone.root) == before
    assert {p: Path(p).read_bytes() for p in contents} == contents

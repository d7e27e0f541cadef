"""The per-item time budget: the watchdog, and members read each within its own budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from vigil.scan.analyse import Settings, _budgeted_members, item_budget
from vigil.scan.records import Task
from vigil.scan.watchdog import watched
from vigil.sources.archives.base import Member
from vigil.sources.limits import Budget, Deadline, ItemTimeout, deadline_scope
from vigil.sources.locator import Locator


def _spin(seconds: float) -> None:
    """Pure Python that never checks a deadline."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_watchdog_stops_a_loop_that_never_checks() -> None:
    started = time.monotonic()
    deadline = Deadline(0.2)
    with (
        pytest.raises(ItemTimeout, match=r"reading stopped after 0\.2 s"),
        deadline_scope(deadline),
        watched(deadline),
    ):
        _spin(30)
    assert time.monotonic() - started < 5


def test_a_swallowed_timeout_is_raised_by_the_next_cooperative_check() -> None:
    deadline = Deadline(0.1)
    swallowed = 0
    with pytest.raises(ItemTimeout), deadline_scope(deadline), watched(deadline):
        try:
            _spin(30)
        except Exception:  # a parser's own error handling
            swallowed += 1
        Budget(1 << 30).charge(1)  # the next decompressed block, say
    assert swallowed == 1


def test_nothing_is_raised_after_an_item_ends_in_time() -> None:
    for _ in range(20):
        with item_budget(Settings(item_timeout=0.05)):
            pass
    _spin(0.5)  # no stray timeout from an earlier item arrives here


def _task() -> Task:
    locator = Locator.for_path("/ev/pack.zip")
    return Task("k", 0, locator, b"/ev/pack.zip", "file", 10, None, "ok", None, None)


def test_a_container_that_stalls_between_members_gets_a_note_and_the_rest_is_kept() -> None:
    task = _task()
    first = Member(task.locator.child("zip", "a.txt"), "a.txt", kind="dir")

    def stalling() -> Iterator[Member]:
        yield first
        _spin(30)  # listing the next member never ends
        yield first  # pragma: no cover

    records = list(_budgeted_members(stalling(), Settings(item_timeout=0.2), task, "zip"))
    assert [r.locator for r in records] == [
        first.locator,
        task.locator.child("zip", "", stopped="item-timeout"),
    ]
    note = records[1]
    assert (note.kind, note.status) == ("marker", "limit")
    assert note.reason is not None and note.reason.startswith(
        "the rest of this container was not read: reading stopped after 0.2 s"
    )

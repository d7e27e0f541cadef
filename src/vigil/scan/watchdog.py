"""Stop an item that is stuck in code which never checks its deadline.

Readers check the item's :class:`~vigil.sources.limits.Deadline` themselves
where they loop (``Budget.charge`` in every decompressor, the scan's hashing
loops, the SQLite progress handler of the artefact parsers). Code that cannot
check, such as a pure-Python parser caught in a loop by hostile input, is
stopped by this watchdog: one daemon thread per process which, once an item's
deadline has passed, raises :class:`~vigil.sources.limits.ItemTimeout` in the
thread reading it (CPython's ``PyThreadState_SetAsyncExc``) and raises it again
every ``REFIRE_S`` until the item ends, in case a broad ``except`` swallowed it.

Trade-offs, chosen on purpose:

* A thread cannot be killed, and killing the worker process would lose the
  other items of its batch. An asynchronous exception arrives between two
  Python bytecodes, so a single long call into C (one picture decode) is
  stopped only when it returns. The C code the scan calls has bounds of its
  own: Pillow's pixel limit, SQLite's progress handler and heap limit.
* The exception can arrive in any Python code of the item, cleanup included;
  what it interrupts is that item only. The scan catches it per item
  (:func:`vigil.scan.analyse.item_budget`) and records a ``limit`` item.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Iterator

from vigil.sources.limits import Deadline, ItemTimeout

REFIRE_S = 0.5
"""How often the timeout is raised again while a timed-out item has not ended."""


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Schedule ``exc`` in the thread (None: cancel one not yet delivered)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), exc and ctypes.py_object(exc)
    )


class _Watchdog:
    """The deadlines being watched, by thread id, and the thread that watches them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, Deadline] = {}
        self._fired: dict[int, float] = {}
        self._thread: threading.Thread | None = None

    def arm(self, thread_id: int, deadline: Deadline) -> None:
        with self._cond:
            self._armed[thread_id] = deadline
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="vigil-item-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def disarm(self, thread_id: int) -> None:
        with self._cond:
            self._armed.pop(thread_id, None)
            fired = self._fired.pop(thread_id, None) is not None
            if fired:
                _raise_in(thread_id, None)  # an exception scheduled but not yet raised

    def _watch(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                wait: float | None = None
                for thread_id, deadline in self._armed.items():
                    last = self._fired.get(thread_id)
                    due = deadline.at if last is None else last + REFIRE_S
                    if now >= due:
                        _raise_in(thread_id, ItemTimeout)
                        self._fired[thread_id] = now
                        due = now + REFIRE_S
                    wait = due - now if wait is None else min(wait, due - now)
                self._cond.wait(wait)


_WATCHDOG = _Watchdog()


@contextlib.contextmanager
def watched(deadline: Deadline) -> Iterator[None]:
    """While the block runs, raise :class:`ItemTimeout` in it once ``deadline`` passes."""
    thread_id = threading.get_ident()
    _WATCHDOG.arm(thread_id, deadline)
    try:
        yield
    finally:
        _WATCHDOG.disarm(thread_id)

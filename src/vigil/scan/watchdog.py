"""Stop an item that is stuck in code which never checks its deadline.

Readers check the item's :class:`~vigil.sources.limits.Deadline` themselves
where they loop (``Budget.charge`` in every decompressor, the scan's hashing
loops, the SQLite progress handler of the artefact parsers). Code that cannot
check, such as a pure-Python parser caught in a loop by hostile input, is
stopped by this watchdog: one daemon thread per process which, once an item's
deadline has passed, raises :class:`~vigil.sources.limits.ItemTimeout` in the
thread reading it (CPython's ``PyThreadState_SetAsyncExc``).

Trade-offs, chosen on purpose:

* A thread cannot be killed, and killing the worker process would lose the
  other items of its batch. An asynchronous exception arrives between two
  Python bytecodes, so a single long call into C (one picture decode) is
  stopped only when it returns. The C code the scan calls has bounds of its
  own: Pillow's pixel limit, SQLite's progress handler and heap limit.
* The exception is raised **once** per item. It may arrive anywhere in the
  item's code, even while the item is being left, before this watchdog is
  told; raised once, it can never land after the item's own ``except``
  (:func:`vigil.scan.analyse.item_budget`). Code that swallows it (a broad
  ``except``) is stopped by the next cooperative check instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Iterator

from vigil.sources.limits import Deadline, ItemTimeout


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
        self._fired: set[int] = set()
        self._thread: threading.Thread | None = None
        self._wakes_at: float | None = None
        """When the watching thread wakes next (None: not before it is notified)."""

    def arm(self, thread_id: int, deadline: Deadline) -> None:
        with self._cond:
            self._armed[thread_id] = deadline
            self._fired.discard(thread_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="vigil-item-watchdog", daemon=True
                )
                self._thread.start()
            # Wake the watcher only when it would sleep past this deadline: items
            # arm one after another, and a thread switch for each would cost more
            # than reading most of them.
            if self._wakes_at is None or deadline.at < self._wakes_at:
                self._cond.notify()

    def disarm(self, thread_id: int) -> None:
        with self._cond:
            self._armed.pop(thread_id, None)
            if thread_id in self._fired:
                self._fired.discard(thread_id)
                _raise_in(thread_id, None)  # scheduled but not raised yet: cancel it

    def _watch(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                wait: float | None = None
                for thread_id, deadline in self._armed.items():
                    if thread_id in self._fired:
                        continue  # once per item (see the module docstring)
                    if now >= deadline.at:
                        _raise_in(thread_id, ItemTimeout)
                        self._fired.add(thread_id)
                        continue
                    due = deadline.at - now
                    wait = due if wait is None else min(wait, due)
                self._wakes_at = None if wait is None else now + wait
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

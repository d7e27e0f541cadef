"""Limits that keep reading evidence bounded (bombs, deep nesting, huge listings, time).

Every archive reader checks these as bytes flow, so a decompression bomb becomes a
member with status ``limit`` instead of a full disk or an exhausted memory.

Defaults and why:

* ``max_depth = 16`` containers deep: real evidence rarely nests more than 4–5
  (a disk image, a partition, a zip, a zip inside it); 16 leaves room for
  disk-image layers above the archives and still stops recursive bombs.
* ``max_entries = 100_000`` listed members per archive. Note: a phone's
  full-file-system extraction zip can hold 0.5–3 million entries; raise this for
  such exhibits (the rest is reported as one ``limit`` member, never dropped
  silently).
* ``max_member_bytes = 16 GiB`` for one member's data: larger than any single
  image or video in practice, small enough to stop a lying size header.
* ``max_ratio = 200`` expanded/compressed for one member, checked only after
  ``ratio_grace_bytes`` (1 MiB) so that small runs of zeros (empty documents,
  sparse files) are never flagged. Deflate tops out near 1 000:1 on zeros, so
  bombs pass 200 early; honest media compresses 1–3:1 and text up to ~20:1.
* ``max_expanded_bytes = 64 GiB`` per top-level evidence file, or
  ``expanded_factor`` (10) times that file's size when larger: a 256 GB phone
  extraction must not run out of budget, while a 42 KB bomb stops at 64 GiB.
  Only bytes produced by decompression count (stored members cannot expand).
* ``max_dictionary_bytes = 1.5 GiB``: an LZMA decoder allocates the dictionary
  the archive declares; 7-Zip's presets use 64 MiB at most, 1.5 GiB is the
  largest its GUI offers, anything beyond is a memory attack.

Time is bounded per item, not per file: each item of a scan (a file, an
archive member, a file in a disk image) gets a :class:`Deadline`
(``ITEM_TIMEOUT_S`` plus one second per ``ITEM_BYTES_PER_S`` of its size, or
of the bytes expanded for it when larger: a stream of undeclared size earns
its time while it flows).
Readers check it where they loop (:meth:`Budget.charge`, the scan's hashing);
once it has passed, :class:`ItemTimeout` (a :class:`LimitExceeded`) makes the
item a ``limit`` record and the scan goes on.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from vigil.errors import SourceError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


class LimitExceeded(SourceError):
    """Reading stopped because a limit was reached; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass
class Limits:
    """Configurable bounds for reading nested containers (see the module docstring)."""

    max_depth: int = 16
    max_entries: int = 100_000
    max_expanded_bytes: int = 64 * GiB
    expanded_factor: float = 10.0
    max_ratio: float = 200.0
    ratio_grace_bytes: int = 1 * MiB
    max_member_bytes: int = 16 * GiB
    max_dictionary_bytes: int = 1536 * MiB

    def check_declared(self, size: int | None, compressed_size: int | None) -> str | None:
        """Why a member's declared sizes already break a limit, or None when they look fine."""
        if size is None:
            return None
        if size > self.max_member_bytes:
            return f"declared size {size} bytes exceeds the member limit {self.max_member_bytes}"
        if compressed_size is not None and self.ratio_exceeded(size, compressed_size):
            return (
                f"declared size {size} bytes from {compressed_size} compressed exceeds "
                f"the ratio limit {self.max_ratio:g}"
            )
        return None

    def ratio_exceeded(self, expanded_bytes: int, compressed_bytes: int) -> bool:
        """True when ``expanded_bytes`` is past the grace size and over ``max_ratio``."""
        if expanded_bytes <= self.ratio_grace_bytes:
            return False
        return expanded_bytes > self.max_ratio * max(compressed_bytes, 1)


class Budget:
    """Expanded bytes used so far while reading one top-level evidence file.

    One budget is shared by every nested container of that file, so a bomb that
    spreads its expansion over many small members (42.zip style) still stops.
    Not thread-safe: one evidence file is read by one worker.
    """

    def __init__(self, limits: Limits | int, evidence_size_bytes: int = 0) -> None:
        """Budget from ``limits`` for an evidence file of the given size, or a plain byte count.

        With :class:`Limits` the budget is the larger of ``max_expanded_bytes`` and
        ``expanded_factor`` × ``evidence_size_bytes``.
        """
        if isinstance(limits, Limits):
            scaled = int(limits.expanded_factor * max(evidence_size_bytes, 0))
            self.limit_bytes = max(limits.max_expanded_bytes, scaled)
        else:
            self.limit_bytes = limits
        self.used_bytes = 0

    @property
    def remaining_bytes(self) -> int:
        """Bytes that may still be expanded (never negative)."""
        return max(self.limit_bytes - self.used_bytes, 0)

    def charge(self, n_bytes: int) -> None:
        """Count ``n_bytes`` of expanded data; raise :class:`LimitExceeded` once over budget."""
        self.used_bytes += n_bytes
        check_deadline(n_bytes)  # expansion loops are where a hostile container spends its time
        if self.used_bytes > self.limit_bytes:
            raise LimitExceeded(
                f"expanded more than {self.limit_bytes} bytes from one evidence file"
            )


ITEM_TIMEOUT_S = 300.0
"""Default wall-clock budget of one scanned item, before its size allowance.

Generous: a healthy item takes milliseconds. A hostile one (a parser stuck in
a loop, a database query that never ends) is stopped and recorded instead.
"""

ITEM_BYTES_PER_S = 32 * MiB
"""Each item's budget grows by one second per this many bytes of its size, so
hashing a multi-terabyte disk image is never mistaken for a hang."""


class ItemTimeout(LimitExceeded):
    """One item of a scan ran past its wall-clock budget (``vigil scan --item-timeout``).

    Raised by the cooperative checks (:func:`check_deadline`) and, for code that
    cannot check, delivered into the working thread by the scan's watchdog; the
    latter constructs it without arguments, so the reason is taken from the
    deadline that is running in that thread.
    """

    def __init__(self, reason: str | None = None) -> None:
        deadline = current_deadline()
        fallback = deadline.reason if deadline is not None else "ran past its time budget"
        super().__init__(reason or fallback)


class Deadline:
    """The wall-clock budget of the item being read, checked by readers that loop."""

    def __init__(self, seconds: float, size_bytes: int | None = None) -> None:
        """A budget of ``seconds`` plus the allowance for ``size_bytes`` (see ITEM_BYTES_PER_S)."""
        self.started = time.monotonic()
        self.base_seconds = seconds
        self.seconds = seconds
        self.at = self.started + seconds
        self.allowed_bytes = 0
        self.flowed_bytes = 0
        self.allow(size_bytes)

    def allow(self, size_bytes: int | None) -> None:
        """Grant the time allowance of an item of ``size_bytes`` (it only ever grows)."""
        if size_bytes and size_bytes > self.allowed_bytes:
            self.allowed_bytes = size_bytes
            self.seconds = self.base_seconds + size_bytes / ITEM_BYTES_PER_S
            self.at = self.started + self.seconds

    def flowed(self, n_bytes: int) -> None:
        """Count bytes expanded for the item: a stream of undeclared size that keeps
        flowing earns its time (expansion is bounded by :class:`Budget` instead)."""
        self.flowed_bytes += n_bytes
        self.allow(self.flowed_bytes)

    @property
    def reason(self) -> str:
        """Why an item stopped here, in the words the examiner sees."""
        seconds = f"{self.seconds:.2f}".rstrip("0").rstrip(".")
        return (
            f"reading stopped after {seconds} s: the item's time budget "
            "(vigil scan --item-timeout) ran out"
        )

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()

    def passed(self) -> bool:
        """True once the budget has run out."""
        return time.monotonic() >= self.at

    def check(self) -> None:
        """Raise :class:`ItemTimeout` once the budget has run out."""
        if time.monotonic() >= self.at:
            raise ItemTimeout(self.reason)


_deadlines = threading.local()


def current_deadline() -> Deadline | None:
    """The deadline of the item this thread is reading, if a scan set one."""
    deadline: Deadline | None = getattr(_deadlines, "current", None)
    return deadline


def check_deadline(flowed_bytes: int = 0) -> None:
    """Raise :class:`ItemTimeout` when this thread's item has run out of time (cheap).

    ``flowed_bytes`` newly expanded for the item count towards its allowance first.
    """
    deadline: Deadline | None = getattr(_deadlines, "current", None)
    if deadline is None:
        return
    if flowed_bytes:
        deadline.flowed(flowed_bytes)
    if time.monotonic() >= deadline.at:
        raise ItemTimeout(deadline.reason)


@contextlib.contextmanager
def deadline_scope(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make ``deadline`` this thread's current one for the block (None: no budget)."""
    previous = getattr(_deadlines, "current", None)
    _deadlines.current = deadline
    try:
        yield deadline
    finally:
        _deadlines.current = previous

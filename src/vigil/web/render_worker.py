"""Thumbnails and reveals made in worker processes with a memory and a time limit.

Decoders are fed bytes the suspect wrote. A picture, animation or video made
to exhaust memory or time must cost the review app nothing but one refused
preview, so the app never decodes evidence itself: a few worker processes do,
each under ``RLIMIT_AS``, and one that takes longer than the time limit is
killed and replaced. Workers reopen the item themselves (from its locator,
checked against its SHA-256), so archive layers are read under the same limits.

Workers come from a ``forkserver``: forked from a small single-threaded server,
never from the app's threads. They are daemons, ended with the app, and each is
replaced after :data:`TASKS_PER_WORKER` previews so that nothing a decoder
leaked lives long.
"""

from __future__ import annotations

import multiprocessing
import queue
import resource
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from vigil.sources.reopen import ReopenError
from vigil.web.thumbnails import ThumbnailError

TASKS_PER_WORKER = 200
"""Previews one worker makes before it is replaced."""

STARTUP_S = 60.0
"""How long a new worker may take to start."""

WAIT_FOR_WORKER_S = 120.0
"""How long a request waits for a free worker before its preview is refused."""

_CONTEXT = multiprocessing.get_context("forkserver")
# Workers fork with the decoders already imported: a new one is ready in milliseconds.
_CONTEXT.set_forkserver_preload(["vigil.web.render_worker"])


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One preview to make: which stored item, and how."""

    locator: Any
    sha256: bytes | None
    video: bool
    size_px: int
    blur_radius_px: float | None
    frames: int


@dataclass(frozen=True, slots=True)
class PreviewLimits:
    """What one worker may use: workers at once, address space, seconds per preview."""

    workers: int = 2
    memory_mb: int = 1024
    timeout_s: float = 20.0


def make_preview(job: RenderJob) -> bytes:
    """Reopen the item of ``job`` and make its preview (what a worker runs, in its process)."""
    from vigil.sources.reopen import open_item
    from vigil.web.thumbnails import picture_thumbnail, video_contact_sheet

    with open_item(job.locator, job.sha256) as data:
        if job.video:
            return video_contact_sheet(data, job.size_px, job.blur_radius_px, job.frames)
        return picture_thumbnail(data, job.size_px, job.blur_radius_px, job.frames)


Work = Callable[[RenderJob], bytes]
"""What a worker does with one job (:func:`make_preview`)."""


def _worker_main(conn: Connection, memory_bytes: int, work: Work) -> None:
    """A worker's life: limit its memory, then make previews until told to stop."""
    from PIL import Image

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # Sizes are checked by vigil.web.thumbnails, which names them in its refusal.
    Image.MAX_IMAGE_PIXELS = None
    warnings.simplefilter("ignore")  # decoders' complaints about hostile bytes are no news
    conn.send(("ready", None, True))
    for left in range(TASKS_PER_WORKER - 1, -1, -1):
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the app ended
            return
        if job is None:
            return
        # Each answer says whether this worker takes another job after it.
        try:
            conn.send(("ok", work(job), left > 0))
        except MemoryError:
            # After a failed allocation the process is not trusted with another job.
            conn.send(("refused", f"too large to preview: needs over {limit >> 20} MB", False))
            return
        except (ThumbnailError, ReopenError) as exc:
            conn.send((type(exc).__name__, str(exc), left > 0))
        except Exception as exc:  # a decoder's own error about hostile bytes
            conn.send(("refused", f"cannot be decoded: {type(exc).__name__}: {exc}", left > 0))


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, memory_bytes: int, work: Work) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_worker_main, args=(child, memory_bytes, work), daemon=True, name="vigil-render"
        )
        self.process.start()
        child.close()
        self.usable = True
        """Whether the worker takes another job (it is replaced when not)."""
        # A job's time limit starts once the worker is ready, not while it starts.
        try:
            ready = self.conn.poll(STARTUP_S) and self.conn.recv()[0] == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop()
            raise ThumbnailError("not previewed: a preview worker did not start")

    def run(self, job: RenderJob, timeout_s: float) -> tuple[str, Any]:
        """Send ``job`` and wait for its answer; a worker past ``timeout_s`` is killed."""
        try:
            self.conn.send(job)
        except OSError:  # the worker ended between two jobs
            self.stop()
            return "refused", "not previewed: its preview worker had stopped (try again)"
        if not self.conn.poll(timeout_s):
            self.stop()
            return "refused", f"took too long to preview (over {timeout_s:g} s)"
        try:
            kind, value, self.usable = self.conn.recv()
        except (EOFError, OSError):
            self.stop()
            code = self.process.exitcode
            return "refused", f"cannot be decoded: the decoder stopped (exit {code})"
        if not self.usable:
            self.stop()
        return kind, value

    def stop(self) -> None:
        """End the process now (it may be stuck in a decoder)."""
        self.usable = False
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class RenderPool:
    """Up to ``limits.workers`` worker processes, started on first use and replaced as needed."""

    def __init__(self, limits: PreviewLimits, work: Work = make_preview) -> None:
        self.limits = limits
        self.work = work
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(limits.workers):
            self._idle.put(None)  # a free slot, its worker not started yet

    def render(self, job: RenderJob) -> bytes:
        """The preview of ``job``'s item: ThumbnailError with the reason when it is refused.

        ReopenError (the item is gone or changed since the scan) passes through.
        """
        try:
            worker = self._idle.get(timeout=WAIT_FOR_WORKER_S)
        except queue.Empty:
            raise ThumbnailError("not previewed: every preview worker is busy") from None
        try:
            if worker is None or not worker.usable or not worker.process.is_alive():
                if worker is not None:
                    worker.stop()
                worker = _Worker(self.limits.memory_mb << 20, self.work)
            kind, value = worker.run(job, self.limits.timeout_s)
        except BaseException:
            if worker is not None:
                worker.stop()
            self._idle.put(None)
            raise
        self._idle.put(worker if worker.usable else None)
        if kind == "ok":
            return bytes(value)
        if kind == "EvidenceChangedError":
            from vigil.sources.reopen import EvidenceChangedError

            raise EvidenceChangedError(value)
        if kind == "ReopenError":
            raise ReopenError(value)
        raise ThumbnailError(str(value))


_pools: dict[PreviewLimits, RenderPool] = {}
_pools_lock = threading.Lock()


def pool_for(limits: PreviewLimits) -> RenderPool:
    """The process's pool for ``limits`` (one per setting, shared by every app)."""
    with _pools_lock:
        pool = _pools.get(limits)
        if pool is None:
            pool = _pools[limits] = RenderPool(limits)
        return pool

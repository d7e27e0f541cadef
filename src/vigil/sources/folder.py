"""Walk a folder of evidence without changing it, and open its files read-only.

``walk`` is iterative and lazy: it holds one sorted name list per directory on
the current path, never the whole tree, so a million-file exhibit costs little
memory and a 10 000-level tree no recursion. Entries come in a fixed order
(pre-order, siblings sorted by name bytes) that resume relies on.

Directories are yielded as entries too (cheap, one ``lstat``), so the examiner
sees empty folders and folders that could not be listed.

Read-only care: directories and files are opened with ``O_NOATIME`` (falling back
without it where the kernel refuses, i.e. when we neither own the file nor hold
CAP_FOWNER), ``lstat`` never changes a time, symlinks are never followed. Reading
a symlink's target updates the link's own atime on Linux (no flag avoids it):
pass ``read_links=False`` for a strictly atime-silent walk, and mount evidence
read-only as usual.
"""

from __future__ import annotations

import errno
import heapq
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from vigil.errors import SourceError
from vigil.sources.locator import Locator

EntryKind = Literal["file", "dir", "symlink", "fifo", "socket", "device"]
EntryStatus = Literal["ok", "skipped", "error"]

_NOATIME = getattr(os, "O_NOATIME", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True, slots=True)
class FsEntry:
    """One item met while walking a folder: its metadata and whether it can be read.

    ``path`` is the exact bytes path (open it with :func:`open_readonly`); times
    are from ``lstat`` in seconds since the epoch; ``size`` of a symlink is the
    length of its target. Unstat-able items have zero size and times.
    """

    locator: Locator
    path: bytes
    kind: EntryKind
    size: int
    mtime: float
    atime: float
    ctime: float
    status: EntryStatus = "ok"
    reason: str = ""
    link_target: str | None = None


def walk(
    root: Path | str | bytes, *, read_links: bool = True, probe_files: bool = True
) -> Iterator[FsEntry]:
    """Yield every item under ``root`` (a folder or a single file), root first.

    ``probe_files`` opens (without reading) each regular file so that unreadable
    ones get status ``error`` now rather than failing later in hashing.
    Raises :class:`SourceError` at once, and only, when ``root`` cannot be found.
    """
    top = os.path.abspath(os.fsencode(root))
    try:
        os.lstat(top)
    except OSError as exc:
        raise SourceError(f"{os.fsdecode(top)}: {os_reason(exc)}") from exc
    return _walk(top, read_links, probe_files)


def _walk(top: bytes, read_links: bool, probe_files: bool) -> Iterator[FsEntry]:
    entry, children = _visit(top, read_links, probe_files)
    yield entry
    # Each stack frame: a directory's path and its remaining child names, reversed
    # so that pop() gives them in ascending byte order.
    stack: list[tuple[bytes, list[bytes]]] = [(top, children)] if children else []
    while stack:
        parent, names = stack[-1]
        if not names:
            stack.pop()
            continue
        path = os.path.join(parent, names.pop())
        entry, children = _visit(path, read_links, probe_files)
        yield entry
        if children:
            stack.append((path, children))


Rank = tuple[float, ...]

DirRank = Callable[[bytes, float], tuple[Rank, Rank]]
"""When a folder is listed and when its files come, in a ranked walk (lower first), from
the folder's path and mtime: listing a folder is cheap, so one that leads to likely places
is listed early while its own files wait their turn."""


class RankedWalk:
    """Walk a folder best-first: the most promising folders before the rest (``vigil check``).

    Yields exactly the entries :func:`walk` yields (same locators, each once),
    in another order. One heap holds folders met but not listed yet (by path
    only, never their names) and the files of listed folders (each folder's
    files by ``file_rank``); the lowest rank comes next. A folder's own entry
    comes when it is listed. The counts say how much is still to come.
    """

    def __init__(
        self,
        root: Path | str | bytes,
        rank: DirRank,
        file_rank: Callable[[FsEntry], Rank] | None = None,
        *,
        read_links: bool = True,
        probe_files: bool = True,
    ) -> None:
        self.top = os.path.abspath(os.fsencode(root))
        try:
            os.lstat(self.top)
        except OSError as exc:
            raise SourceError(f"{os.fsdecode(self.top)}: {os_reason(exc)}") from exc
        self.rank, self.file_rank = rank, file_rank
        self.read_links, self.probe_files = read_links, probe_files
        self._heap: list[tuple[Rank, int, bytes, list[FsEntry] | None]] = []
        self._seq = 0
        self.listed_dirs = 0
        self.seen_files = 0
        """Non-folder entries met so far (files, links, special files), yielded or not."""

    @property
    def pending_dirs(self) -> list[bytes]:
        """Folders met but not listed yet, best first."""
        return [path for _, _, path, files in sorted(self._heap, key=_heap_order) if files is None]

    @property
    def pending_files(self) -> list[FsEntry]:
        """Entries met in listed folders but not yielded yet."""
        return [e for _, _, _, files in sorted(self._heap, key=_heap_order) for e in files or ()]

    def __iter__(self) -> Iterator[FsEntry]:
        entry, names = _visit(self.top, self.read_links, self.probe_files)
        yield entry
        if entry.kind != "dir":
            self.seen_files += 1
            return
        self._list(self.top, entry.mtime, names)
        while self._heap:
            _, _, path, files = heapq.heappop(self._heap)
            if files is not None:
                yield from files
                continue
            entry, names = _visit(path, self.read_links, self.probe_files)
            yield entry
            self._list(path, entry.mtime, names)

    def _push(self, rank: Rank, path: bytes, files: list[FsEntry] | None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (rank, self._seq, path, files))

    def _list(self, folder: bytes, mtime: float, names: list[bytes]) -> None:
        self.listed_dirs += 1
        others: list[FsEntry] = []
        subfolders: list[tuple[bytes, float]] = []
        for name in reversed(names):
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                st = None  # _visit records why
            if st is not None and stat.S_ISDIR(st.st_mode):
                subfolders.append((path, st.st_mtime))
                continue
            others.append(_visit(path, self.read_links, self.probe_files)[0])
        if others:
            if self.file_rank is not None:
                others.sort(key=self.file_rank)  # stable: equal ranks stay in name order
            self.seen_files += len(others)
            # Pushed first: at equal rank a folder's files come before its subfolders.
            self._push(self.rank(folder, mtime)[1], folder, others)
        for path, sub_mtime in subfolders:
            self._push(self.rank(path, sub_mtime)[0], path, None)


def _heap_order(node: tuple[Rank, int, bytes, list[FsEntry] | None]) -> tuple[Rank, int]:
    return node[0], node[1]


def open_readonly(path: Path | str | bytes) -> BinaryIO:
    """Open an evidence file for reading without touching its atime or following links.

    Raises :class:`SourceError` (reason in words) when it cannot be opened or is
    not a regular file; FIFOs and devices are refused without blocking.
    """
    raw = os.fsencode(path)
    try:
        fd = _open_noatime(raw, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        raise SourceError(f"{os.fsdecode(raw)}: {os_reason(exc)}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError(f"{os.fsdecode(raw)}: not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def os_reason(exc: OSError) -> str:
    """A short reason in words for an OS error (e.g. ``permission denied``)."""
    words = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "not found (removed while scanning?)",
        errno.ENAMETOOLONG: "path too long",
        errno.ELOOP: "is a symbolic link (not followed)",
        errno.EIO: "I/O error (damaged media?)",
        errno.ENOTDIR: "not a directory",
    }
    if exc.errno in words:
        return words[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


def _visit(path: bytes, read_links: bool, probe_files: bool) -> tuple[FsEntry, list[bytes]]:
    """The entry for ``path`` and, for a listable directory, its children (reversed)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return _entry(path, None, "file", status="error", reason=os_reason(exc)), []
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        try:
            names = _list_dir(path)
        except OSError as exc:
            return _entry(path, st, "dir", status="error", reason=os_reason(exc)), []
        names.sort(reverse=True)
        return _entry(path, st, "dir"), names
    if stat.S_ISREG(mode):
        reason = _probe(path) if probe_files else None
        if reason is not None:
            return _entry(path, st, "file", status="error", reason=reason), []
        return _entry(path, st, "file"), []
    if stat.S_ISLNK(mode):
        return _link_entry(path, st, read_links), []
    kind: EntryKind = (
        "fifo" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    )
    return _entry(path, st, kind, status="skipped", reason=f"{kind}: special file, not read"), []


def _entry(
    path: bytes,
    st: os.stat_result | None,
    kind: EntryKind,
    *,
    status: EntryStatus = "ok",
    reason: str = "",
    link_target: str | None = None,
) -> FsEntry:
    size, mtime, atime, ctime = (
        (st.st_size, st.st_mtime, st.st_atime, st.st_ctime) if st else (0, 0.0, 0.0, 0.0)
    )
    return FsEntry(
        Locator.for_path(path), path, kind, size, mtime, atime, ctime, status, reason, link_target
    )


def _link_entry(path: bytes, st: os.stat_result, read_links: bool) -> FsEntry:
    if not read_links:
        return _entry(path, st, "symlink")
    try:
        target = os.fsdecode(os.readlink(path))
    except OSError as exc:
        return _entry(path, st, "symlink", status="error", reason=os_reason(exc))
    return _entry(path, st, "symlink", link_target=target)


def _list_dir(path: bytes) -> list[bytes]:
    """The names in a directory, read through an O_NOATIME descriptor."""
    fd = _open_noatime(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    try:
        # scandir(fd) gives str names (surrogate-escaped); fsencode restores the bytes.
        with os.scandir(fd) as it:
            return [os.fsencode(entry.name) for entry in it]
    finally:
        os.close(fd)


def _probe(path: bytes) -> str | None:
    """Why a regular file cannot be opened for reading, or None when it can."""
    try:
        fd = _open_noatime(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        return os_reason(exc)
    os.close(fd)
    return None


def _open_noatime(path: bytes, flags: int) -> int:
    try:
        return os.open(path, flags | _NOATIME)
    except PermissionError as exc:
        # O_NOATIME is refused with EPERM when we neither own the file nor hold
        # CAP_FOWNER; reading is still allowed, only without the atime guarantee.
        if exc.errno != errno.EPERM or not _NOATIME:
            raise
        return os.open(path, flags)

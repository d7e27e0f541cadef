"""Every entry of one file system, allocated first, then deleted ones whose metadata survives.

The walk is iterative (no recursion on hostile depth) and bounded:

* ``max_entries`` entries per file system (a real Windows volume holds ~0.5–1
  million; 5 million default), then one ``limit`` note;
* ``max_depth`` directory levels (256), deeper folders become ``limit`` entries;
* a directory met twice (a loop in damaged metadata) is listed once and noted.

A directory that cannot be read becomes an ``error`` entry and the walk goes on.
A deleted folder is entered like a live one (its files come out ``deleted``
under its path); TSK's ``$OrphanFiles`` is read last, and each orphan is put
back under the folder its own record names (:mod:`~vigil.sources.disk.orphans`)
unless the walk has listed that record already.
Deleted entries are kept for a second pass so that their data runs can be
compared with the finished allocation map: content whose blocks another file
now uses is marked ``overwritten``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytsk3

from vigil.sources.disk.orphans import home

MAX_FS_ENTRIES = 5_000_000
MAX_DIR_DEPTH = 256
_SKIP = {b".", b".."}
_DIR_TYPES = {pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR}
_FILE_TYPES = {pytsk3.TSK_FS_META_TYPE_REG, pytsk3.TSK_FS_META_TYPE_VIRT}
_DATA_ATTRS = {
    pytsk3.TSK_FS_ATTR_TYPE_DEFAULT,
    pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA,
    pytsk3.TSK_FS_ATTR_TYPE_HFS_DATA,
}


@dataclass(slots=True)
class FsEntry:
    """One named entry: where it is, what it is, and how to read its data stream(s)."""

    path: str
    kind: str  # file, dir, symlink, special, note
    inode: int | None = None
    size: int | None = None
    mtime: float | None = None
    deleted: bool = False
    ads: str | None = None  # NTFS alternate data stream name
    attr: tuple[int, int] | None = None  # (TSK attribute type, id) to read
    status: str = "ok"
    reason: str = ""
    runs: list[tuple[int, int]] = field(default_factory=list)  # (block, count)
    overwritten: bool = False  # deleted, and live files now use some of its blocks


@dataclass(slots=True)
class Allocation:
    """Blocks that allocated files use, gathered during the walk (for deleted/carving checks)."""

    runs: list[tuple[int, int]] = field(default_factory=list)
    complete: bool = True  # False when a cap stopped the walk: free space is then unknown

    def merged(self) -> list[tuple[int, int]]:
        """Sorted, non-overlapping (start, end) block ranges."""
        out: list[tuple[int, int]] = []
        for start, count in sorted(self.runs):
            end = start + count
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        return out


def walk_fs(
    fs: pytsk3.FS_Info,
    allocation: Allocation,
    *,
    max_entries: int = MAX_FS_ENTRIES,
    max_depth: int = MAX_DIR_DEPTH,
) -> Iterator[FsEntry]:
    """Entries of ``fs``: allocated ones as found, then the deleted ones; records allocation."""
    walk = _Walk(fs, allocation, max_entries, max_depth)
    root = int(fs.info.root_inum)
    walk.seen_dirs.add(root)
    walk.homes[root] = ""
    yield from walk.drain([("", root, 0, False)])
    # TSK's $OrphanFiles last: by then every folder the walk can name is known,
    # so a file deleted with its folder is put back under that folder's path.
    for path, inode in walk.orphanages:
        if walk.stopped:
            return
        yield from walk.drain([(path, inode, 1, True)], rehome=True)
    if not walk.stopped:
        yield from _settle(walk.deleted, allocation)


# (path, inode, depth, inside a deleted folder)
_Frame = tuple[str, int, int, bool]


class _Walk:
    """The state of one walk: caps, folders met, deleted entries kept for the second pass."""

    def __init__(
        self, fs: pytsk3.FS_Info, allocation: Allocation, max_entries: int, max_depth: int
    ) -> None:
        self.fs, self.allocation = fs, allocation
        self.max_entries, self.max_depth = max_entries, max_depth
        self.listed = 0
        self.stopped = False
        self.seen_dirs: set[int] = set()
        self.homes: dict[int, str] = {}  # folder record → the path the walk gave it
        self.deleted: list[FsEntry] = []
        self.deleted_inodes: set[int] = set()
        self.orphanages: list[tuple[str, int]] = []  # TSK's virtual $OrphanFiles folders

    def drain(self, stack: list[_Frame], *, rehome: bool = False) -> Iterator[FsEntry]:
        """Every entry below the folders on ``stack`` (depth first, iteratively).

        With ``rehome``, the first folder is an orphanage: each orphan is moved to
        the path its own record names, unless the walk listed it already.
        """
        first = rehome
        while stack:
            parent, inode, depth, gone = stack.pop()
            orphans, first = first, False
            try:
                directory = self.fs.open_dir(inode=inode)
            except (OSError, RuntimeError) as exc:
                yield FsEntry(parent or "/", "dir", inode, status="error", reason=_why(exc))
                continue
            children: list[_Frame] = []
            for item in _entries(directory, parent):
                if item is None:
                    yield FsEntry(
                        parent or "/",
                        "note",
                        inode,
                        status="error",
                        reason="directory listing ended early (damaged)",
                    )
                    break
                yield from self._item(*item, depth, gone, orphans, children)
                if self.stopped:
                    return
            stack.extend(reversed(children))

    def _item(
        self,
        tsk_file: pytsk3.File,
        path: str,
        depth: int,
        gone: bool,
        orphans: bool,
        children: list[_Frame],
    ) -> Iterator[FsEntry]:
        surviving = _orphaned_meta(self.fs, tsk_file)
        record = tsk_file if surviving is None else surviving
        meta = record.info.meta
        addr = None if meta is None else int(meta.addr)
        if orphans and addr is not None:
            if addr in self.deleted_inodes or addr in self.seen_dirs:
                return  # already listed under the path its folder gives it
            path = home(self.fs, record, self.homes, self.max_depth) or path
        self.listed += 1
        if self.listed > self.max_entries:
            self.allocation.complete = False
            self.stopped = True
            yield FsEntry(
                path,
                "note",
                status="limit",
                reason=f"more than {self.max_entries} entries in one file system",
            )
            return
        virtual = _virtual(tsk_file)
        for entry in _describe(record, path, gone):
            if entry.deleted:
                self.deleted.append(entry)
                if entry.inode is not None and entry.status == "ok":
                    self.deleted_inodes.add(entry.inode)
                continue
            self.allocation.runs.extend(entry.runs)
            if not virtual:  # TSK's $MBR, $FAT1 …: metadata areas, not files
                yield entry
        if meta is None or addr is None or meta.type not in _DIR_TYPES:
            return
        if _orphanage(tsk_file, depth):
            self.seen_dirs.add(addr)
            self.orphanages.append((path, addr))
        elif addr in self.seen_dirs:
            yield FsEntry(
                path,
                "note",
                addr,
                status="limit",
                reason="directory seen before (loop in the metadata): not entered",
            )
        elif depth + 1 >= self.max_depth:
            yield FsEntry(
                path,
                "note",
                addr,
                status="limit",
                reason=f"folders nested deeper than {self.max_depth}: not entered",
            )
        else:
            self.seen_dirs.add(addr)
            self.homes[addr] = path
            children.append((path, addr, depth + 1, gone or _unalloc(record)))


def _orphanage(tsk_file: pytsk3.File, depth: int) -> bool:
    """TSK's virtual ``$OrphanFiles`` folder at the root (NTFS, FAT …)."""
    name = tsk_file.info.name
    meta = tsk_file.info.meta
    return (
        depth == 0
        and meta is not None
        and meta.type == pytsk3.TSK_FS_META_TYPE_VIRT_DIR
        and name is not None
        and name.name == b"$OrphanFiles"
    )


def _entries(directory: pytsk3.Directory, parent: str) -> Iterator[tuple[pytsk3.File, str] | None]:
    """(file, path) for each name in a directory; None once the listing breaks off."""
    iterator = iter(directory)
    while True:
        try:
            tsk_file = next(iterator)
        except StopIteration:
            return
        except (OSError, RuntimeError):
            yield None
            return
        name = tsk_file.info.name
        if name is None or name.name in _SKIP:
            continue
        text = name.name.decode("utf-8", "surrogateescape")
        yield tsk_file, f"{parent}/{text}"


def _describe(tsk_file: pytsk3.File, path: str, inside_deleted: bool) -> list[FsEntry]:
    """The entry of a name, plus one per NTFS alternate data stream."""
    meta = tsk_file.info.meta
    deleted = inside_deleted or _unalloc(tsk_file)
    if meta is None:
        # The name survives but its metadata record was reused or wiped.
        return [
            FsEntry(
                path,
                "file",
                deleted=deleted,
                status="error",
                reason="deleted entry whose metadata is gone: name only, no content",
            )
        ]
    inode = int(meta.addr)
    mtime = float(meta.mtime) if meta.mtime else None
    kind = _kind(meta)
    if deleted and not int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC:
        # A deleted name pointing at metadata now in use: that content is another file's.
        return [
            FsEntry(
                path,
                kind,
                inode,
                mtime=mtime,
                deleted=True,
                status="skipped",
                reason="deleted name whose metadata now belongs to another file",
            )
        ]
    main = FsEntry(path, kind, inode, int(meta.size), mtime, deleted)
    entries = [main]
    for attr in _attributes(tsk_file):
        info = attr.info
        if info.type not in _DATA_ATTRS:
            continue
        runs = _runs(attr)
        stream = info.name.decode("utf-8", "surrogateescape") if info.name else ""
        if stream and info.type == pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA:
            entry = FsEntry(f"{path}:{stream}", "file", inode, int(info.size), mtime, deleted)
            entry.ads, entry.attr, entry.runs = stream, (int(info.type), int(info.id)), runs
            entries.append(entry)
        elif main.attr is None:
            main.attr, main.runs = (int(info.type), int(info.id)), runs
        else:
            continue
        if int(info.flags) & pytsk3.TSK_FS_ATTR_NONRES and info.size and not runs:
            _hollow(entries[-1] if stream else main)
    if kind == "file" and main.attr is None and main.size:
        main.status, main.reason = "error", "no data attribute could be read"
    return entries


def _hollow(entry: FsEntry) -> None:
    """A non-resident stream with a size but no stored run (NTFS ``$BadClus:$Bad``, wiped)."""
    if entry.deleted:
        entry.status, entry.reason = "error", "deleted: no data runs survive, content lost"
    else:
        # Reading it would hash gigabytes of zeros (``$Bad`` is as large as the volume).
        entry.status, entry.reason = "skipped", "sparse: no data stored (reads as zeros)"


def _attributes(tsk_file: pytsk3.File) -> list[pytsk3.Attribute]:
    try:
        return list(tsk_file)
    except (OSError, RuntimeError):
        return []


def _runs(attr: pytsk3.Attribute) -> list[tuple[int, int]]:
    if not int(attr.info.flags) & pytsk3.TSK_FS_ATTR_NONRES:
        return []
    runs = []
    try:
        for run in attr:
            if int(run.flags) & (
                pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE | pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER
            ):
                continue
            if run.len:
                runs.append((int(run.addr), int(run.len)))
    except (OSError, RuntimeError):
        pass
    return runs


def _kind(meta: pytsk3.TSK_FS_META) -> str:
    if meta.type in _DIR_TYPES:
        return "dir"
    if meta.type in _FILE_TYPES:
        return "file"
    if meta.type == pytsk3.TSK_FS_META_TYPE_LNK:
        return "symlink"
    return "special"


def _orphaned_meta(fs: pytsk3.FS_Info, tsk_file: pytsk3.File) -> pytsk3.File | None:
    """The unallocated metadata record a name still points at, when TSK did not attach it.

    (A name left in a directory index whose MFT record was freed: the record
    and its data runs often survive and are what "deleted" recovery reads.)
    """
    name = tsk_file.info.name
    if tsk_file.info.meta is not None or name is None or not name.meta_addr:
        return None
    try:
        found = fs.open_meta(inode=int(name.meta_addr))
    except (OSError, RuntimeError):
        return None
    meta = found.info.meta
    if meta is None or not int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC:
        return None
    return found


def _virtual(tsk_file: pytsk3.File) -> bool:
    meta = tsk_file.info.meta
    return meta is not None and meta.type == pytsk3.TSK_FS_META_TYPE_VIRT


def _unalloc(tsk_file: pytsk3.File) -> bool:
    name = tsk_file.info.name
    if name is not None and int(name.flags) & pytsk3.TSK_FS_NAME_FLAG_UNALLOC:
        return True
    meta = tsk_file.info.meta
    return meta is not None and bool(int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC)


def _settle(deleted: list[FsEntry], allocation: Allocation) -> Iterator[FsEntry]:
    """Deleted entries, each marked ``overwritten`` when live files now use its blocks.

    Their blocks are then added to ``allocation``: what surviving metadata
    accounts for is recovered as a deleted file, not carved a second time.
    """
    used = allocation.merged()
    starts = [start for start, _ in used]
    for entry in deleted:
        if entry.status == "ok" and entry.kind == "file" and _overlaps(entry.runs, used, starts):
            entry.overwritten = True
        yield entry
    for entry in deleted:
        if entry.status == "ok" and not entry.overwritten:
            allocation.runs.extend(entry.runs)


def _overlaps(runs: list[tuple[int, int]], used: list[tuple[int, int]], starts: list[int]) -> bool:
    for start, count in runs:
        index = bisect_right(starts, start + count - 1) - 1
        if index >= 0 and used[index][1] > start:
            return True
    return False


def _why(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"cannot read: {text[-1] if text else type(exc).__name__}"

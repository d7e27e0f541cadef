"""A directory of immutable segments and tombstones, changed by swapping one manifest.

Both the PDQ index and the exact-digest index live in such a directory::

    MANIFEST.json         the current segments and tombstone file (the only file replaced)
    LOCK                  writers hold an exclusive flock on it while they change the manifest
    seg-<gen>-<hex>/      one immutable segment (its format belongs to the index kind)
    tombstones-<gen>.npy  (id, generation) of every delete still in force
    file-<hex>.npy        a file the owner attached to this state (e.g. which entries it holds)
    tmp-<hex>/            a segment being written; renamed to seg-… once complete
    tmp-<hex>.npy         a file being attached; renamed to file-… by the change that names it

Readers take no lock: they read ``MANIFEST.json`` and memory-map what it names.
Writers never change a file in place; they write new files and then replace the
manifest with ``os.replace``, so a reader sees the old state or the new, never
a mix. Old segments are unlinked only after the swap; processes that still map
them keep reading them (POSIX keeps an unlinked file until its last mapping).

**Tombstones.** Every change raises the manifest's generation. ``delete(ids)``
at generation ``g`` records ``(id, g)``; a row of a segment created at
generation ``c`` is dead when its id has a tombstone with ``g > c``, i.e. the
delete came after the row. So an id deleted and later added again is live in
the newer segment only. Compaction merges the live rows of a snapshot taken at
generation ``s`` into one segment marked ``created = s``: deletes up to ``s``
are already gone from it, and deletes made while it was being built (``g > s``)
still apply to it after the swap.

**One change, one swap.** :meth:`SegmentStore.update` publishes a new segment,
tombstones, new settings and attached files in a single manifest swap, so an
owner that keeps in ``settings`` what the rows stand for (``library_pdq`` keeps
which hash-set entries the index holds) never sees the rows and the record
disagree, whatever moment a writer dies at.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from vigil.errors import VigilError

MANIFEST = "MANIFEST.json"
FORMAT_VERSION = 1
TOMBSTONE_DTYPE = np.dtype([("id", "<i8"), ("generation", "<i8")])
LOAD_ATTEMPTS = 5
STALE_TMP_S = 24 * 3600
"""A ``tmp-`` directory this old belongs to a writer that died; it is removed."""


T = TypeVar("T")


class MatchIndexError(VigilError):
    """A matching index cannot be created, opened or changed (the message says why)."""


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A segment named in the manifest."""

    name: str
    created: int
    rows: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """One consistent state of an index directory."""

    kind: str
    generation: int
    segments: tuple[SegmentInfo, ...] = ()
    tombstones: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def to_json(self) -> str:
        """Serialise for ``MANIFEST.json``."""
        return json.dumps(
            {
                "format": "vigil-match-index",
                "version": FORMAT_VERSION,
                "kind": self.kind,
                "generation": self.generation,
                "segments": [[s.name, s.created, s.rows] for s in self.segments],
                "tombstones": self.tombstones,
                "settings": self.settings,
                "files": list(self.files),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        """Parse ``MANIFEST.json``; raise MatchIndexError when it is not ours."""
        try:
            raw = json.loads(text)
            if raw["format"] != "vigil-match-index" or raw["version"] != FORMAT_VERSION:
                raise ValueError(f"format {raw['format']!r} v{raw['version']}")
            return cls(
                kind=str(raw["kind"]),
                generation=int(raw["generation"]),
                segments=tuple(SegmentInfo(str(n), int(c), int(r)) for n, c, r in raw["segments"]),
                tombstones=raw["tombstones"],
                settings=dict(raw["settings"]),
                files=tuple(str(f) for f in raw.get("files", [])),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise MatchIndexError(f"{where}: not a Vigil match index ({exc})") from exc


def dead_ids(tombstones: npt.NDArray[np.void], created: int) -> npt.NDArray[np.int64]:
    """Sorted ids deleted after a segment created at generation ``created``."""
    ids: npt.NDArray[np.int64] = tombstones["id"][tombstones["generation"] > created]
    return np.unique(ids)


class SegmentStore:
    """The directory protocol; the index kinds supply how a segment is written and read."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind

    @classmethod
    def create(cls, path: Path, kind: str, settings: dict[str, Any]) -> SegmentStore:
        """Start an empty index at ``path`` (a new or empty directory)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            raise MatchIndexError(f"{path}: directory is not empty; will not build an index there")
        store = cls(path, kind)
        store._write_manifest(Manifest(kind=kind, generation=0, settings=settings))
        return store

    def manifest(self) -> Manifest:
        """The current state (read without locking: the file is only ever swapped whole)."""
        where = self.path / MANIFEST
        try:
            text = where.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise MatchIndexError(f"{self.path}: no index here ({MANIFEST} missing)") from exc
        manifest = Manifest.from_json(text, where)
        if manifest.kind != self.kind:
            raise MatchIndexError(f"{self.path}: a {manifest.kind} index, not {self.kind}")
        return manifest

    def tombstones(self, manifest: Manifest) -> npt.NDArray[np.void]:
        """The (id, generation) deletes in force for ``manifest``."""
        if manifest.tombstones is None:
            return np.empty(0, dtype=TOMBSTONE_DTYPE)
        loaded: npt.NDArray[np.void] = np.load(self.path / manifest.tombstones)
        return loaded

    def load_latest(
        self, load: Callable[[Manifest, npt.NDArray[np.void]], T], known_generation: int
    ) -> tuple[int, T] | None:
        """``load(manifest, tombstones)`` for the current state; None if still ``known_generation``.

        A compaction may swap the manifest and unlink old segments between our
        reading it and opening them; then we read the new manifest and retry.
        """
        for attempt in range(LOAD_ATTEMPTS):
            manifest = self.manifest()
            if manifest.generation == known_generation:
                return None
            try:
                return manifest.generation, load(manifest, self.tombstones(manifest))
            except FileNotFoundError as exc:
                if attempt == LOAD_ATTEMPTS - 1:
                    raise MatchIndexError(f"{self.path}: index files missing: {exc}") from exc
        raise AssertionError("unreachable")

    def segment_path(self, info: SegmentInfo) -> Path:
        """Directory of a segment named in the manifest."""
        return self.path / info.name

    def add_segment(self, write: Callable[[Path], int]) -> Manifest:
        """Write a new segment with ``write(directory) -> rows`` and publish it."""
        return self.update(write=write)

    def delete(self, ids: npt.NDArray[np.int64]) -> Manifest:
        """Record tombstones for ``ids`` against every row that exists now."""
        return self.update(delete=ids)

    def stage_file(self, array: npt.NDArray[Any]) -> str:
        """Write ``array`` for a coming :meth:`update` and return the name to attach it under.

        It waits as ``tmp-….npy`` (left alone by other writers' tidying for a
        day) until the update that names it renames it to that name.
        """
        token = uuid.uuid4().hex
        np.save(self.path / f"tmp-{token}.npy", array)
        _fsync_file(self.path / f"tmp-{token}.npy")
        return f"file-{token}.npy"

    def discard_staged(self, names: tuple[str, ...]) -> None:
        """Remove files staged for an update that will not happen (attached ones stay)."""
        for name in names:
            (self.path / ("tmp-" + name.removeprefix("file-"))).unlink(missing_ok=True)

    def update(
        self,
        *,
        write: Callable[[Path], int] | None = None,
        delete: npt.NDArray[np.int64] | None = None,
        settings: dict[str, Any] | None = None,
        files: tuple[str, ...] | None = None,
        expect_settings: dict[str, Any] | None = None,
    ) -> Manifest:
        """Publish a new segment, deletes, settings and attached files in one manifest swap.

        ``write(directory) -> rows`` runs first, without the lock. ``delete`` ids
        are tombstoned against the rows that exist now, not against the new
        segment (an id deleted and added in one update lives on in it). ``files``
        (names from :meth:`stage_file`, or already attached) replace the attached
        files. With ``expect_settings``, the update is refused when another
        writer changed the settings since the caller read them.
        """
        tmp = self._new_tmp() if write is not None else None
        try:
            rows = write(tmp) if write is not None and tmp is not None else 0
            with self._locked():
                current = self.manifest()
                if expect_settings is not None and current.settings != expect_settings:
                    raise MatchIndexError(f"{self.path}: changed by another writer meanwhile")
                if rows == 0 and delete is None and settings is None and files is None:
                    return current
                generation = current.generation + 1
                new = replace(current, generation=generation)
                if tmp is not None and rows:
                    info = SegmentInfo(self._publish(tmp, generation), generation, rows)
                    new = replace(new, segments=(*current.segments, info))
                if delete is not None and len(delete):
                    tombs = np.empty(len(delete), dtype=TOMBSTONE_DTYPE)
                    tombs["id"] = delete
                    tombs["generation"] = generation
                    merged = np.concatenate([self.tombstones(current), tombs])
                    new = replace(new, tombstones=self._write_tombstones(merged, generation))
                if settings is not None:
                    new = replace(new, settings=settings)
                if files is not None:
                    new = replace(new, files=tuple(self._adopt(name) for name in files))
                return self._commit(new)
        finally:
            if tmp is not None and tmp.exists():
                shutil.rmtree(tmp)

    def delete_ids(self, ids: npt.ArrayLike) -> bool:
        """Tombstone every row with one of ``ids``; False when ``ids`` is empty."""
        labels = np.unique(np.asarray(ids, dtype=np.int64))
        if not len(labels):
            return False
        self.delete(labels)
        return True

    def compact(
        self,
        read_rows: Callable[[Path], tuple[npt.NDArray[Any], npt.NDArray[np.int64]]],
        write: Callable[[Path, npt.NDArray[Any], npt.NDArray[np.int64]], int],
    ) -> bool:
        """Merge every segment into one without deleted rows; False when nothing to do.

        ``read_rows(segment_dir)`` gives a segment's (keys, ids); ``write(dir, keys,
        ids)`` writes the merged segment. Safe while others search and add (see
        :meth:`replace_segments`); a second compaction finishing later raises.
        """
        snapshot = self.manifest()
        tombstones = self.tombstones(snapshot)
        keys, ids, dropped = [], [], 0
        for info in snapshot.segments:
            try:
                k, i = read_rows(self.segment_path(info))
            except FileNotFoundError as exc:
                raise MatchIndexError(f"{self.path}: another compaction finished first") from exc
            keep = ~np.isin(i, dead_ids(tombstones, info.created))
            dropped += int(len(keep) - keep.sum())
            keys.append(k[keep])
            ids.append(i[keep])
        if len(keys) <= 1 and dropped == 0:
            return False
        all_keys, all_ids = np.concatenate(keys), np.concatenate(ids)
        self.replace_segments(snapshot, lambda d: write(d, all_keys, all_ids))
        return True

    def replace_segments(self, snapshot: Manifest, write: Callable[[Path], int]) -> Manifest:
        """Swap the segments of ``snapshot`` for one new segment written by ``write``.

        ``write`` runs without the lock (it may take minutes); segments added
        meanwhile are kept, deletes made meanwhile still apply (see module doc).
        """
        tmp = self._new_tmp()
        rows = write(tmp)
        with self._locked():
            current = self.manifest()
            merged_names = {s.name for s in snapshot.segments}
            if not merged_names <= {s.name for s in current.segments}:
                shutil.rmtree(tmp)
                raise MatchIndexError(f"{self.path}: another compaction finished first")
            kept = tuple(s for s in current.segments if s.name not in merged_names)
            if rows == 0:
                shutil.rmtree(tmp)
                segments = kept
            else:
                merged = SegmentInfo(
                    self._publish(tmp, snapshot.generation), snapshot.generation, rows
                )
                segments = (merged, *kept)
            return self._commit(
                replace(current, generation=current.generation + 1, segments=segments)
            )

    # -- internals -------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the writers' lock (blocking) for the duration."""
        with open(self.path / "LOCK", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _new_tmp(self) -> Path:
        tmp = self.path / f"tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        return tmp

    def _publish(self, tmp: Path, generation: int) -> str:
        """Make a finished segment durable and give it its final name (under the lock)."""
        for item in tmp.iterdir():
            _fsync_file(item)
        name = f"seg-{generation:08d}-{uuid.uuid4().hex[:8]}"
        tmp.rename(self.path / name)
        return name

    def _adopt(self, name: str) -> str:
        """Give a staged file its attached name (under the lock); attached ones stay as they are."""
        final = self.path / name
        if not final.exists():
            staged = self.path / ("tmp-" + name.removeprefix("file-"))
            if not name.startswith("file-") or not staged.exists():
                raise MatchIndexError(f"{self.path}: no staged file for {name}")
            staged.rename(final)
        return name

    def _write_tombstones(self, tombstones: npt.NDArray[np.void], generation: int) -> str:
        name = f"tombstones-{generation:08d}-{uuid.uuid4().hex[:8]}.npy"
        np.save(self.path / name, tombstones)
        _fsync_file(self.path / name)
        return name

    def _commit(self, manifest: Manifest) -> Manifest:
        """Drop tombstones that no segment needs, swap the manifest, then tidy up."""
        tombs = self.tombstones(manifest)
        oldest = min((s.created for s in manifest.segments), default=manifest.generation)
        needed = tombs[tombs["generation"] > oldest]
        if len(needed) != len(tombs):
            name = self._write_tombstones(needed, manifest.generation) if len(needed) else None
            manifest = replace(manifest, tombstones=name)
        self._write_manifest(manifest)
        self._collect_garbage(manifest)
        return manifest

    def _write_manifest(self, manifest: Manifest) -> None:
        tmp = self.path / f"{MANIFEST}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(manifest.to_json() + "\n", encoding="utf-8")
        _fsync_file(tmp)
        os.replace(tmp, self.path / MANIFEST)
        _fsync_file(self.path)

    def _collect_garbage(self, manifest: Manifest) -> None:
        """Remove segments and tombstone files the manifest no longer names (under the lock)."""
        live = {s.name for s in manifest.segments} | {manifest.tombstones} | set(manifest.files)
        for item in self.path.iterdir():
            name = item.name
            if (name.startswith(("seg-", "tombstones-", "file-")) and name not in live) or (
                name.startswith("tmp-") and time.time() - item.stat().st_mtime > STALE_TMP_S
            ):
                _remove(item)


def in_background(task: Callable[[], T]) -> Future[T]:
    """Run ``task`` in a thread of its own (compaction while searches go on)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigil-compact")
    future = executor.submit(task)
    executor.shutdown(wait=False)
    return future


def _fsync_file(path: Path) -> None:
    """Flush a file (or a directory's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

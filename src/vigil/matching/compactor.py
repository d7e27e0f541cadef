"""Compaction of a PDQ index in a process of its own: when it is due, and how it is started.

Every library change adds a segment and tombstones; searches get slower with
each segment and deleted rows still take memory until merged away. Merging
10M hashes takes about a minute and ~1.5 GB, so it runs outside the process
that asked for it (a scan should not wait for it, a ``vigil lookup`` should not
linger at exit): ``python -m vigil.matching.compactor <index dir>``. Readers and
writers go on meanwhile (``_store`` swaps the merged segment in atomically); a
second compactor finding one at work leaves at once.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from vigil.matching._store import MatchIndexError
from vigil.matching.pdq_index import PdqIndex

MAX_SEGMENTS = 4
"""More segments than this are merged: every segment is probed through its own
tables (a 100k segment beside 10M hashes adds ~8% to a search's CPU time)."""

MAX_DELETED_SHARE = 0.1
"""More tombstones than this share of stored rows and they are worth merging away."""

COMPACT_LOCK = "COMPACTING"

_launched: list[subprocess.Popen[bytes]] = []
"""Compactors started by this process (kept so that they are not reaped as garbage)."""


def needs_compaction(index: PdqIndex) -> bool:
    """True when the index has too many segments or too many deleted rows."""
    too_many = index.tombstone_count > MAX_DELETED_SHARE * max(index.stored_rows, 1)
    return len(index.segments) > MAX_SEGMENTS or too_many


def start_compaction(path: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m vigil.matching.compactor path`` in the background and return it."""
    # Reap compactors that have finished, so that a long-lived process (the web
    # app) does not collect zombies.
    _launched[:] = [p for p in _launched if p.poll() is None]
    process = subprocess.Popen(
        [sys.executable, "-m", "vigil.matching.compactor", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not killed with the terminal's Ctrl-C of the scan
    )
    _launched.append(process)
    return process


def compact_once(path: Path) -> bool:
    """Merge the index at ``path`` unless another compactor is at it; True when merged."""
    with (Path(path) / COMPACT_LOCK).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            return PdqIndex.open(path).compact()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def main(argv: list[str]) -> int:
    """Entry point of the background process: 0 merged or nothing to do, 1 failed."""
    if len(argv) != 1:
        print("usage: python -m vigil.matching.compactor INDEX_DIR", file=sys.stderr)
        return 2
    try:
        compact_once(Path(argv[0]))
    except (MatchIndexError, OSError) as exc:
        # The index stays as it was and usable; the next change will ask again.
        print(f"compaction of {argv[0]} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

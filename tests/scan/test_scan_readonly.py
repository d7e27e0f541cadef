"""A scan never changes evidence: every byte, mtime and atime is the same afterwards."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from vigil.demo.evidence import DemoLayout
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store


def fingerprint(root: Path) -> dict[bytes, tuple[object, ...]]:
    """Content hash and times of every file; mtime of every folder."""
    state: dict[bytes, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        st = os.stat(dirpath)
        state[dirpath] = ("dir", st.st_mtime_ns, sorted(dirnames), sorted(filenames))
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            state[path] = ("file", digest, st.st_size, st.st_mtime_ns, st.st_mode)
    return state


def atimes(root: Path) -> dict[bytes, int]:
    return {
        os.path.join(d, n): os.lstat(os.path.join(d, n)).st_atime_ns
        for d, _, names in os.walk(os.fsencode(root))
        for n in names
    }


def test_scan_leaves_evidence_untouched(demo_store: Store, demo: DemoLayout) -> None:
    before = fingerprint(demo.evidence)
    # Push access times into the past so that any read that updates them would show.
    for path in atimes(demo.evidence):
        st = os.lstat(path)
        os.utime(path, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns))
    times_before = atimes(demo.evidence)
    run_scan(demo_store, [demo.evidence], ScanOptions(case="c", workers=2))
    times_after = atimes(demo.evidence)  # before fingerprint() reads the files again
    assert fingerprint(demo.evidence) == before
    assert times_after == times_before

"""Evidence trees for the device-check tests, made by code, and a clock the tests drive."""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from vigil.demo.imagegen import encode, make_picture

OLD = 1_600_000_000.0
"""An mtime long ago (2020): the deep, unlikely folder was changed before any other."""


@dataclass
class Phone:
    """A phone-like tree: listed pictures in DCIM and in a deep unlikely folder, filler."""

    root: Path
    likely: Path
    deep: Path
    hashset: Path


def build_phone(root: Path, filler: int = 120) -> Phone:
    """Write the tree; the deep folder sorts first by name, so a plain walk meets it first."""
    likely_dir = root / "sdcard/DCIM/Camera"
    deep_dir = root / "aaa/cache/x/y/z/deep"
    for folder in (likely_dir, deep_dir):
        folder.mkdir(parents=True)
    likely = likely_dir / "IMG_0001.jpg"
    deep = deep_dir / "blob.jpg"
    likely.write_bytes(encode(make_picture(11, (64, 48))))
    deep.write_bytes(encode(make_picture(12, (64, 48))))
    for index in range(filler):
        folder = root / f"aaa/cache/f{index % 6}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:04d}.dat").write_bytes(f"filler {index}".encode())
    for path in (deep, deep_dir, *deep_dir.parents):
        if path == root:
            break
        os.utime(path, (OLD, OLD))
    listed = root.parent / f"{root.name}-set.csv"
    rows = "".join(f"{hashlib.md5(p.read_bytes()).hexdigest()},A\n" for p in (likely, deep))
    listed.write_text("md5,category\n" + rows)
    return Phone(root, likely, deep, listed)


@dataclass
class FakeClock:
    """Seconds that pass only when the test says so (work costs time, reads are free)."""

    now: float = 1000.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    reading: float = 0.0
    """While a slow read is going on, each look at the clock finds this much more time gone."""

    def __call__(self) -> float:
        with self.lock:
            self.now += self.reading
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def threads(workers: int) -> Executor:
    """A worker pool in threads: fast to start, enough where nothing must be stopped."""
    return ThreadPoolExecutor(max_workers=workers)

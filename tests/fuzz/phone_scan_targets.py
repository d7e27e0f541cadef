"""Whole scans of folders holding a damaged phone extraction, each in a child process.

A seed is a folder as an examiner receives it: an iOS backup (``Manifest.plist``,
``Manifest.db``, stored files), an Android ``backup.ab`` or a Cellebrite
``phone.ufdr``. An input damages one file of it (edits written over its bytes,
some inserted, maybe a cut) and is kept in the corpus as a few hundred bytes of
JSON. The scan (``vigil scan`` in a child, as disk_targets.py runs it) must
finish within its bounds without a traceback, change no byte or mode of the
folder, and inventory every file in it: each file is an item itself, or (the
stored files of an iOS backup, which the backup lists) named by an item's
``file_id``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from sources.phones.samples import adb_bytes, ios_backup, ufdr_bytes

from .contract import CORPUS, SAVE, ContractBroken
from .disk_targets import OK_EXITS, SCAN_MEMORY_MIB, SCAN_SECONDS, run_bounded
from .phone_targets import ENTRIES, IOS_FILES, UFDR_FILES


@dataclass(frozen=True)
class PhoneInput:
    """A seed folder by name, one of its files by relative path, edits and an optional cut."""

    seed: str
    file: str
    edits: tuple[tuple[int, bytes, bool], ...] = ()
    """(offset, bytes, inserted): written over the file's bytes, or inserted at the offset."""
    cut_at: int | None = None

    def to_json(self) -> str:
        """The input as the corpus keeps it."""
        edits = [[offset, data.hex(), inserted] for offset, data, inserted in self.edits]
        raw = {"seed": self.seed, "file": self.file, "edits": edits, "cut_at": self.cut_at}
        return json.dumps(raw)

    @classmethod
    def from_json(cls, text: str) -> PhoneInput:
        """An input saved by :meth:`to_json`."""
        raw = json.loads(text)
        edits = tuple((int(o), bytes.fromhex(h), bool(i)) for o, h, i in raw["edits"])
        return cls(str(raw["seed"]), str(raw["file"]), edits, raw["cut_at"])


def _ios(folder: Path) -> None:
    ios_backup(folder, IOS_FILES, dirs=[("CameraRollDomain", "Media")])


def _adb(folder: Path) -> None:
    folder.mkdir()
    (folder / "backup.ab").write_bytes(adb_bytes(ENTRIES, compressed=True))


def _ufdr(folder: Path) -> None:
    folder.mkdir()
    (folder / "phone.ufdr").write_bytes(ufdr_bytes(UFDR_FILES, extra=[("unlisted.txt", b"u")]))


BUILDERS: dict[str, Callable[[Path], None]] = {"ios": _ios, "adb": _adb, "ufdr": _ufdr}


@cache
def seed_files(seed: str) -> dict[str, bytes]:
    """The seed folder's files by relative path (built once per session)."""
    with tempfile.TemporaryDirectory(prefix="vigil-fuzz-phone-") as tmp:
        folder = Path(tmp) / "exhibit"
        BUILDERS[seed](folder)
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }


def damaged(input_: PhoneInput) -> dict[str, bytes]:
    """The seed's files with the input's damage done to one of them."""
    files = dict(seed_files(input_.seed))
    data = bytearray(files[input_.file])
    for offset, edit, inserted in input_.edits:
        at = min(offset, len(data))
        data[at : at if inserted else at + len(edit)] = edit
    files[input_.file] = bytes(data[: input_.cut_at] if input_.cut_at is not None else data)
    return files


_INTERESTING = [b"\x00", b"\xff", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\xff" * 8,
                b"99999999999999999999", b"-1", b"<", b"&", b"\x00\x00\x00\x00"]  # fmt: skip


@st.composite
def phone_inputs(draw: st.DrawFn, seed: str) -> PhoneInput:
    """A few edits to one file of the seed folder (its metadata files most often)."""
    files = seed_files(seed)
    names = sorted(files, key=lambda n: (not n.startswith("Manifest"), n))
    name = draw(st.sampled_from(names))
    size = max(1, len(files[name]))
    edits = []
    for _ in range(draw(st.integers(1, 6))):
        offset = draw(st.integers(0, size - 1))
        kind = draw(st.sampled_from(["flip", "interesting", "random", "insert"]))
        if kind == "flip":
            byte = files[name][offset] if files[name] else 0
            edits.append((offset, bytes([byte ^ (1 << draw(st.integers(0, 7)))]), False))
        elif kind == "interesting":
            edits.append((offset, draw(st.sampled_from(_INTERESTING)), False))
        else:
            edits.append((offset, draw(st.binary(min_size=1, max_size=16)), kind == "insert"))
    cut_at = draw(st.integers(0, size)) if draw(st.integers(0, 9)) == 0 else None
    return PhoneInput(seed, name, tuple(edits), cut_at)


def keep_phone_scan_contract(input_: PhoneInput) -> None:
    """Scan the damaged folder in a child; raise ContractBroken (saving the input) if it breaks."""
    try:
        _scan_in_child(damaged(input_))
    except ContractBroken:
        _save(input_)
        raise


def _state(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
        for p in sorted(folder.rglob("*"))
    if p.is_file()}  # fmt: skip


def keep_seeds_scan_contract() -> None:
    """Scan one folder holding every undamaged seed (one child: start-up is most of the cost)."""
    files = {f"{seed}/{name}": data for seed in BUILDERS for name, data in seed_files(seed).items()}
    _scan_in_child(files)


def _scan_in_child(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix="vigil-fuzz-phone-scan-") as tmp:
        folder = Path(tmp) / "exhibit"
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o444)
        before = _state(folder)
        store = Path(tmp) / "store.db"
        argv = [
            sys.executable, "-m", "vigil", "--db", f"sqlite:///{store}", "scan",
            str(folder), "--case", "fuzz", "--workers", "1", "--json",
        ]  # fmt: skip
        rc, out, err, _seconds, peak_mib = run_bounded(argv)
        if _state(folder) != before:
            raise ContractBroken("the scan changed the evidence")
        if rc is None:
            raise ContractBroken(f"the scan did not finish within {SCAN_SECONDS:g} s")
        if rc not in OK_EXITS or "Traceback" in err:
            raise ContractBroken(f"the scan exited {rc}: {err.strip()[-400:]}")
        if peak_mib > SCAN_MEMORY_MIB:
            raise ContractBroken(f"the scan peaked at {peak_mib:.0f} MiB")
        _every_file_inventoried(folder, store, json.loads(out))


def _every_file_inventoried(folder: Path, store: Path, summary: dict[str, object]) -> None:
    conn = sqlite3.connect(store)
    try:
        keys = [row[0] for row in conn.execute("SELECT locator FROM item")]
    finally:
        conn.close()
    paths, file_ids = set(), set()
    for key in keys:
        layers = json.loads(key)
        if len(layers) == 1:
            paths.add(layers[0]["path"])
        file_ids.update(layer["file_id"] for layer in layers if "file_id" in layer)
    missing = [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and os.fsdecode(p) not in paths and p.name not in file_ids
    ]
    if missing:
        raise ContractBroken(f"not inventoried: {', '.join(missing)} (summary {summary})")


def _save(input_: PhoneInput) -> None:
    if not SAVE:
        return
    folder = CORPUS / f"phone-scan-{input_.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    text = input_.to_json()
    (folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.json").write_text(text)


def corpus_phone_inputs() -> list[Path]:
    """Every saved damaged-folder input, for the replay test."""
    return sorted(CORPUS.glob("phone-scan-*/*.json")) if CORPUS.is_dir() else []

"""The contract every parser of evidence or user files keeps, and the failing-input corpus.

A parser given any bytes returns normally or raises one of the errors its
caller turns into a per-item status or a one-line message, within a time and
memory bound. Anything else (a traceback, a hang, a blow-up) breaks the
contract; under ``make fuzz`` the smallest such input is saved into
``tests/fuzz/corpus/<target>/`` and replayed by every later ``make test``.
"""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SECONDS = float(os.environ.get("VIGIL_FUZZ_SECONDS", "10"))
"""Wall-clock bound for one input (generous: CI machines are slow and shared)."""
MEMORY_MIB = float(os.environ.get("VIGIL_FUZZ_MEMORY_MIB", "256"))
"""Bound on Python allocations while one input is parsed (tracemalloc's peak)."""
SAVE = os.environ.get("VIGIL_FUZZ_SAVE") == "1"

Check = Callable[[bytes], None]
_smallest_saved: dict[str, int] = {}


class ContractBroken(AssertionError):
    """A parser broke the contract on one input."""


def keep_contract(target: str, check: Check, data: bytes) -> None:
    """Run ``check(data)``; raise ContractBroken (saving the input under make fuzz) if it breaks."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        check(data)
    except ContractBroken:
        _save(target, data)
        raise
    except Exception as exc:
        _save(target, data)
        raise ContractBroken(f"{target}: {type(exc).__name__}: {exc}") from exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    if elapsed > SECONDS or peak > MEMORY_MIB * 2**20:
        _save(target, data)
        raise ContractBroken(
            f"{target}: {elapsed:.1f} s and {peak / 2**20:.0f} MiB for {len(data)} bytes "
            f"(bounds {SECONDS:g} s, {MEMORY_MIB:g} MiB)"
        )


def _save(target: str, data: bytes) -> None:
    # Hypothesis shrinks after the first failure: keep only ever-smaller inputs.
    if not SAVE or len(data) >= _smallest_saved.get(target, 1 << 62):
        return
    _smallest_saved[target] = len(data)
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{hashlib.sha256(data).hexdigest()[:16]}.bin").write_bytes(data)


def corpus_inputs() -> list[tuple[str, Path]]:
    """Every saved input as (target, file), for the replay test."""
    if not CORPUS.is_dir():
        return []
    return sorted(
        (folder.name, path)
        for folder in CORPUS.iterdir()
        if folder.is_dir()
        for path in folder.glob("*.bin")
    )
